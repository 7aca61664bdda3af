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

import inspect
import threading
from collections.abc import Callable, Sequence
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
        """One result per text with ``to_dict()`` giving input, output, decision ("kept" |
        "rewritten" | "fell_back", `srllm.rewrite.result.DECISIONS`), risk_before, risk_after, similarity,
        spans, timings."""

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int, temperature: float = 0.0,
             on_text: Callable[[str], bool] | None = None) -> str:
        """The assistant's answer to `messages` (OpenAI roles, text contents); when given, `on_text`
        receives each new piece of the answer as it is generated and stops generation by returning False."""


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
        return {"input": self.input, "output": self.output, "decision": self.decision,
                "risk_before": report_dict(self.risk_before),
                "risk_after": report_dict(self.risk_after) if self.risk_after is not None else None,
                "similarity": self.similarity, "spans": [vars(span).copy() for span in self.spans],
                "timings": dict(self.timings)}


def report_dict(report: RiskReport) -> dict[str, Any]:
    """`RiskReport.to_dict()` without `dataclasses.asdict`'s deep copy (the hot path of the server)."""
    return {"text": report.text, "labels": dict(report.labels),
            "probabilities": {head: dict(p) for head, p in report.probabilities.items()},
            "unsafe_score": report.unsafe_score, "unsafe": report.unsafe,
            "spans": [vars(span).copy() for span in report.spans], "annotation": report.annotation,
            "language": report.language, "judged": report.judged}


def to_dict(result: Any) -> dict[str, Any]:
    """A result object (RiskReport, RewriteResult, ...) or mapping as a JSON-able dict."""
    if isinstance(result, dict):
        return result
    if type(result) is RiskReport:
        return report_dict(result)
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

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int, temperature: float = 0.0,
             on_text: Callable[[str], bool] | None = None) -> str:
        """The answer; `on_text` gets each new piece of text as it is generated and stops the
        generation by returning False."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        self.load()
        tok = self._tokenizer
        prompt = tok.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
        ids = tok(prompt, return_tensors="pt", add_special_tokens=False)
        sample = temperature > 0
        pieces = _Pieces(tok, on_text)

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.full((input_ids.shape[0],), pieces.stopped, dtype=torch.bool)

        with torch.inference_mode():
            out = self._model.generate(
                **ids, max_new_tokens=max_tokens, do_sample=sample,
                temperature=temperature if sample else None, top_p=None, top_k=None,
                pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
                streamer=pieces if on_text is not None else None, stopping_criteria=StoppingCriteriaList([_Stop()]),
            )
        return tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True).strip()


class _Pieces:
    """A transformers streamer: decodes the new tokens and hands each new piece of text to `on_text`."""

    def __init__(self, tokenizer: Any, on_text: Callable[[str], bool] | None):
        self.tokenizer, self.on_text = tokenizer, on_text
        self.ids: list[int] = []
        self.sent = 0
        self.prompt_seen = False
        self.stopped = False

    def put(self, value: Any) -> None:
        if not self.prompt_seen:  # generate() first passes the prompt
            self.prompt_seen = True
            return
        self.ids += value.reshape(-1).tolist()
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if not text.endswith("\ufffd"):  # not in the middle of a multi-byte character
            self._emit(text)

    def end(self) -> None:
        self._emit(self.tokenizer.decode(self.ids, skip_special_tokens=True))

    def _emit(self, text: str) -> None:
        if len(text) > self.sent and self.on_text is not None and not self.stopped:
            if self.on_text(text[self.sent:]) is False:
                self.stopped = True
            self.sent = len(text)


class DefaultEngine:
    """The trained classifier and the safety pipeline (imported and loaded on first use)."""

    name = "default"

    def __init__(self, chat_model: str = "smollm2-135m-instruct", threads: int | None = None,
                 pipeline_config: str | None = None):
        self._classifier: Any = None
        self._pipeline: Any = None
        self._chat = LocalChat(chat_model)
        self._threads = threads
        self._pipeline_config = pipeline_config
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._classifier is not None and self._pipeline is not None

    def load(self) -> None:
        self.load_for("rewrite")

    def load_for(self, role: str) -> None:
        """Load what `role` needs: "classify" the classifier, "rewrite" the classifier and the pipeline."""
        with self._lock:
            try:
                from srllm.classify import load_classifier
                from srllm.rewrite import SafetyPipeline
            except ImportError as exc:
                raise EngineUnavailableError(
                    "the default engine needs srllm.classify.load_classifier and srllm.rewrite.SafetyPipeline "
                    f"({exc}); "
                    "use --engine lite meanwhile"
                ) from exc
            if self._classifier is None:
                self._classifier = load_classifier(threads=self._threads)
            if role != "classify" and self._pipeline is None:
                self._pipeline = self._load_pipeline(SafetyPipeline)

    def _load_pipeline(self, pipeline_class: Any) -> Any:
        """The pipeline of `pipeline_config` (its models, else the shipped ones), sharing the loaded
        classifier unless the file names another."""
        if self._pipeline_config is None:
            shares = "classifier" in inspect.signature(pipeline_class.load).parameters
            return pipeline_class.load(classifier=self._classifier) if shares else pipeline_class.load()
        from srllm.rewrite.config import read_pipeline_file

        config, models = read_pipeline_file(self._pipeline_config)
        models.setdefault("classifier", self._classifier)
        return pipeline_class.load(config, **models)

    def classify(self, texts: Sequence[str], explain: bool = False) -> list[RiskReport]:
        if self._classifier is None:
            self.load_for("classify")
        return list(self._classifier.predict(list(texts), explain=explain))

    def rewrite(self, texts: Sequence[str]) -> list[Any]:
        if self._pipeline is None:
            self.load_for("rewrite")
        run_many = getattr(self._pipeline, "run_many", None)  # run(texts) in the first interface sketch
        return list(run_many(list(texts)) if run_many is not None else self._pipeline.run(list(texts)))

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int, temperature: float = 0.0,
             on_text: Callable[[str], bool] | None = None) -> str:
        return self._chat.chat(messages, max_tokens, temperature, on_text)


def make_engine(name: str, chat_model: str = "smollm2-135m-instruct", threads: int | None = None,
                pipeline_config: str | None = None) -> Engine:
    """The engine called `name` ("default" or "lite"); `threads`: the classifier's CPU threads;
    `pipeline_config`: the default engine's safety-pipeline YAML file (None: the shipped defaults)."""
    if name == "default":
        return DefaultEngine(chat_model, threads, pipeline_config)
    if name == "lite":
        from srllm.serve.lite import LiteEngine

        return LiteEngine(chat_model)
    raise ValueError(f"unknown engine {name!r}; expected 'default' or 'lite'")
