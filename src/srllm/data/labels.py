"""Label derivation shared by the adapters, and text helpers.

- sentiment: VADER (Hutto & Gilbert 2014), a lexicon from PyPI, with its documented thresholds:
  compound >= 0.05 Positive, <= -0.05 Negative, else Neutral.
- stance_sentiment (label derivation v2): the paper derives negative sentiment from stereotyping
  (section 3.2), so a text that humans labelled stereotyping, hateful or sexist is Negative towards
  its target whatever VADER says; VADER decides only where no such human label exists.
- STEREOTYPE_TOXICITY: the toxicity of a demeaning generalisation about a group spelled out without
  abuse ("<group> are violent": implied statements, synthetic stereotype templates). It is No: the
  taxonomy keeps stereotyping on the bias axis (bias Yes, sentiment Negative -> Unsafe) and toxicity for
  abusive language. Mild was tried (classifiers v6 and v7): the toxicity head then fired on any short
  sentence about a group, and ToxiGen toxicity AUROC fell from 0.761 to 0.726-0.728 (README, classifiers v6-v9).
- edited_words / edited_spans: the words a human rewrite removed or replaced (difflib over word
  tokens) and their character spans, used as biased words for rewrite pairs.
"""

from __future__ import annotations

import difflib
import re
from functools import cache, lru_cache

from srllm.data.spans import WORD, Span, merge_spans
from srllm.taxonomy import SentimentLevel

VADER_POSITIVE = 0.05
VADER_NEGATIVE = -0.05
STEREOTYPE_TOXICITY = "No"


@cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=200_000)
def vader_compound(text: str) -> float:
    return float(_vader().polarity_scores(text)["compound"])


def sentiment(text: str) -> SentimentLevel:
    """The VADER sentiment level of `text`."""
    compound = vader_compound(text)
    if compound >= VADER_POSITIVE:
        return "Positive"
    if compound <= VADER_NEGATIVE:
        return "Negative"
    return "Neutral"


def stance_sentiment(text: str, negative_stance: bool) -> SentimentLevel:
    """Negative when humans labelled `text` stereotyping, hateful or sexist; else its VADER level."""
    return "Negative" if negative_stance else sentiment(text)


_DETOK = [
    (re.compile(r" ([.,!?;:%)\]}])"), r"\1"),
    (re.compile(r"([(\[{$]) "), r"\1"),
    (re.compile(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", re.IGNORECASE), r"\1"),
    (re.compile(r"(\w) '(t|s|re|ve|ll|d|m)\b", re.IGNORECASE), r"\1'\2"),
    (re.compile(r"\s+"), " "),
]


def detokenize(text: str) -> str:
    """Undo PTB-style tokenisation (" ." " 's" " n't") and fold whitespace."""
    for pattern, repl in _DETOK:
        text = pattern.sub(repl, text)
    return text.strip()


def words(text: str) -> list[str]:
    return WORD.findall(text)


def edited_spans(source: str, rewrite: str) -> list[Span]:
    """Character spans of `source` covering the words `rewrite` deleted or replaced; a run of
    changed words is one span (case-insensitive word diff)."""
    tokens = list(WORD.finditer(source))
    tgt = [w.lower() for w in words(rewrite)]
    matcher = difflib.SequenceMatcher(a=[t.group(0).lower() for t in tokens], b=tgt, autojunk=False)
    return merge_spans((tokens[i1].start(), tokens[i2 - 1].end())
                       for tag, i1, i2, _j1, _j2 in matcher.get_opcodes() if tag in ("delete", "replace"))


def edited_words(source: str, rewrite: str) -> list[str]:
    """Words of `source` that `rewrite` deleted or replaced, in order, without repeats (case-insensitive diff)."""
    src = words(source)
    tgt = [w.lower() for w in words(rewrite)]
    matcher = difflib.SequenceMatcher(a=[w.lower() for w in src], b=tgt, autojunk=False)
    out: list[str] = []
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            for word in src[i1:i2]:
                if word.lower() not in (w.lower() for w in out):
                    out.append(word)
    return out


def token_changes(source: str, rewrite: str) -> tuple[int, int]:
    """(source tokens changed, rewrite tokens changed) between two whitespace-tokenised texts."""
    a, b = source.split(), rewrite.split()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    changed_a = changed_b = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changed_a += i2 - i1
            changed_b += j2 - j1
    return changed_a, changed_b
