"""Small stand-ins for the safety pipeline's models: a lexicon classifier, scripted rewriters and a
word-overlap similarity. Deterministic and instant, so the pipeline's decisions can be tested."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from srllm.classify.report import RiskReport, Span

BAD_WORDS = frozenset({"idiot", "idiots", "stupid", "moron", "worthless", "dumb", "shit", "scum"})
_WORD = re.compile(r"\w+")


class LexiconClassifier:
    """Unsafe when the text has a word from `BAD_WORDS`; those words are the spans."""

    def __init__(self, bad_words: frozenset[str] = BAD_WORDS):
        self.bad_words = bad_words
        self.calls: list[tuple[list[str], bool]] = []

    def predict(self, texts: list[str], explain: bool = False) -> list[RiskReport]:
        self.calls.append((list(texts), explain))
        reports = []
        for text in texts:
            hits = [m for m in _WORD.finditer(text) if m.group(0).casefold() in self.bad_words]
            unsafe = bool(hits)
            p = 0.9 if unsafe else 0.1
            reports.append(RiskReport(
                text=text,
                labels={"bias": "No", "toxicity": "Mild" if unsafe else "No",
                        "sentiment": "Negative" if unsafe else "Neutral", "harm": "Low"},
                probabilities={"bias": {"No": 0.9, "Yes": 0.1}, "toxicity": {"No": 1 - p, "Mild": p, "High": 0.0},
                               "sentiment": {"Negative": p, "Neutral": 1 - p, "Positive": 0.0},
                               "harm": {"Low": 1.0, "Medium": 0.0, "High": 0.0},
                               "unsafe": {"Benign": 1 - p, "Unsafe": p}},
                unsafe_score=p, unsafe=unsafe,
                spans=[Span(m.start(), m.end(), m.group(0), 0.5) for m in hits] if explain else [],
            ))
        return reports


class ScriptedRewriter:
    """Greedy output from `greedy(text)`, sampled candidates from `sampled(text, k)`; records calls."""

    def __init__(self, greedy: Callable[[str], str], sampled: Callable[[str, int], str] | None = None):
        self.greedy = greedy
        self.sampled = sampled
        self.seen: list[str] = []
        self.sample_calls = 0

    def rewrite(self, texts: Sequence[str]) -> list[str]:
        self.seen += list(texts)
        return [self.greedy(t) for t in texts]

    def candidates(self, texts: Sequence[str], n: int = 4, *, temperature: float = 0.8, top_p: float = 0.95,
                   seed: int = 0) -> list[list[str]]:
        self.sample_calls += 1
        if self.sampled is None:
            return [[self.greedy(t)] * n for t in texts]
        return [[self.sampled(t, k) for k in range(n)] for t in texts]


def soften(text: str) -> str:
    """A faithful 'rewrite': each bad word replaced by a mild one, the rest kept."""
    return _WORD.sub(lambda m: "unkind" if m.group(0).casefold() in BAD_WORDS else m.group(0), text)


def overlap_similarity(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Jaccard overlap of lower-cased word sets (0 for an empty text)."""
    out = []
    for x, y in zip(a, b):
        wx, wy = {w.casefold() for w in _WORD.findall(x)}, {w.casefold() for w in _WORD.findall(y)}
        out.append(len(wx & wy) / len(wx | wy) if wx and wy else 0.0)
    return np.array(out, dtype=float)
