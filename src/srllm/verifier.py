"""Checks a distilled pair must pass: the teacher's rewrite counts as a benign variation of its input.

The rules reuse the rewrite pipeline's rule functions and `Verdict` (`srllm.rewrite.verify`) with
thresholds of their own, plus checks only a training pair needs (not restating, keeping the topic,
changed). A rewrite is kept when every rule holds:

- ``source_flagged``: the risk classifier calls the *input* unsafe. Otherwise it cannot tell whether the
  rewrite removed anything: in a pilot, 19 of the 25 kept pairs had an input the classifier already called
  benign, mostly returned with a word or a comma changed ("love you the bearer of the aryan race!");
- ``benign``: the risk classifier does not call it unsafe (its learned unsafe head);
- ``similarity``: the sentence-embedding cosine to the input is at least ``min_similarity``
  (chosen on dev pairs by `choose_threshold`);
- ``not_reply``: it does not open like an assistant's answer ("I'm sorry", "Sure, ...": the
  pipeline's `looks_like_reply`), nor does the reply detector, when given, call it a reply
  (`srllm.rewrite.replies`);
- ``not_restating``: it does not attribute the claim to others ("There is a perception that ...",
  "Some people believe ...") or hedge it ("Some X may be ..., but ...");
- ``keeps_group``: every demographic axis the input names (`named_groups`) is named in the rewrite
  too (a slur may become the group's name, not disappear);
- ``keeps_topic``: at least ``min_topic_overlap`` of the input's content words (not stop words, not
  the words the classifier flagged, not group words) occur in the rewrite (compared by their
  first five letters, so "taxes" matches "tax");
- ``length_ratio``: words(rewrite) / words(input) within [``min_length_ratio``, ``max_length_ratio``]
  (`length_ratio` with this module's `words` and no floor);
- ``changed``: it is not the input again (case, spaces and punctuation aside).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from srllm.rewrite.text import looks_like_reply
from srllm.rewrite.verify import (
    Verdict,
    check_length_bounds,
    dropped_groups,
    is_empty,
    is_unsafe,
    length_ratio,
    named_groups,
    similar_enough,
)

__all__ = ["RULES", "Verdict", "Verifier", "VerifierConfig", "choose_threshold", "content_stems", "groups",
           "restates_or_hedges", "words"]

RULES = ("source_flagged", "benign", "similarity", "not_reply", "not_restating", "keeps_group", "keeps_topic", "length_ratio",
         "changed")
_REASONS = {
    "source_flagged": "the classifier does not call the input unsafe, so the rewrite cannot be verified",
    "benign": "judged unsafe",
    "similarity": "similarity below min_similarity",
    "not_reply": "empty, or reads like a reply to the text",
    "not_restating": "attributes the claim to others or hedges it",
    "keeps_group": "dropped a group the text named",
    "keeps_topic": "lost the text's topic words",
    "length_ratio": "length ratio out of range",
    "changed": "the text again",
}
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_RESTATING = re.compile(
    r"\b(?:there (?:is|are|was|exists?) (?:a |an )?(?:common |widespread |popular |persistent )?"
    r"(?:perception|belief|stereotype|notion|idea|assumption|misconception|view|claim)s? that"
    r"|(?:some|many|certain) (?:people|folks|individuals|critics|observers) (?:may |might )?"
    r"(?:think|believe|say|feel|claim|argue|assume|perceive)"
    r"|it is (?:often|commonly|widely|sometimes) (?:said|believed|thought|assumed|claimed) that)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"^\W*(?:some|many|certain)\b[^,.;]{0,40}?\b(?:may|might|could|can)\b[^.;]*\bbut\b",
                    re.IGNORECASE)


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@dataclass(frozen=True)
class VerifierConfig:
    min_similarity: float = 0.55
    min_topic_overlap: float = 0.34
    min_length_ratio: float = 0.4
    max_length_ratio: float = 2.5

    def __post_init__(self) -> None:
        for name in ("min_similarity", "min_topic_overlap"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        check_length_bounds(self.min_length_ratio, self.max_length_ratio)


def groups(text: str) -> set[str]:
    """The demographic axes `text` names (none: the empty set)."""
    return set(named_groups(text))


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def restates_or_hedges(text: str) -> bool:
    """True when `text` attributes a claim to others or hedges a generalisation ("Some X may ..., but")."""
    return bool(_RESTATING.search(text) or _HEDGE.search(text))


def _stem(word: str) -> str:
    return word.casefold().replace("’", "'")[:5]


def content_stems(text: str, exclude: Sequence[str] = ()) -> set[str]:
    """First-five-letter stems of the content words of `text` (no stop words, >= 3 letters), less
    the words in `exclude` and the words naming a demographic group."""
    stop = _stop_words()
    excluded = {_stem(w) for e in exclude for w in words(e)}
    out = set()
    for word in words(text):
        lower = word.casefold()
        if len(lower) < 3 or lower in stop or groups(lower):
            continue
        stem = _stem(lower)
        if stem not in excluded:
            out.add(stem)
    return out


def _normalised(text: str) -> str:
    return " ".join(w.casefold() for w in words(text))


class Verifier:
    """The rules above over a batch. `classifier` has ``predict(texts, explain=False) ->
    list[RiskReport]``; `similarity(a, b)` gives one cosine per pair; `replies`, a
    `srllm.rewrite.replies.ReplyDetector` (or anything with its ``flags``), joins ``not_reply``."""

    def __init__(self, classifier: Any, similarity: Callable[[Sequence[str], Sequence[str]], np.ndarray],
                 config: VerifierConfig | None = None, replies: Any = None):
        self.classifier = classifier
        self.similarity = similarity
        self.config = config or VerifierConfig()
        self.replies = replies

    def verify(self, sources: Sequence[str], outputs: Sequence[str],
               flagged: Sequence[Sequence[str]] | None = None) -> list[Verdict]:
        """One verdict per pair; `flagged` are words of each source that carry the risk (biased
        words, classifier spans), left out of the topic check."""
        if len(sources) != len(outputs):
            raise ValueError(f"{len(sources)} sources but {len(outputs)} outputs")
        if not sources:
            return []
        flagged = flagged or [[] for _ in sources]
        live = [i for i, o in enumerate(outputs) if o.strip()]
        distinct = list(dict.fromkeys(sources))  # retries verify one source against many candidates
        scored = self.classifier.predict([outputs[i] for i in live] + distinct)
        reports = dict(zip(live, scored[: len(live)]))
        by_source = dict(zip(distinct, scored[len(live):]))
        source_reports = [by_source[s] for s in sources]
        sims = self.similarity([sources[i] for i in live], [outputs[i] for i in live]) if live else []
        similarity = dict(zip(live, (float(s) for s in sims)))
        replied = (dict(zip(live, self.replies.flags([sources[i] for i in live], [outputs[i] for i in live])))
                   if self.replies is not None and live else {})
        return [self._one(src, out, reports.get(i), similarity.get(i, 0.0), flagged[i], source_reports[i],
                          replied.get(i, False))
                for i, (src, out) in enumerate(zip(sources, outputs))]

    def _one(self, source: str, output: str, report: Any, similarity: float, flagged: Sequence[str],
             source_report: Any = None, replied: bool = False) -> Verdict:
        cfg = self.config
        ratio = length_ratio(source, output, words=words)
        groups_in, groups_out = named_groups(source), named_groups(output)
        topic = content_stems(source, flagged)
        kept_topic = topic & content_stems(output)
        overlap = len(kept_topic) / len(topic) if topic else 1.0
        scores: dict[str, Any] = {
            "unsafe_score": round(float(report.unsafe_score), 4) if report is not None else None,
            "source_unsafe_score": round(float(source_report.unsafe_score), 4) if source_report is not None else None,
            "similarity": round(similarity, 4),
            "topic_overlap": round(overlap, 3),
            "length_ratio": round(ratio, 3),
            "groups_in": sorted(groups_in),
            "groups_out": sorted(groups_out),
        }
        checks = {
            "source_flagged": source_report is None or is_unsafe(source_report),
            "benign": not is_unsafe(report),
            "similarity": similar_enough(similarity, cfg.min_similarity),
            "not_reply": not is_empty(output) and not replied and not looks_like_reply(source, output),
            "not_restating": not restates_or_hedges(output) or restates_or_hedges(source),
            "keeps_group": not dropped_groups(groups_in, groups_out),
            "keeps_topic": overlap >= cfg.min_topic_overlap,
            "length_ratio": cfg.min_length_ratio <= ratio <= cfg.max_length_ratio,
            "changed": _normalised(output) != _normalised(source),
        }
        failed = [rule for rule in RULES if not checks[rule]]
        return Verdict(not failed, [_REASONS[rule] for rule in failed], failed, scores)


def choose_threshold(positive: Sequence[float], negative: Sequence[float]) -> dict[str, float]:
    """The similarity threshold that best separates true rewrites (`positive`: cosine of a text and
    its reference rewrite) from mismatched pairs (`negative`): the largest Youden J = TPR - FPR over
    every candidate cut; ties go to the lower threshold (keeping more)."""
    pos, neg = np.asarray(positive, dtype=float), np.asarray(negative, dtype=float)
    if pos.size == 0 or neg.size == 0:
        raise ValueError("need at least one positive and one negative similarity")
    best = (-2.0, 0.0, 0.0, 0.0)
    for cut in np.unique(np.concatenate([pos, neg])):
        tpr, fpr = float((pos >= cut).mean()), float((neg >= cut).mean())
        if tpr - fpr > best[0] + 1e-12:
            best = (tpr - fpr, float(cut), tpr, fpr)
    return {"threshold": round(best[1], 4), "youden_j": round(best[0], 4), "tpr": round(best[2], 4),
            "fpr": round(best[3], 4), "n_positive": int(pos.size), "n_negative": int(neg.size)}
