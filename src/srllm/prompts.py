"""Instruction formats: the paper's Llama-2 chat template, any model's own chat template, Alpaca.

One instruction pair is a CMD row with a benign variation: the prompt asks for a debiased
rephrasing of `text` (taxonomy.SYSTEM_PROMPT and INSTRUCTION), and the answer is the
`benign_variation`. `sft_pair` splits an example into (prompt, completion) strings for either
format and `tokenize_for_sft` turns them into the token ids, attention mask and labels the
trainer sees, with every prompt token masked out of the loss (-100).

Only `render_with_chat_template` / `tokenize_for_sft` touch a tokenizer; nothing here imports
torch or transformers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from srllm.data.schema import CMDRecord
from srllm.taxonomy import INSTRUCTION, SYSTEM_PROMPT

log = logging.getLogger(__name__)

PromptFormat = Literal["llama2", "chat"]
FORMATS: tuple[str, ...] = ("llama2", "chat")
IGNORE_INDEX = -100

# Meta's reference Llama-2 chat format: meta-llama/llama, llama/generation.py (commit c769dfd),
# `Llama.chat_completion`. The system message is folded into the first user turn, and each
# turn is encoded as BOS + f"{B_INST} {user.strip()} {E_INST} {answer.strip()} " + EOS; the
# turn to answer as BOS + f"{B_INST} {user.strip()} {E_INST}".
BOS, EOS = "<s>", "</s>"
B_INST, E_INST = "[INST]", "[/INST]"
B_SYS, E_SYS = "<<SYS>>\n", "\n<</SYS>>\n\n"
#: Tags Meta's code refuses inside message contents: they would break the turn structure.
SPECIAL_TAGS: tuple[str, ...] = (B_INST, E_INST, "<<SYS>>", "<</SYS>>")


class SFTLengthError(ValueError):
    """An example that does not fit `max_length` without losing its whole answer."""

    def __init__(self, message: str, prompt_tokens: int, answer_tokens: int, max_length: int):
        super().__init__(message)
        self.prompt_tokens = prompt_tokens
        self.answer_tokens = answer_tokens
        self.max_length = max_length


def user_message(text: str, instruction: str = INSTRUCTION) -> str:
    """The user turn: the instruction followed by the text to rewrite."""
    return f"{instruction} {text}"


def _check_tags(**parts: str) -> None:
    for field, value in parts.items():
        for tag in SPECIAL_TAGS:
            if tag in value:
                raise ValueError(f"{field} contains the Llama-2 control tag {tag!r}, which would break the prompt")


def llama2_prompt(text: str, system: str = SYSTEM_PROMPT, instruction: str = INSTRUCTION) -> str:
    """The Llama-2 chat prompt that asks for the benign variation of `text`, ending at ``[/INST]``.

    ``<s>[INST] <<SYS>>\\n{system}\\n<</SYS>>\\n\\n{instruction} {text} [/INST]``

    Token for token Meta's reference format (meta-llama/llama, ``llama/generation.py``,
    ``chat_completion``: ``B_INST, E_INST = "[INST]", "[/INST]"``,
    ``B_SYS, E_SYS = "<<SYS>>\\n", "\\n<</SYS>>\\n\\n"``; the system message is prefixed to the
    first user message, whose whole content is ``.strip()``-ped, and BOS is written ``<s>``).
    The SR_LLM authors' code (Safe-Responsible-LLM, ``utils/helpers.py``) joins the same parts
    with newlines and closes with ``<s/>``; we follow Meta's format, which the paper names.
    """
    _check_tags(text=text, system=system, instruction=instruction)
    content = (B_SYS + system + E_SYS + user_message(text, instruction)).strip()
    return f"{BOS}{B_INST} {content} {E_INST}"


def llama2_completion(answer: str) -> str:
    """What follows `llama2_prompt` in a training example: `` {answer} </s>``."""
    _check_tags(answer=answer)
    return f" {answer.strip()} {EOS}"


def llama2_example(text: str, answer: str, system: str = SYSTEM_PROMPT, instruction: str = INSTRUCTION) -> str:
    """One Llama-2 training example:
    ``<s>[INST] <<SYS>>\\n{system}\\n<</SYS>>\\n\\n{instruction} {text} [/INST] {answer} </s>``."""
    return llama2_prompt(text, system, instruction) + llama2_completion(answer)


def chat_messages(
    text: str, answer: str | None = None, system: str | None = SYSTEM_PROMPT, instruction: str = INSTRUCTION
) -> list[dict[str, str]]:
    """The example as chat messages: system (unless None), user, and assistant when `answer` is given."""
    messages = [{"role": "system", "content": system}] if system is not None else []
    messages.append({"role": "user", "content": user_message(text, instruction)})
    if answer is not None:
        messages.append({"role": "assistant", "content": answer})
    return messages


def render_with_chat_template(
    tokenizer: Any,
    text: str,
    answer: str | None = None,
    system: str | None = SYSTEM_PROMPT,
    instruction: str = INSTRUCTION,
) -> str:
    """Render with the model's own chat template (``tokenizer.apply_chat_template``).

    Without `answer`: the prompt, ending with the template's generation prompt (the assistant
    header). With `answer`: the whole conversation. Templates that reject a system role get the
    system text prepended to the user message instead.
    """
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(
            f"{getattr(tokenizer, 'name_or_path', 'this tokenizer')!r} has no chat template; use the 'llama2' format"
        )
    messages = chat_messages(text, answer, system, instruction)
    kwargs = {"tokenize": False, "add_generation_prompt": answer is None}
    try:
        return tokenizer.apply_chat_template(messages, **kwargs)
    except Exception as exc:  # jinja2 TemplateError raised by the template itself
        if system is None or "system" not in str(exc).lower():
            raise
        merged = chat_messages(f"{text}", answer, None, f"{system}\n\n{instruction}")
        return tokenizer.apply_chat_template(merged, **kwargs)


def default_format(tokenizer: Any) -> PromptFormat:
    """'llama2' for tokenizers without a chat template or with a Llama-2 one, else 'chat'."""
    template = getattr(tokenizer, "chat_template", None) or ""
    return "chat" if template and B_INST not in template else "llama2"


def sft_pair(
    tokenizer: Any,
    text: str,
    answer: str,
    format: PromptFormat = "chat",
    system: str = SYSTEM_PROMPT,
    instruction: str = INSTRUCTION,
) -> tuple[str, str]:
    """(prompt, completion) strings of one training example; prompt + completion is the full text.

    The completion of a chat-template example ends at the template's end-of-turn token: the
    whitespace some templates add after it is neither trained on nor generated.
    """
    if format == "llama2":
        return llama2_prompt(text, system, instruction), llama2_completion(answer)
    if format != "chat":
        raise ValueError(f"format {format!r} is not one of {list(FORMATS)}")
    prompt = render_with_chat_template(tokenizer, text, None, system, instruction)
    full = render_with_chat_template(tokenizer, text, answer, system, instruction)
    if not full.startswith(prompt):
        raise ValueError(
            "the chat template renders the conversation with an answer differently from the prompt without one; "
            "cannot split prompt and answer (use the 'llama2' format)"
        )
    completion = full[len(prompt) :]
    eos = getattr(tokenizer, "eos_token", None)
    if eos and eos in completion:
        end = completion.rindex(eos) + len(eos)
        if not completion[end:].strip():
            completion = completion[:end]
    return prompt, completion


def tokenize_for_sft(
    tokenizer: Any,
    prompt: str,
    answer: str,
    max_length: int,
    *,
    add_eos: bool = True,
    on_overflow: Literal["error", "truncate"] = "error",
) -> dict[str, list[int]]:
    """input_ids, attention_mask and labels for supervised fine-tuning on the answer only.

    The prompt and the answer are tokenized separately (``add_special_tokens=False``: the
    strings carry their own special tokens) and concatenated, exactly as at generation time,
    where the model continues the tokenized prompt. Every prompt token gets label -100; the
    answer tokens, plus the EOS token when `add_eos` and the answer does not already end with
    it, are the labels. The answer's last token is never dropped silently: past `max_length`
    the call raises `SFTLengthError` (`on_overflow="error"`), or with ``"truncate"`` cuts the end
    of the answer and logs a warning, raising when no answer token fits.
    """
    if max_length < 1:
        raise ValueError(f"max_length must be positive, got {max_length}")
    if on_overflow not in ("error", "truncate"):
        raise ValueError(f"on_overflow must be 'error' or 'truncate', got {on_overflow!r}")
    prompt_ids = list(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    answer_ids = list(tokenizer(answer, add_special_tokens=False)["input_ids"])
    eos_id = getattr(tokenizer, "eos_token_id", None)
    if add_eos:
        if eos_id is None:
            raise ValueError("add_eos=True but the tokenizer has no eos_token_id")
        if not answer_ids or answer_ids[-1] != eos_id:
            answer_ids.append(eos_id)
    if not answer_ids:
        raise ValueError("empty answer: nothing to train on")
    total = len(prompt_ids) + len(answer_ids)
    if total > max_length:
        room = max_length - len(prompt_ids)
        message = (
            f"example is {total} tokens ({len(prompt_ids)} prompt + {len(answer_ids)} answer) but max_length is "
            f"{max_length}"
        )
        if on_overflow == "error" or room < 1:
            hint = "; the prompt alone leaves no room for the answer" if room < 1 else ""
            raise SFTLengthError(
                f"{message}{hint}; raise max_length or shorten the text", len(prompt_ids), len(answer_ids), max_length
            )
        log.warning("%s: truncating the answer to its first %d token(s)", message, room)
        answer_ids = answer_ids[:room]
    input_ids = prompt_ids + answer_ids
    return {
        "input_ids": input_ids,
        "attention_mask": [1] * len(input_ids),
        "labels": [IGNORE_INDEX] * len(prompt_ids) + answer_ids,
    }


def build_sft_example(
    tokenizer: Any,
    text: str,
    answer: str,
    max_length: int,
    format: PromptFormat = "chat",
    *,
    system: str = SYSTEM_PROMPT,
    instruction: str = INSTRUCTION,
    on_overflow: Literal["error", "truncate"] = "error",
) -> dict[str, list[int]]:
    """`sft_pair` then `tokenize_for_sft`: one CMD text and its benign variation, ready to train on."""
    prompt, completion = sft_pair(tokenizer, text, answer, format, system, instruction)
    return tokenize_for_sft(tokenizer, prompt, completion, max_length, on_overflow=on_overflow)


def instruction_pairs(records: Iterable[CMDRecord]) -> list[tuple[CMDRecord, str]]:
    """The rows that are instruction pairs: those with a benign variation, as (row, variation)."""
    return [(record, record.benign_variation) for record in records if record.benign_variation is not None]


def alpaca_record(record: CMDRecord, instruction: str = INSTRUCTION) -> dict[str, str]:
    """One instruction pair in the Alpaca format: {"instruction", "input", "output"}."""
    if record.benign_variation is None:
        raise ValueError(f"{record.id}: no benign_variation, so not an instruction pair")
    return {"instruction": instruction, "input": record.text, "output": record.benign_variation}


def export_alpaca(
    records: Iterable[CMDRecord], path: str | Path, instruction: str = INSTRUCTION
) -> int:
    """Write the instruction pairs of `records` in the Alpaca format: a JSON array (``.json``, as
    ``alpaca_data.json``) or one object per line (``.jsonl``). Rows without a benign variation are
    skipped. Returns the number of examples written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".jsonl"):
        raise ValueError(f"{path}: expected a .json or .jsonl file name")
    rows = [alpaca_record(record, instruction) for record, _ in instruction_pairs(records)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        if suffix == ".json":
            json.dump(rows, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
        else:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def loss_spans(input_ids: Sequence[int], labels: Sequence[int]) -> list[tuple[bool, list[int]]]:
    """Consecutive runs of tokens as (counts in the loss, token ids), for displaying an example."""
    spans: list[tuple[bool, list[int]]] = []
    for token, label in zip(input_ids, labels):
        in_loss = label != IGNORE_INDEX
        if spans and spans[-1][0] == in_loss:
            spans[-1][1].append(token)
        else:
            spans.append((in_loss, [token]))
    return spans
