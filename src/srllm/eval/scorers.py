"""Scorers: anything with ``predict(texts) -> list[RiskReport]``.

- ``srllm``: the project's multi-head classifier (``srllm.classify.load_classifier``), resolved
  lazily so the evaluation suite imports without it; ``srllm:DIR`` is the classifier in the folder DIR
  (one written by ``srllm train classifier``, shipped or not).
- ``profanity-vader``: an independent, cheap scorer built from two published models, alt-profanity-check
  (a linear SVM on character n-grams trained on Davidson et al. and Wikipedia toxic comments) and VADER
  (Hutto & Gilbert 2014), plus the demographic lexicon: `srllm.classify.lexical.LexicalScorer`, the
  same rules the ``lite`` serving engine uses. Worked example (``tests/test_eval_scorers.py``): "You
  are a stupid idiot" -> toxicity High, sentiment Negative -> Unsafe; "What a lovely day" -> Benign.
- ``perspective`` / ``openai-moderation``: HTTP clients of Google's Perspective API and OpenAI's
  moderation endpoint, used when a key is given (``PERSPECTIVE_API_KEY`` / ``OPENAI_API_KEY``);
  ``base_url`` points them at any compatible server.
"""

from __future__ import annotations

import difflib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from srllm.classify.lexical import LexicalScorer
from srllm.classify.report import UNSAFE_LEVELS, RiskReport


@runtime_checkable
class Scorer(Protocol):
    """What every risk scorer offers."""

    def predict(self, texts: list[str]) -> list[RiskReport]: ...


class ScorerError(RuntimeError):
    """A scorer could not be built or called."""


def _levels(values: dict[str, float]) -> dict[str, float]:
    total = sum(values.values()) or 1.0
    return {k: float(v) / total for k, v in values.items()}


def _report(text: str, p_toxic: float, compound: float, mentions_group: bool, extra: dict | None = None) -> RiskReport:
    """A RiskReport from an API's toxicity probability, a VADER compound and whether a group is mentioned:
    toxicity High if ``p_toxic >= 0.8``, Mild if ``>= 0.5``; sentiment the VADER level; bias Yes when a
    group is mentioned and the sentiment is Negative; harm Medium when toxicity is High;
    ``unsafe_score = min(max(p_toxic, p_bias), (1 - compound) / 2)`` with ``p_bias = (1 - compound) / 2``
    when a group is mentioned, else 0 (a fuzzy AND of "risky" and "negative")."""
    from srllm.data.labels import VADER_NEGATIVE, VADER_POSITIVE

    sentiment = "Positive" if compound >= VADER_POSITIVE else "Negative" if compound <= VADER_NEGATIVE else "Neutral"
    toxicity = "High" if p_toxic >= 0.8 else "Mild" if p_toxic >= 0.5 else "No"
    p_negative = (1.0 - compound) / 2.0
    bias = "Yes" if mentions_group and sentiment == "Negative" else "No"
    harm = "Medium" if toxicity == "High" else "Low"
    p_bias = p_negative if mentions_group else 0.0
    score = min(max(p_toxic, p_bias), p_negative)
    labels = {"bias": bias, "toxicity": toxicity, "sentiment": sentiment, "harm": harm}
    probs = {
        "bias": {"No": 1 - p_bias, "Yes": p_bias},
        "toxicity": _levels({"No": max(0.0, 1 - p_toxic), "Mild": p_toxic if toxicity == "Mild" else p_toxic / 2,
                             "High": p_toxic if toxicity == "High" else p_toxic / 2}),
        "sentiment": _levels({"Negative": max(0.0, -compound), "Neutral": 1 - abs(compound), "Positive": max(0.0, compound)}),
        "harm": {"Low": 1 - p_toxic / 2, "Medium": p_toxic / 2, "High": 0.0},
        "unsafe": {"Benign": 1 - score, "Unsafe": score},
    }
    report = RiskReport(text=text, labels=labels, probabilities={**probs, **(extra or {})}, unsafe_score=float(score),
                        unsafe=False)
    report.unsafe = report.annotation == UNSAFE_LEVELS[1]
    return report


class ProfanityVaderScorer(LexicalScorer):
    """`srllm.classify.lexical.LexicalScorer` under its judge name; a missing alt-profanity-check is a ScorerError."""

    name = "profanity-vader"

    def __init__(self) -> None:
        super().__init__()
        try:
            self.load()
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ScorerError("profanity-vader needs alt-profanity-check: pip install 'srllm[eval]'") from exc


def _post(url: str, payload: dict[str, Any], headers: dict[str, str], timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - URL from the user
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise ScorerError(f"{url}: HTTP {exc.code}: {exc.read()[:200]!r}") from None
    except (urllib.error.URLError, TimeoutError) as exc:
        raise ScorerError(f"{url}: {exc}") from None


class PerspectiveScorer:
    """Google Perspective API (``comments:analyze``): TOXICITY and IDENTITY_ATTACK summary scores.

    toxicity probability = TOXICITY; a group is "mentioned" when IDENTITY_ATTACK >= 0.5;
    sentiment from VADER; the rest as in `_report`."""

    name = "perspective"
    DEFAULT_URL = "https://commentanalyzer.googleapis.com"

    def __init__(self, api_key: str | None = None, base_url: str | None = None, timeout: float = 30.0):
        self.api_key = api_key or os.environ.get("PERSPECTIVE_API_KEY")
        if not self.api_key:
            raise ScorerError("perspective needs an API key: set PERSPECTIVE_API_KEY or pass api_key")
        self.base_url = (base_url or self.DEFAULT_URL).rstrip("/")
        self.timeout = timeout

    def predict(self, texts: list[str]) -> list[RiskReport]:
        from srllm.data.labels import vader_compound

        out = []
        for text in texts:
            data = _post(f"{self.base_url}/v1alpha1/comments:analyze?key={self.api_key}",
                         {"comment": {"text": text}, "languages": ["en"],
                          "requestedAttributes": {"TOXICITY": {}, "IDENTITY_ATTACK": {}}}, {}, self.timeout)
            try:
                scores = {k: float(v["summaryScore"]["value"]) for k, v in data["attributeScores"].items()}
            except (KeyError, TypeError, ValueError):
                raise ScorerError(f"perspective: unexpected response {str(data)[:200]}") from None
            identity = scores.get("IDENTITY_ATTACK", 0.0)
            out.append(_report(text, scores["TOXICITY"], vader_compound(text), identity >= 0.5,
                               {"perspective": scores}))
        return out


class OpenAIModerationScorer:
    """OpenAI moderation endpoint (``POST /v1/moderations``): the highest category score is the
    toxicity probability (``flagged`` forces it to at least 0.8); hate / harassment scores >= 0.5
    count as a group mention; sentiment from VADER."""

    name = "openai-moderation"
    DEFAULT_URL = "https://api.openai.com"

    def __init__(self, api_key: str | None = None, base_url: str | None = None, model: str = "omni-moderation-latest",
                 timeout: float = 30.0, batch_size: int = 32):
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY")
        if not self.api_key:
            raise ScorerError("openai-moderation needs an API key: set OPENAI_API_KEY or pass api_key")
        self.base_url = (base_url or self.DEFAULT_URL).rstrip("/")
        self.model, self.timeout, self.batch_size = model, timeout, batch_size

    def predict(self, texts: list[str]) -> list[RiskReport]:
        from srllm.data.labels import vader_compound

        out: list[RiskReport] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start:start + self.batch_size])
            data = _post(f"{self.base_url}/v1/moderations", {"input": batch, "model": self.model},
                         {"Authorization": f"Bearer {self.api_key}"}, self.timeout)
            results = data.get("results")
            if not isinstance(results, list) or len(results) != len(batch):
                raise ScorerError(f"openai-moderation: expected {len(batch)} results, got {str(data)[:200]}")
            for text, result in zip(batch, results):
                scores = {k: float(v) for k, v in result.get("category_scores", {}).items()}
                p_toxic = max(scores.values(), default=0.0)
                if result.get("flagged"):
                    p_toxic = max(p_toxic, 0.8)
                group = max(scores.get("hate", 0.0), scores.get("harassment", 0.0)) >= 0.5
                out.append(_report(text, p_toxic, vader_compound(text), group, {"openai": scores}))
        return out


def _srllm_classifier(**kwargs: Any) -> Scorer:
    try:
        from srllm.classify import load_classifier
    except ImportError as exc:
        raise ScorerError("the srllm classifier (srllm.classify.load_classifier) is not available in this "
                          "install; use --scorer profanity-vader") from exc
    return load_classifier(**kwargs)


SCORERS: dict[str, Callable[..., Scorer]] = {
    "srllm": _srllm_classifier,
    "profanity-vader": ProfanityVaderScorer,
    "perspective": PerspectiveScorer,
    "openai-moderation": OpenAIModerationScorer,
}


def classifier_folder(name: str) -> str | None:
    """DIR of a scorer named ``srllm:DIR``, else None."""
    base, sep, folder = name.partition(":")
    return folder if base == "srllm" and sep else None


def load_scorer(name: str = "srllm", **kwargs: Any) -> Scorer:
    """The scorer registered as `name`, or the classifier in DIR for ``srllm:DIR``; a wrong name
    gets a 'did you mean', a folder without a classifier names the folder."""
    folder = classifier_folder(name)
    if folder is not None:
        if not (Path(folder) / "classifier.json").is_file():
            raise ScorerError(f"scorer {name!r}: {folder} holds no classifier (no classifier.json); expected a "
                              "folder written by `srllm train classifier`")
        return _srllm_classifier(path=folder, **kwargs)
    if name not in SCORERS:
        close = difflib.get_close_matches(name, SCORERS, n=2)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise ScorerError(f"unknown scorer {name!r}{hint} (known: {', '.join(SCORERS)})")
    scorer = SCORERS[name](**kwargs)
    if not isinstance(scorer, Scorer):
        raise ScorerError(f"scorer {name!r} has no predict(texts)")
    return scorer


def score_texts(scorer: Scorer, texts: Sequence[str], batch_size: int = 256) -> list[RiskReport]:
    """`scorer.predict` in batches, checking it returns one report per text."""
    out: list[RiskReport] = []
    for start in range(0, len(texts), batch_size):
        batch = list(texts[start:start + batch_size])
        reports = scorer.predict(batch)
        if len(reports) != len(batch):
            raise ScorerError(f"scorer returned {len(reports)} reports for {len(batch)} texts")
        out.extend(reports)
    return out
