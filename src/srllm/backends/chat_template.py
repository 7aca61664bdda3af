"""A GGUF's chat template, rendered as transformers renders it, without loading transformers.

`GGUFChatTemplate` has the part of a Hugging Face tokenizer that `srllm.prompts` and
`srllm.generate` use to build prompts (``chat_template``, ``apply_chat_template``, ``eos_token``,
``bos_token``, ``all_special_tokens``, ``name_or_path``), so the llama-cpp backend renders exactly
the prompt strings the transformers backend (and the trainer) renders. The template runs in a
sandboxed jinja2 environment with the options and helpers transformers uses (``trim_blocks``,
``lstrip_blocks``, ``raise_exception``, ``strftime_now``, a non-ASCII ``tojson``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import cached_property
from typing import Any


class ChatTemplateError(ValueError):
    """The template raised (``raise_exception``) or cannot be rendered."""


class GGUFChatTemplate:
    def __init__(self, chat_template: str | None, bos_token: str | None, eos_token: str | None,
                 special_tokens: Sequence[str] = (), name_or_path: str = ""):
        self.chat_template = chat_template
        self.bos_token = bos_token
        self.eos_token = eos_token
        self.all_special_tokens = list(dict.fromkeys(t for t in (bos_token, eos_token, *special_tokens) if t))
        self.name_or_path = name_or_path

    @classmethod
    def from_llama(cls, llm: Any, name_or_path: str = "") -> GGUFChatTemplate:
        """The template, BOS/EOS and control tokens of a loaded `llama_cpp.Llama`."""
        import llama_cpp

        def text(token: int) -> str | None:
            if token < 0:
                return None
            return llm.detokenize([token], special=True).decode("utf-8", errors="replace") or None

        control = [i for i in range(llm.n_vocab())
                   if llm._model.token_get_attr(i) & llama_cpp.LLAMA_TOKEN_ATTR_CONTROL]
        return cls(llm.metadata.get("tokenizer.chat_template"), text(llm.token_bos()), text(llm.token_eos()),
                   [t for t in (text(i) for i in control) if t], name_or_path)

    @cached_property
    def _compiled(self) -> Any:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def raise_exception(message: str) -> None:
            raise ChatTemplateError(message)

        def tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None, separators: Any = None,
                   sort_keys: bool = False) -> str:
            return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
        env.filters["tojson"] = tojson
        env.globals["raise_exception"] = raise_exception
        env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        return env.from_string(self.chat_template or "")

    def apply_chat_template(self, messages: Sequence[dict[str, Any]], tokenize: bool = False,
                            add_generation_prompt: bool = False, **kwargs: Any) -> str:
        if tokenize:
            raise ValueError("GGUFChatTemplate renders strings only; tokenize with the llama.cpp model")
        if not self.chat_template:
            raise ChatTemplateError(f"{self.name_or_path or 'this model'} has no chat template")
        return self._compiled.render(messages=list(messages), add_generation_prompt=add_generation_prompt,
                                     bos_token=self.bos_token or "", eos_token=self.eos_token or "", **kwargs)
