"""Prompts with few-shot turns, and where a generated answer ends (stop strings)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from srllm.generate.demonstrations import FEW_SHOT
from srllm.prompts import (
    B_INST,
    B_SYS,
    BOS,
    E_INST,
    E_SYS,
    EOS,
    FORMATS,
    _check_tags,
    chat_messages,
    sft_pair,
    user_message,
)
from srllm.taxonomy import INSTRUCTION, SYSTEM_PROMPT


def few_shot_prompt(
    tokenizer: Any,
    text: str,
    examples: Sequence[tuple[str, str]] = FEW_SHOT,
    format: str = "chat",
    system: str = SYSTEM_PROMPT,
    instruction: str = INSTRUCTION,
) -> str:
    """The prompt for `text` with `examples` as earlier turns of the conversation.

    chat: system, then a user/assistant turn per example (the user turn is the instruction and the
    example text, exactly as for the text to rewrite), then the user turn with `text` and the
    generation prompt, rendered by the model's chat template. llama2: Meta's multi-turn format
    (``llama/generation.py``, ``chat_completion``): the system message folded into the first user
    turn, each answered turn as ``<s>[INST] {user} [/INST] {answer} </s>``, and the last turn as
    ``<s>[INST] {user} [/INST]``. Without examples this is ``sft_pair(...)[0]``, the training prompt.
    """
    if not examples:
        return sft_pair(tokenizer, text, "", format, system, instruction)[0]
    if format == "llama2":
        _check_tags(text=text, system=system, instruction=instruction)
        users = [user_message(t, instruction) for t, _ in examples] + [user_message(text, instruction)]
        users[0] = B_SYS + system + E_SYS + users[0]
        parts = []
        for user, (example_text, answer) in zip(users, examples):
            _check_tags(example=example_text, answer=answer)
            parts.append(f"{BOS}{B_INST} {user.strip()} {E_INST} {answer.strip()} {EOS}")
        parts.append(f"{BOS}{B_INST} {users[-1].strip()} {E_INST}")
        return "".join(parts)
    if format != "chat":
        raise ValueError(f"format {format!r} is not one of {list(FORMATS)}")
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(
            f"{getattr(tokenizer, 'name_or_path', 'this tokenizer')!r} has no chat template; use the 'llama2' format"
        )

    def messages(sys: str | None, instr: str) -> list[dict[str, str]]:
        turns = [{"role": "system", "content": sys}] if sys is not None else []
        for example_text, answer in examples:
            turns += chat_messages(example_text, answer, None, instr)
        return turns + chat_messages(text, None, None, instr)

    kwargs = {"tokenize": False, "add_generation_prompt": True}
    try:
        return tokenizer.apply_chat_template(messages(system, instruction), **kwargs)
    except Exception as exc:  # a template that rejects the system role: as render_with_chat_template
        if "system" not in str(exc).lower():
            raise
        return tokenizer.apply_chat_template(messages(None, f"{system}\n\n{instruction}"), **kwargs)


def stop_strings(tokenizer: Any, format: str) -> list[str]:
    """The strings that end an answer: the EOS token, the chat end-of-turn markers the tokenizer
    knows as special tokens, and in the llama2 format ``</s>`` and a new ``[INST]`` (plain text for
    tokenizers whose EOS is not ``</s>``)."""
    special = set(getattr(tokenizer, "all_special_tokens", ()))
    stops = [getattr(tokenizer, "eos_token", None)]
    stops += [s for s in ("<|im_end|>", "<|eot_id|>", "<end_of_turn>") if s in special]
    if format == "llama2":
        stops += [EOS, B_INST]
    return list(dict.fromkeys(s for s in stops if s))


class _TextStop:
    """A stopping criterion: a row is done once its last few new tokens contain one of `stops` as
    text (a decode of a short tail per row and step, for stop strings that are not single tokens)."""

    def __init__(self, tokenizer: Any, stops: Sequence[str], prompt_width: int):
        self.tokenizer = tokenizer
        self.stops = list(stops)
        self.prompt_width = prompt_width
        self.window = 2 + max(len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in self.stops)

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        tail = input_ids[:, max(self.prompt_width, input_ids.shape[1] - self.window) :]
        texts = self.tokenizer.batch_decode(tail, skip_special_tokens=False)
        return torch.tensor([any(s in t for s in self.stops) for t in texts], dtype=torch.bool,
                            device=input_ids.device)


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    """`text` up to the first stop string, stripped."""
    end = len(text)
    for stop in stops:
        at = text.find(stop)
        if at != -1:
            end = min(end, at)
    return text[:end].strip()
