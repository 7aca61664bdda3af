"""The ``lite`` engine: a small, deterministic moderation engine for a tiny footprint.

Scores come from two real, packaged models and one lexicon, no neural network:

* toxicity: alt-profanity-check's calibrated linear SVM, ``p_tox = predict_prob(text)``
  (No < 0.5 <= Mild < 0.8 <= High), and per word for highlighting;
* sentiment: VADER's compound score ``c`` turned into three probabilities,
  ``P(Negative) = sigmoid(20(-c - 0.05))``, ``P(Positive) = sigmoid(20(c - 0.05))``,
  ``P(Neutral) = 1 - the two`` (floored at 0, renormalised); the label is the most probable;
* bias: ``P(Yes) = max(P(Negative), p_tox)`` when a demographic term of
  `srllm.data.demographics` occurs, else 0;
* harm: the strongest negative VADER word valence ``v`` (-4..0) as ``-v/4``, times ``P(Negative)``
  (Low < 0.5 <= Medium < 0.8 <= High);
* unsafe: ``max(p_tox, P(bias), harm) * P(Negative)`` >= 0.5, the paper's rule (a risk AND negative).

The rewrite masks the words that drove the score (toxic words and words of strongly negative
valence), re-scores, and falls back to a fixed notice when the masked text is still unsafe or
keeps fewer than 3 words or under half of them.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from typing import Any

from srllm.classify.report import RiskReport, Span
from srllm.language import mark
from srllm.serve.engine import LocalChat, RewriteOutcome

WORD = re.compile(r"[A-Za-z][A-Za-z'*@$-]*")
TOXIC_WORD = 0.5  #: per-word profanity probability from which a word is highlighted and masked
NEGATIVE_WORD = -1.5  #: VADER valence at or below which a word is highlighted and masked
MIN_WORDS, MIN_KEPT = 3, 0.5  #: a masked text with fewer words, or under this share of them, falls back
FALLBACK = "[This text was withheld: it could not be rewritten into a safe form.]"


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _three_levels(levels: tuple[str, str, str], p: float, mid: float = 0.5, high: float = 0.8
                  ) -> tuple[str, dict[str, float]]:
    """A score in [0, 1] as a level and a distribution over three ordered levels."""
    h = min(1.0, max(0.0, (p - mid) / (1.0 - mid)))
    probs = {levels[0]: 1.0 - p, levels[1]: p * (1.0 - h), levels[2]: p * h}
    level = levels[2] if p >= high else levels[1] if p >= mid else levels[0]
    return level, {k: round(max(0.0, v), 6) + 0.0 for k, v in probs.items()}


class LiteEngine:
    """alt-profanity-check + VADER + the demographic lexicon; see the module docstring."""

    name = "lite"

    def __init__(self, chat_model: str = "smollm2-135m-instruct"):
        self._predict_prob: Any = None
        self._vader: Any = None
        self._chat = LocalChat(chat_model)

    @property
    def loaded(self) -> bool:
        return self._predict_prob is not None

    def load(self) -> None:
        if self.loaded:
            return
        from profanity_check import predict_prob
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()
        self._predict_prob = predict_prob

    # --- classify -----------------------------------------------------------------------------

    def classify(self, texts: Sequence[str], explain: bool = False) -> list[RiskReport]:
        self.load()
        texts = list(texts)
        words = [[(m.start(), m.end(), m.group()) for m in WORD.finditer(t)] for t in texts]
        flat = [w[2] for ws in words for w in ws]
        scores = [float(p) for p in self._predict_prob(texts + flat)] if texts else []
        text_scores, word_scores = scores[: len(texts)], iter(scores[len(texts) :])
        reports = [
            self._report(text, p_tox, [(s, e, w, next(word_scores)) for s, e, w in ws])
            for text, p_tox, ws in zip(texts, text_scores, words)
        ]
        mark(reports)  # language, and judged=False for text the English lexicons cannot read
        return reports

    def _report(self, text: str, p_tox: float, words: list[tuple[int, int, str, float]]) -> RiskReport:
        from srllm.data.demographics import _patterns

        compound = self._vader.polarity_scores(text)["compound"] if text.strip() else 0.0
        neg, pos = _sigmoid(20 * (-compound - 0.05)), _sigmoid(20 * (compound - 0.05))
        sentiment = {"Negative": neg, "Neutral": max(0.0, 1.0 - neg - pos), "Positive": pos}
        total = sum(sentiment.values())
        sentiment = {k: round(v / total, 6) for k, v in sentiment.items()}
        neg = sentiment["Negative"]

        demo = [(m.start(), m.end(), m.group()) for _, pattern in _patterns() for m in pattern.finditer(text)]
        p_bias = max(neg, p_tox) if demo else 0.0
        valences = {(s, e): self._vader.lexicon.get(w.lower(), 0.0) for s, e, w, _ in words}
        strongest = min([0.0, *valences.values()])
        harm_score = min(1.0, -strongest / 4.0) * neg
        unsafe_score = round(max(p_tox, p_bias, harm_score) * neg, 6)

        tox_level, tox_probs = _three_levels(("No", "Mild", "High"), p_tox)
        harm_level, harm_probs = _three_levels(("Low", "Medium", "High"), harm_score)
        labels = {
            "bias": "Yes" if p_bias >= 0.5 else "No",
            "toxicity": tox_level,
            "sentiment": max(sentiment, key=sentiment.__getitem__),
            "harm": harm_level,
        }
        probabilities = {
            "bias": {"No": round(1 - p_bias, 6), "Yes": round(p_bias, 6)},
            "toxicity": tox_probs,
            "sentiment": sentiment,
            "harm": harm_probs,
            "unsafe": {"Benign": round(1 - unsafe_score, 6), "Unsafe": unsafe_score},
        }
        spans = [Span(s, e, w, round(p, 6), "toxicity") for s, e, w, p in words if p >= TOXIC_WORD]
        toxic = {(sp.start, sp.end) for sp in spans}
        spans += [Span(s, e, w, round(min(1.0, -valences[(s, e)] / 4.0), 6), "unsafe")
                  for s, e, w, _ in words if valences[(s, e)] <= NEGATIVE_WORD and (s, e) not in toxic]
        if p_bias >= 0.5:
            spans += [Span(s, e, w, round(p_bias, 6), "bias") for s, e, w in demo]
        spans.sort(key=lambda sp: (sp.start, sp.end))
        return RiskReport(text=text, labels=labels, probabilities=probabilities, unsafe_score=unsafe_score,
                          unsafe=unsafe_score >= 0.5, spans=spans)

    # --- rewrite ------------------------------------------------------------------------------

    def rewrite(self, texts: Sequence[str]) -> list[RewriteOutcome]:
        started = time.perf_counter()
        before = self.classify(texts, explain=True)
        classified = time.perf_counter()
        todo = [i for i, r in enumerate(before) if r.unsafe and r.judged]  # not judged: left as it is
        masked = [mask(r.text, [s for s in r.spans if s.head != "bias"]) if i in todo else r.text
                  for i, r in enumerate(before)]
        after = dict(zip(todo, self.classify([masked[i] for i in todo]))) if todo else {}
        done = time.perf_counter()
        outcomes = []
        for i, report in enumerate(before):
            if i not in after:
                output, decision, risk_after = report.text, "unchanged", None
            else:
                risk_after = after[i]
                kept = len(WORD.findall(masked[i]))
                ok = not risk_after.unsafe and kept >= MIN_WORDS and kept >= MIN_KEPT * len(WORD.findall(report.text))
                output, decision = (masked[i], "rewritten") if ok else (FALLBACK, "fallback")
            outcomes.append(RewriteOutcome(
                input=report.text, output=output, decision=decision, risk_before=report, risk_after=risk_after,
                similarity=round(similarity(report.text, output), 6), spans=list(report.spans),
                timings={"classify_s": round(classified - started, 6), "rewrite_s": round(done - classified, 6)},
            ))
        return outcomes

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int, temperature: float = 0.0,
             on_text: Callable[[str], bool] | None = None) -> str:
        return self._chat.chat(messages, max_tokens, temperature, on_text)


def mask(text: str, spans: Sequence[Span]) -> str:
    """`text` without the characters of `spans`, with the spaces and punctuation left tidy."""
    keep, at = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start >= at:
            keep.append(text[at : span.start])
            at = span.end
    keep.append(text[at:])
    out = re.sub(r"\s+", " ", "".join(keep))
    out = re.sub(r"\s+([,.!?;:])", r"\1", out)
    out = re.sub(r"([,;:])(?=[,.!?;:])", "", out)
    return out.strip(" ,;:")


def similarity(a: str, b: str) -> float:
    """Word-level similarity ratio (difflib) between two texts, in [0, 1]."""
    return SequenceMatcher(None, a.lower().split(), b.lower().split()).ratio()
