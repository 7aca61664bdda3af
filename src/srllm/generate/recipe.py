"""`PromptRecipe`: the prompt side every rewriter backend shares (format, system prompt, instruction,
few-shot turns, stop strings), and the checks of its sampling arguments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from srllm.generate.prompting import few_shot_prompt, stop_strings
from srllm.prompts import FORMATS, default_format


def check_sampling(n: int, temperature: float, top_p: float) -> None:
    """Raise ValueError unless n >= 1, temperature > 0 and 0 < top_p <= 1."""
    if n < 1 or temperature <= 0 or not 0 < top_p <= 1:
        raise ValueError(f"need n >= 1, temperature > 0 and 0 < top_p <= 1 (got {n}, {temperature}, {top_p})")


class PromptRecipe:
    """A base for rewriters: `_set_recipe` stores the recipe, `prompt(text)` renders it; calling the
    rewriter is ``rewrite(texts)``. Subclasses set `tokenizer` and define `rewrite`."""

    tokenizer: Any

    def _set_recipe(self, tokenizer: Any, format: str, system: str, instruction: str,
                    few_shot: Sequence[tuple[str, str]] | None, max_new_tokens: int, name: str | None) -> None:
        self.format = default_format(tokenizer) if format == "auto" else format
        if self.format not in FORMATS:
            raise ValueError(f"format {format!r} is not one of {['auto', *FORMATS]}")
        self.system = system
        self.instruction = instruction
        self.few_shot = [tuple(pair) for pair in few_shot or ()]
        self.max_new_tokens = max_new_tokens
        self.name = name
        self.stops = stop_strings(tokenizer, self.format)
        self.last_stats: dict[str, Any] = {}
        self.info: dict[str, Any] = {}

    def prompt(self, text: str) -> str:
        """The prompt string for `text` (the training prompt, after the few-shot turns if any)."""
        return few_shot_prompt(self.tokenizer, text, self.few_shot, self.format, self.system, self.instruction)

    def __call__(self, texts: Sequence[str]) -> list[str]:
        return self.rewrite(texts)

    def _strip_special(self, text: str) -> str:
        for special in getattr(self.tokenizer, "all_special_tokens", ()):
            if special and special in text:
                text = text.replace(special, "")
        return text.strip()
