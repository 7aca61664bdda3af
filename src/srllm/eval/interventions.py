"""Interventions: callables ``texts -> texts`` applied to what a model produced (or to a test
set's texts) before re-scoring. Built in:

- ``srllm``: the SR_LLM safety pipeline (``srllm.rewrite.SafetyPipeline.load()``): detect, rewrite,
  re-score, retry or fall back; resolved lazily.
- ``identity``: returns the texts unchanged (the floor: "after" equals "before").
- ``delete-flagged``: a word-deletion baseline: drops every word that alt-profanity-check alone
  scores >= 0.5 (punctuation around the word goes with it).
- ``module:function``: any importable callable with the same signature.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable
from importlib import import_module

Intervention = Callable[[list[str]], list[str]]


class InterventionError(ValueError):
    """An intervention name does not resolve."""


def identity(texts: list[str]) -> list[str]:
    return list(texts)


_WORD = re.compile(r"\S+")


def delete_flagged(texts: list[str], threshold: float = 0.5) -> list[str]:
    """Drop words that alt-profanity-check flags on their own (>= `threshold`)."""
    from profanity_check import predict_prob

    words = sorted({w for t in texts for w in _WORD.findall(t)})
    flagged = {w for w, p in zip(words, predict_prob(words) if words else []) if p >= threshold}
    return [" ".join(w for w in _WORD.findall(t) if w not in flagged) for t in texts]


def srllm_pipeline(quality: str | None = None, config: str | None = None) -> Intervention:
    """The safety pipeline on the shipped defaults, or on the pipeline file `config` (a path or a shipped
    config's name), starting at tier `quality` (default: the configured one)."""
    try:
        from srllm.rewrite import PipelineConfig, SafetyPipeline
        from srllm.rewrite.config import read_pipeline_file
    except ImportError as exc:
        raise InterventionError("the srllm safety pipeline (srllm.rewrite.SafetyPipeline) is not available in this "
                                "install; use --intervention delete-flagged or identity") from exc
    if config is not None:
        try:
            settings, models = read_pipeline_file(config)
        except ValueError as exc:
            raise InterventionError(str(exc)) from None
        pipeline = SafetyPipeline.load(dataclasses.replace(settings, quality=quality) if quality else settings, **models)
    else:
        pipeline = SafetyPipeline.load(PipelineConfig(quality=quality) if quality else None)

    def run(texts: list[str]) -> list[str]:
        return [result.output for result in pipeline.run_many(list(texts))]

    run.results = lambda texts: pipeline.run_many(list(texts))  # type: ignore[attr-defined]  # decisions, for rewrite-challenge
    run.pipeline = pipeline  # type: ignore[attr-defined] - benchmarks that need the pipeline itself
    return run


BUILTIN: dict[str, Callable[[], Intervention]] = {
    "srllm": srllm_pipeline,
    "identity": lambda: identity,
    "delete-flagged": lambda: delete_flagged,
}


def load_intervention(name: str | None) -> Intervention | None:
    """The intervention called `name` (None or "none": no intervention)."""
    if name is None or name == "none":
        return None
    if name in BUILTIN:
        return BUILTIN[name]()
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            fn = getattr(import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise InterventionError(f"intervention {name!r}: {exc}") from None
        if not callable(fn):
            raise InterventionError(f"intervention {name!r} is not callable")
        return fn
    close = difflib.get_close_matches(name, [*BUILTIN, "none"], n=2)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise InterventionError(f"unknown intervention {name!r}{hint} (known: none, {', '.join(BUILTIN)}, or module:function)")
