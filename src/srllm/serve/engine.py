"""The `Engine` protocol the server talks to, and its two implementations.

* ``default``: the trained multi-head classifier (`srllm.classify.load_classifier`) and the safety
  pipeline (`srllm.rewrite.SafetyPipeline`), loaded once, lazily.
* ``lite`` (`srllm.serve.lite.LiteEngine`): a tiny-footprint engine built from alt-profanity-check,
  VADER and the taxonomy's demographic lexicon, with a span-masking rewrite.

Both chat with the packaged SmolLM2 model (`LocalChat`) when the guard has no upstream server.
Engine methods are synchronous and CPU-bound: the server calls them from one worker thread
(`srllm.serve.batching`), never from the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from srllm.classify.report import RiskReport, Span


class EngineUnavailableError(RuntimeError):
    """A component the request needs cannot be loaded (the server answers 503)."""


@runtime_checkable
class Engine(Protocol):
    """What the server needs from a moderation engine."""

    name: str

    @property
    def loaded(self) -> bool: ...

    def load(self) -> None:
        """Load the models (idempotent; the server calls it once, in the worker thread)."""

    def classify(self, texts: Sequence[str], explain: bool = False) -> list[RiskReport]:
        """One `RiskReport` per text."""

    def rewrite(self, texts: Sequence[str]) -> list[Any]:
        """One result per text with ``to_dict()`` giving input, output, decision
        ("unchanged" | "rewritten" | "fallback"), risk_before, risk_after, similarity, spans, timings."""

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int, temperature: float = 0.0) -> str:
        """The assistant's answer to `messages` (OpenAI roles and contents)."""


@dataclass
class RewriteOutcome:
    """The `SafetyPipeline` result shape, for engines that rewrite by other means."""

    input: str
    output: str
    decision: str
    risk_before: RiskReport
    risk_after: RiskReport | None
    similarity: float
    spans: list[Span] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def to_dict(result: Any) -> dict[str, Any]:
    """A result object (RiskReport, RewriteResult, ...) or mapping as a JSON-able dict."""
    if isinstance(result, dict):
        return result
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return asdict(result)


class LocalChat:
    """A chat model from `srllm.models` (default the packaged SmolLM2-135M-Instruct), loaded on first
    use; greedy decoding at temperature 0, sampling otherwise."""

    def __init__(self, model: str = "smollm2-135m-instruct"):
        self.model_name = model
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._model is None:
                try:
                    from srllm.models import load_causal_lm
                except ImportError as exc:  # pragma: no cover - depends on the install
                    raise EngineUnavailableError(f"local chat needs srllm[train] (torch, transformers): {exc}") from exc
                self._model, self._tokenizer = load_causal_lm(self.model_name)

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int, temperature: float = 0.0) -> str:
        import torch

        self.load()
        tok = self._tokenizer
        prompt = tok.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
        ids = tok(prompt, return_tensors="pt", add_special_tokens=False)
        sample = temperature > 0
        with torch.inference_mode():
            out = self._model.generate(
                **ids, max_new_tokens=max_tokens, do_sample=sample,
                temperature=temperature if sample else None, top_p=None, top_k=None,
                pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
            )
        return tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True).strip()


class DefaultEngine:
    """The trained classifier and the safety pipeline (imported and loaded on first use)."""

    name = "default"

    def __init__(self, chat_model: str = "smollm2-135m-instruct"):
        self._classifier: Any = None
        self._pipeline: Any = None
        self._chat = LocalChat(chat_model)
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._classifier is not None and self._pipeline is not None

    def load(self) -> None:
        with self._lock:
            if self.loaded:
                return
            try:
                from srllm.classify import load_classifier
                from srllm.rewrite import SafetyPipeline
            except ImportError as exc:
                raise EngineUnavailableError(
                    f"the default engine needs srllm.classify.load_classifier and srllm.rewrite.SafetyPipeline ({exc}); "
                    "use --engine lite meanwhile"
                ) from exc
            self._classifier = load_classifier()
            self._pipeline = SafetyPipeline.load()

    def classify(self, texts: Sequence[str], explain: bool = False) -> list[RiskReport]:
        self.load()
        return list(self._classifier.predict(list(texts), explain=explain))

    def rewrite(self, texts: Sequence[str]) -> list[Any]:
        self.load()
        return list(self._pipeline.run(list(texts)))

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int, temperature: float = 0.0) -> str:
        return self._chat.chat(messages, max_tokens, temperature)


def make_engine(name: str, chat_model: str = "smollm2-135m-instruct") -> Engine:
    """The engine called `name` ("default" or "lite")."""
    if name == "default":
        return DefaultEngine(chat_model)
    if name == "lite":
        from srllm.serve.lite import LiteEngine

        return LiteEngine(chat_model)
    raise ValueError(f"unknown engine {name!r}; expected 'default' or 'lite'")
