"""The ``lite`` engine: a small, deterministic moderation engine for a tiny footprint.

Scores come from `srllm.classify.lexical.LexicalScorer` (alt-profanity-check, VADER and the demographic
lexicon, no neural network), the same scorer as the evaluation's ``profanity-vader`` judge.

The rewrite masks the words that drove the score (toxic words and words of strongly negative
valence), re-scores, and falls back to a fixed notice when the masked text is still unsafe or
keeps fewer than 3 words or under half of them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher

from srllm.classify.lexical import WORD, LexicalScorer
from srllm.classify.report import RiskReport, Span
from srllm.language import mark
from srllm.rewrite.result import FELL_BACK, KEPT, REWRITTEN
from srllm.serve.engine import LocalChat, RewriteOutcome

MIN_WORDS, MIN_KEPT = 3, 0.5  #: a masked text with fewer words, or under this share of them, falls back
FALLBACK = "[This text was withheld: it could not be rewritten into a safe form.]"


class LiteEngine:
    """alt-profanity-check + VADER + the demographic lexicon; see the module docstring."""

    name = "lite"

    def __init__(self, chat_model: str = "smollm2-135m-instruct"):
        self._scorer = LexicalScorer()
        self._chat = LocalChat(chat_model)

    @property
    def loaded(self) -> bool:
        return self._scorer.loaded

    def load(self) -> None:
        self._scorer.load()

    # --- classify -----------------------------------------------------------------------------

    def classify(self, texts: Sequence[str], explain: bool = False) -> list[RiskReport]:
        reports = self._scorer.classify(texts, explain)
        mark(reports)  # language, and judged=False for text the English lexicons cannot read
        return reports

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
                output, decision, risk_after = report.text, KEPT, None
            else:
                risk_after = after[i]
                kept = len(WORD.findall(masked[i]))
                ok = not risk_after.unsafe and kept >= MIN_WORDS and kept >= MIN_KEPT * len(WORD.findall(report.text))
                output, decision = (masked[i], REWRITTEN) if ok else (FALLBACK, FELL_BACK)
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
