"""The one result shape of the safety intervention: `RewriteResult` (and `Segment`, one per chunk)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from srllm.classify.report import RiskReport, Span

#: The one vocabulary of a rewrite decision, for every engine (the guard adds its own passed / blocked).
KEPT = "kept"  # left as is: benign (or empty) text, or a benign text whose optional rewrite failed a check
REWRITTEN = "rewritten"  # a generated rewrite passed every check
FELL_BACK = "fell_back"  # no rewrite passed: the flagged words were masked / removed, or the text returned unchanged
DECISIONS = (KEPT, REWRITTEN, FELL_BACK)

#: Per category, the level whose probability is NOT risk (risk score = 1 - P(level)); sentiment's
#: risk is P(Negative), the Annotation rule's stand-in for stereotyping.
_SAFE_LEVEL = {"bias": "No", "toxicity": "No", "harm": "Low"}


def risk_summary(report: RiskReport) -> dict[str, Any]:
    """A report as the pipeline shows it: labels, the unsafe decision and score, the Annotation
    rule, and one risk probability per category (bias P(Yes), toxicity 1-P(No), harm 1-P(Low),
    sentiment P(Negative))."""
    scores: dict[str, float] = {}
    for category, probs in report.probabilities.items():
        if category in _SAFE_LEVEL and _SAFE_LEVEL[category] in probs:
            scores[category] = round(1.0 - float(probs[_SAFE_LEVEL[category]]), 4)
        elif category == "sentiment" and "Negative" in probs:
            scores[category] = round(float(probs["Negative"]), 4)
    return {"unsafe": bool(report.unsafe), "unsafe_score": round(float(report.unsafe_score), 4),
            "labels": dict(report.labels), "annotation": report.annotation, "scores": scores,
            "judged": report.judged, "language": report.language}


def merge_risks(risks: Sequence[dict[str, Any] | None]) -> dict[str, Any] | None:
    """The risk of a chunked text: unsafe if any chunk is, each score its maximum over chunks, the
    labels and annotation of the riskiest chunk."""
    risks = [r for r in risks if r is not None]
    if not risks:
        return None
    if len(risks) == 1:
        return risks[0]
    worst = max(risks, key=lambda r: r["unsafe_score"])
    keys = {k for r in risks for k in r["scores"]}
    return {"unsafe": any(r["unsafe"] for r in risks), "unsafe_score": worst["unsafe_score"],
            "labels": dict(worst["labels"]), "annotation": worst["annotation"],
            "scores": {k: max(r["scores"].get(k, 0.0) for r in risks) for k in sorted(keys)}}


@dataclass
class Segment:
    """One chunk of the input (the whole input unless it was long) and what happened to it."""

    start: int
    end: int
    text: str
    output: str
    decision: str
    risk_before: dict[str, Any] | None
    risk_after: dict[str, Any] | None
    similarity: float | None
    spans: list[Span] = field(default_factory=list)
    attempts: int = 0
    reason: str = ""
    fallback: str | None = None  # mask | remove | unchanged (decision fell_back)
    tier: str | None = None  # the tier whose rewrite passed


@dataclass
class RewriteResult:
    """What the pipeline did with one text.

    ``output`` is the text to use (the input itself when ``decision`` is ``kept``). ``spans`` are the
    flagged words as character offsets of ``input``. ``similarity`` is the cosine similarity of the
    output to the input (None when nothing was generated or edited). ``timings`` are seconds per
    stage of the call that produced this result (for `run_many`, of the whole batch) and its size.
    ``tier`` is the (highest) tier whose rewrite was used; ``fallback`` what the last resort did
    (``mask``, ``remove``, or ``unchanged``: the text returned as it was) when the decision is
    ``fell_back``.
    """

    input: str
    output: str
    decision: str
    risk_before: dict[str, Any] | None
    risk_after: dict[str, Any] | None
    spans: list[Span]
    similarity: float | None
    attempts: int
    reasons: list[str]
    timings: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    tier: str | None = None
    fallback: str | None = None

    @property
    def rewrite(self) -> str:
        return self.output

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def row(self) -> dict[str, Any]:
        """Flat fields for a batch output row (`srllm.batch.run_batch`)."""
        before, after = self.risk_before or {}, self.risk_after or {}
        return {
            "rewrite": self.output, "decision": self.decision,
            "unsafe_before": before.get("unsafe"), "unsafe_score_before": before.get("unsafe_score"),
            "labels_before": before.get("labels"), "unsafe_after": after.get("unsafe"),
            "unsafe_score_after": after.get("unsafe_score"), "similarity": self.similarity,
            "flagged_words": [s.text for s in self.spans], "attempts": self.attempts, "tier": self.tier,
            "fallback": self.fallback,
            "reasons": self.reasons, "warnings": self.warnings,
        }
