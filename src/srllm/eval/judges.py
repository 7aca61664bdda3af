"""Judges: the scorers that decide whether an intervention's output is unsafe, kept apart from
the classifier the intervention consults (scoring a rewrite with the classifier that accepted it
gives 0 % unsafe by construction).

Built in (each is a `srllm.eval.scorers.Scorer`):

- ``judge-classifier``: an independent risk classifier (same five heads, another seed, trained on a
  disjoint half of the training sources; `make judge` builds it into ``srllm/assets/judge-classifier``);
- ``profanity-vader``: alt-profanity-check + VADER (`srllm.eval.scorers`), trained on other data; always available;
- ``perspective`` / ``openai-moderation``: when ``PERSPECTIVE_API_KEY`` / ``OPENAI_API_KEY`` is set;
- ``llm``: a chat model prompted with the taxonomy (`srllm.eval.llm_judge`); ``llm:MODEL`` on MODEL (a
  GGUF model such as qwen2.5-coder-1.5b-instruct runs on llama.cpp);
- ``srllm``: the shipped classifier. With the ``srllm`` intervention it is the intervention's own
  classifier: reports label its rates "(self-score)" and it is never a default judge; ``srllm:DIR`` is
  the classifier in the folder DIR.

The default judge set (`default_judges`) is every independent judge available, minus the scorers the
intervention consults (`CONSULTS`).
"""

from __future__ import annotations

import difflib
import os
from importlib import resources
from pathlib import Path
from typing import Any

from srllm.eval.scorers import SCORERS, Scorer, ScorerError, classifier_folder, load_scorer

JUDGE_DIR = "judge-classifier"
JUDGE_ENV = "SRLLM_JUDGE_CLASSIFIER"
JUDGE_HINT = ("the independent judge classifier is not built: run `make judge` (trains configs/judge-classifier.yaml "
              "and ships it to src/srllm/assets/judge-classifier), or pick another judge, e.g. --judge profanity-vader")
#: intervention -> the scorers it consults to decide (their after-rates are self-scores)
CONSULTS: dict[str, tuple[str, ...]] = {"srllm": ("srllm",), "delete-flagged": ("profanity-vader",)}
#: the independent judges, in the order reports list them
INDEPENDENT = ("judge-classifier", "profanity-vader", "perspective", "openai-moderation")
KEYS = {"perspective": "PERSPECTIVE_API_KEY", "openai-moderation": "OPENAI_API_KEY"}


def judge_classifier_dir() -> Path:
    """``$SRLLM_JUDGE_CLASSIFIER``, else ``srllm/assets/judge-classifier``."""
    return Path(os.environ.get(JUDGE_ENV) or str(resources.files("srllm") / "assets" / JUDGE_DIR))


def judge_classifier(path: str | Path | None = None) -> Scorer:
    folder = Path(path) if path else judge_classifier_dir()
    if not (folder / "classifier.json").is_file():
        raise ScorerError(f"{folder}: {JUDGE_HINT}")
    from srllm.classify.predictor import Classifier

    return Classifier.load(folder)


def _llm_judge(**kwargs: Any) -> Scorer:
    from srllm.eval.llm_judge import LLMJudge

    return LLMJudge.load(**kwargs)


JUDGES: dict[str, Any] = {**SCORERS, "judge-classifier": judge_classifier, "llm": _llm_judge}


def _parametrised(name: str) -> tuple[str, str] | None:
    """(judge, argument) of ``llm:MODEL`` or ``srllm:DIR`` (`srllm.eval.scorers.classifier_folder`), else None."""
    folder = classifier_folder(name)
    if folder:
        return "srllm", folder
    base, sep, model = name.partition(":")
    return ("llm", model) if base == "llm" and sep and model else None


def is_available(name: str) -> bool:
    """Whether a judge can be built without raising (assets present, key set)."""
    if name == "judge-classifier":
        return (judge_classifier_dir() / "classifier.json").is_file()
    if name in KEYS:
        return bool(os.environ.get(KEYS[name]))
    if name == "profanity-vader":
        import importlib.util

        return importlib.util.find_spec("profanity_check") is not None
    return name in JUDGES


def consulted(intervention: str | None) -> tuple[str, ...]:
    return CONSULTS.get(intervention or "none", ())


def default_judges(intervention: str | None) -> list[str]:
    """Every available independent judge that the intervention does not consult."""
    return [j for j in INDEPENDENT if j not in consulted(intervention) and is_available(j)]


def parse_judges(value: str | list[str] | None, intervention: str | None) -> list[str]:
    """Judge names from ``--judge`` (comma-separated or repeated); None or "auto": `default_judges`.
    Unknown names fail with a "did you mean"."""
    if value is None or value == "auto" or value == ["auto"]:
        return default_judges(intervention)
    items = value.split(",") if isinstance(value, str) else [v for item in value for v in str(item).split(",")]
    names = list(dict.fromkeys(v.strip() for v in items if v.strip()))
    for name in names:
        if name not in JUDGES and _parametrised(name) is None:
            close = difflib.get_close_matches(name, JUDGES, n=2)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise ScorerError(f"unknown judge {name!r}{hint} (known: {', '.join(JUDGES)})")
    return names


def judge_label(name: str, intervention: str | None) -> str:
    """The judge's name as reports print it: ``srllm (self-score)`` when the intervention consults it."""
    return f"{name} (self-score)" if name in consulted(intervention) else name


def load_judge(name: str, **kwargs: Any) -> Scorer:
    """The judge called `name` (see the module docstring); unknown names fail with a "did you mean"."""
    parametrised = _parametrised(name)
    if parametrised is None and name not in JUDGES:
        parse_judges([name], None)  # raises with a "did you mean"
    if parametrised is None:
        scorer = JUDGES[name](**kwargs)
    elif parametrised[0] == "llm":
        scorer = _llm_judge(model=parametrised[1], **kwargs)
    else:
        scorer = load_scorer(name, **kwargs)
    if not isinstance(scorer, Scorer):
        raise ScorerError(f"judge {name!r} has no predict(texts)")
    return scorer
