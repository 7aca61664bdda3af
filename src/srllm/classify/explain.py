"""Word attributions by occlusion: which words drive the unsafe, bias and toxicity scores.

For a text with words w_1..w_n (Unicode word characters, with inner apostrophes and hyphens), the
attribution of w_i to a head's risk score s is ``s(text) - s(text without w_i)`` (Zeiler & Fergus
2014; Li et al. 2016, "Understanding Neural Networks through Representation Erasure"). Risk
scores: unsafe P(Unsafe), bias P(Yes), toxicity 1 - P(No). Words whose removal lowers a score by at
least `min_drop` are returned as character spans of the input (at most `top_k` per head, in text
order). Costs one extra forward pass per word (the first `max_words` words of a text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from srllm.classify.report import UNSAFE_HEAD, RiskReport, Span

if TYPE_CHECKING:  # pragma: no cover
    from srllm.classify.predictor import Classifier

WORD = re.compile(r"\w+(?:['’-]\w+)*")
EXPLAINED_HEADS = (UNSAFE_HEAD, "bias", "toxicity")


def word_spans(text: str, max_words: int = 100) -> list[tuple[int, int]]:
    """(start, end) of the first `max_words` words of `text`."""
    return [m.span() for m in WORD.finditer(text)][:max_words]


def without(text: str, start: int, end: int) -> str:
    """`text` with characters [start, end) removed and the surrounding spaces merged."""
    left, right = text[:start].rstrip(" "), text[end:].lstrip(" ")
    return f"{left} {right}" if left and right else left + right


def risk_scores(probs: dict[str, np.ndarray], levels: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """Per explained head, the probability of risk (see the module docstring)."""
    out = {}
    if UNSAFE_HEAD in probs:
        out[UNSAFE_HEAD] = probs[UNSAFE_HEAD][:, levels[UNSAFE_HEAD].index("Unsafe")]
    if "bias" in probs:
        out["bias"] = probs["bias"][:, levels["bias"].index("Yes")]
    if "toxicity" in probs:
        out["toxicity"] = 1.0 - probs["toxicity"][:, levels["toxicity"].index("No")]
    return out


def attributions(classifier: Classifier, texts: Sequence[str], max_words: int = 100
                 ) -> list[tuple[list[tuple[int, int]], dict[str, np.ndarray]]]:
    """For each text: its word spans and, per head, the score drop when each word is removed."""
    spans = [word_spans(t, max_words) for t in texts]
    variants = [without(t, s, e) for t, ws in zip(texts, spans) for s, e in ws]
    full = risk_scores(classifier.probabilities(list(texts)), classifier.levels)
    occluded = risk_scores(classifier.probabilities(variants), classifier.levels) if variants else {}
    out, offset = [], 0
    for i, ws in enumerate(spans):
        drops = {head: full[head][i] - occluded[head][offset : offset + len(ws)] if ws else np.zeros(0)
                 for head in full}
        out.append((ws, drops))
        offset += len(ws)
    return out


def explain_reports(classifier: Classifier, reports: list[RiskReport], min_drop: float = 0.05, top_k: int = 5,
                    max_words: int = 100) -> None:
    """Fill `report.spans` of each report in place."""
    for report, (ws, drops) in zip(reports, attributions(classifier, [r.text for r in reports], max_words)):
        spans = []
        for head in EXPLAINED_HEADS:
            if head not in drops or not len(ws):
                continue
            best = [int(j) for j in np.argsort(-drops[head], kind="stable")[:top_k] if drops[head][j] >= min_drop]
            for j in sorted(best):
                start, end = ws[j]
                spans.append(Span(start, end, report.text[start:end], round(float(drops[head][j]), 4), head))
        report.spans = spans
