"""Word spans from the classifier's token head, in the same forward pass as the scores.

Training: a token is labelled 1 when its characters overlap a human-marked span of the text
(`CMDRecord.biased_spans`: Toxic Spans annotations, words a human rewrite removed), 0 in a text
with no risk at all, and ignored (`IGNORE`) where a text is risky but nobody marked its words.

Inference: a word (Unicode word characters with inner apostrophes and hyphens, as
`srllm.classify.explain.WORD`) is flagged when the largest token probability inside it reaches the
threshold chosen on dev; its score is that probability. Offsets are Python string indices (code
points), so texts with emoji and non-ASCII characters map back exactly.

Span F1 is SemEval-2021 Task 5's (Pavlopoulos et al. 2021): per text, F1 between the predicted and
gold sets of character offsets (1.0 when both are empty, 0.0 when only one is), averaged over texts.
Worked example: gold {0..4}, predicted {2..7} -> P = 3/6, R = 3/5, F1 = 0.545.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from srllm.classify.explain import WORD

IGNORE = -100.0


def token_labels(offsets: Sequence[tuple[int, int]], spans: Sequence[Sequence[int]] | None, supervised: bool
                 ) -> list[float]:
    """Per-token targets: 1 inside a span, 0 outside, `IGNORE` for special tokens and unsupervised texts."""
    out = []
    for start, end in offsets:
        if end <= start or not supervised:
            out.append(IGNORE)
        else:
            out.append(1.0 if any(start < e and s < end for s, e in spans or ()) else 0.0)
    return out


def word_spans(text: str, offsets: Sequence[tuple[int, int]], probs: np.ndarray, threshold: float
               ) -> list[tuple[int, int, float]]:
    """(start, end, score) of each word of `text` whose best token probability is >= `threshold`."""
    best: dict[tuple[int, int], float] = {}
    words = [m.span() for m in WORD.finditer(text)]
    if not words:
        return []
    starts = np.array([s for s, _ in words])
    for (start, end), p in zip(offsets, probs):
        if end <= start or p < threshold:
            continue
        j = int(np.searchsorted(starts, start, side="right")) - 1
        # a token can start inside a word or on punctuation just before one; take the word it overlaps
        for k in (j, j + 1):
            if 0 <= k < len(words) and start < words[k][1] and words[k][0] < end:
                best[words[k]] = max(best.get(words[k], 0.0), float(p))
    return [(s, e, round(score, 4)) for (s, e), score in sorted(best.items())]


def char_set(spans: Iterable[Sequence[int]]) -> set[int]:
    return {i for span in spans for i in range(int(span[0]), int(span[1]))}


def span_f1(predicted: Iterable[Sequence[int]], gold: Iterable[Sequence[int]]) -> float:
    """Character-level F1 of one text (SemEval-2021 Task 5)."""
    p, g = char_set(predicted), char_set(gold)
    if not p and not g:
        return 1.0
    if not p or not g:
        return 0.0
    overlap = len(p & g)
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(p), overlap / len(g)
    return 2 * precision * recall / (precision + recall)


def mean_span_f1(predicted: Sequence[Iterable[Sequence[int]]], gold: Sequence[Iterable[Sequence[int]]]) -> float:
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predictions for {len(gold)} gold span lists")
    return float(np.mean([span_f1(p, g) for p, g in zip(predicted, gold)])) if gold else float("nan")


def best_span_threshold(texts: Sequence[str], offsets: Sequence[Sequence[tuple[int, int]]],
                        probs: Sequence[np.ndarray], gold: Sequence[Sequence[Sequence[int]]],
                        grid: Sequence[float] = tuple(np.round(np.arange(0.1, 0.91, 0.05), 2))) -> tuple[float, float]:
    """(threshold, mean span F1) maximising span F1 over `grid` (ties: the lowest threshold)."""
    best = (0.5, -1.0)
    for t in grid:
        pred = [[(s, e) for s, e, _ in word_spans(x, o, p, t)] for x, o, p in zip(texts, offsets, probs)]
        f1 = mean_span_f1(pred, gold)
        if f1 > best[1] + 1e-9:
            best = (float(t), f1)
    return best
