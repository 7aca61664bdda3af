"""The one result shape of every risk detector in srllm: `RiskReport`.

A report carries, for one text, the predicted level and the calibrated probability of every level
of each taxonomy category (bias, toxicity, sentiment, harm), the learned ``unsafe`` head's
probability and decision, the paper's Annotation rule applied to the predicted levels, and the
character spans of the words that drove the unsafe / bias / toxicity scores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from srllm.taxonomy import CATEGORIES, annotate

#: The heads of the multi-head classifier: the four taxonomy categories and the learned unsafe head.
UNSAFE_HEAD = "unsafe"
UNSAFE_LEVELS: tuple[str, ...] = ("Benign", "Unsafe")
HEADS: tuple[str, ...] = (*CATEGORIES, UNSAFE_HEAD)


@dataclass(frozen=True)
class Span:
    """Characters ``text[start:end]`` of the input, with how much they drove the score."""

    start: int
    end: int
    text: str
    score: float
    head: str = UNSAFE_HEAD


@dataclass
class RiskReport:
    """What a detector says about one text.

    ``labels`` maps each category to its predicted level; ``probabilities`` maps every head
    (categories and ``unsafe``) to ``{level: probability}``. ``unsafe`` is the learned head's
    decision at its stored threshold; ``annotation`` is the taxonomy rule on ``labels``.
    """

    text: str
    labels: dict[str, str]
    probabilities: dict[str, dict[str, float]]
    unsafe_score: float
    unsafe: bool
    spans: list[Span] = field(default_factory=list)
    annotation: str = ""
    #: the text's language (ISO 639, `srllm.language`) and whether the English models can judge it;
    #: a report with ``judged=False`` says nothing about the text's safety
    language: str | None = None
    judged: bool = True

    def __post_init__(self) -> None:
        if not self.annotation:
            self.annotation = annotate(**{c: self.labels[c] for c in CATEGORIES})

    @property
    def is_unsafe(self) -> bool:
        """The learned unsafe head's decision (the Annotation rule is reported beside it)."""
        return self.unsafe

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskReport:
        spans = [Span(**s) for s in data.get("spans", [])]
        return cls(**{**data, "spans": spans})
