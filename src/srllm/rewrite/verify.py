"""The rewrite verifier: does a candidate rewrite of a text pass? One functional API, shared by the
safety pipeline and the distillation verifier:

    verify(source, source_report, candidate, candidate_report, similarity, rules) -> Verdict

Rules (each failed rule adds one reason; the candidate passes when there is none):

1. ``empty``: the candidate has text.
2. ``reply``: it does not open like an assistant's reply ("Sure, ...", "I'm sorry ...") unless the
   source did, and the caller's reply detector (``replied``, `srllm.rewrite.replies`) did not call
   it one: the generator answered or obeyed the text instead of rewriting it.
3. ``unsafe``: the classifier's unsafe head judges the candidate benign.
4. ``similarity``: its similarity to the source is at least ``min_similarity``.
5. ``length``: its word count over the source's is within [min_length_ratio, max_length_ratio],
   both counts floored at ``length_floor`` words so that short texts may grow or shrink a little.
6. ``target``: when the source is about a group (the classifier's bias head says ``Yes``), every
   demographic axis it names (`srllm.data.demographics`) is still named. A group named only by a
   word the toxicity head flagged (a slur) may go.
7. ``group_bias``: the candidate does not assert a stereotype about a group the source named: it
   fails when the candidate names one of the source's groups and the classifier's bias head says
   ``Yes`` with ``Negative`` sentiment (the paper's Annotation rule for bias), even when the
   unsafe head calls it benign ("women are inferior" -> "women are not good at mathematics").

The reports are `RiskReport`s of the classifier that guards the pipeline; the source report's spans
(``explain=True``) are used for rule 6 when present.

`Verdict` and the rule functions below (`is_empty`, `is_unsafe`, `similar_enough`, `length_ratio`,
`named_groups`, `dropped_groups`, `asserts_stereotype`, and `looks_like_reply` from
`srllm.rewrite.text`) are shared with the distillation verifier (`srllm.verifier`), which applies
them with its own thresholds and adds checks of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from srllm.classify.report import RiskReport, Span
from srllm.data.demographics import DEMOGRAPHIC_TERMS, group_mentions
from srllm.rewrite.text import looks_like_reply

RULES: tuple[str, ...] = ("empty", "reply", "unsafe", "similarity", "length", "target", "group_bias")
_WORDS = re.compile(r"\w+(?:['’]\w+)*")


def check_length_bounds(min_length_ratio: float, max_length_ratio: float) -> None:
    """Raise ValueError unless 0 < min_length_ratio <= 1 <= max_length_ratio."""
    if not 0 < min_length_ratio <= 1 <= max_length_ratio:
        raise ValueError(f"need 0 < min_length_ratio <= 1 <= max_length_ratio, got "
                         f"{min_length_ratio}, {max_length_ratio}")


@dataclass(frozen=True)
class VerifierRules:
    """The thresholds of the rules, and which rules apply (`enabled`, a subset of `RULES`)."""

    min_similarity: float = 0.6
    min_length_ratio: float = 0.4
    max_length_ratio: float = 2.5
    length_floor: int = 5
    enabled: tuple[str, ...] = RULES

    def __post_init__(self) -> None:
        unknown = sorted(set(self.enabled) - set(RULES))
        if unknown:
            raise ValueError(f"unknown verifier rule(s) {unknown}; expected some of {list(RULES)}")
        check_length_bounds(self.min_length_ratio, self.max_length_ratio)
        if self.length_floor < 1:
            raise ValueError(f"length_floor must be positive, got {self.length_floor}")


@dataclass
class Verdict:
    """``ok`` when no rule failed; ``reasons`` says why not, one short phrase per failed rule;
    ``rules`` names those rules in the same order; ``scores`` holds what the rules measured (the
    distillation verifier records them). ``kept`` and ``failed`` are the distillation's names for
    ``ok`` and ``rules``."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    scores: dict[str, Any] = field(default_factory=dict)

    @property
    def kept(self) -> bool:
        return self.ok

    @property
    def failed(self) -> list[str]:
        return self.rules

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the rules, one function each -------------------------------------------------------------


def is_empty(candidate: str) -> bool:
    return not candidate.strip()


def is_unsafe(report: RiskReport | None) -> bool:
    """True when the classifier's unsafe head flags the text (or there is no report to say otherwise)."""
    return report is None or report.unsafe


def similar_enough(similarity: float, min_similarity: float) -> bool:
    return similarity >= min_similarity


def pipeline_words(text: str) -> list[str]:
    """The words the pipeline's length rule counts."""
    return _WORDS.findall(text)


def length_ratio(source: str, candidate: str, floor: int = 0,
                 words: Callable[[str], Sequence[str]] = pipeline_words) -> float:
    """Words of `candidate` over words of `source`, both counts floored at `floor` (the source's at 1)."""
    return max(len(words(candidate)), floor) / max(len(words(source)), floor, 1)


def named_groups(text: str, slurs: Sequence[Span] = ()) -> list[str]:
    """The demographic axes `text` names, in taxonomy order, leaving out mentions inside `slurs`."""
    axes = []
    for axis, start, end in group_mentions(text):
        if not any(s.start < end and start < s.end for s in slurs) and axis not in axes:
            axes.append(axis)
    return [a for a in DEMOGRAPHIC_TERMS if a in axes]


def dropped_groups(source_groups: Sequence[str], candidate_groups: Iterable[str]) -> list[str]:
    """The groups of the source that the candidate no longer names."""
    kept = set(candidate_groups)
    return [g for g in source_groups if g not in kept]


def asserts_stereotype(report: RiskReport) -> bool:
    """The bias head says Yes with Negative sentiment (the paper's Annotation rule for bias)."""
    return report.labels.get("bias") == "Yes" and report.labels.get("sentiment") == "Negative"


# --- the pipeline's verifier ------------------------------------------------------------------


def verify(source: str, source_report: RiskReport | None, candidate: str, candidate_report: RiskReport,
           similarity: float, rules: VerifierRules | None = None, replied: bool = False) -> Verdict:
    """The verdict on `candidate` as a rewrite of `source`; see the module docstring for the rules.
    `replied`: a reply detector found that the candidate reads like a reply and the source does not."""
    rules = rules or VerifierRules()
    on = set(rules.enabled)
    failed: list[tuple[str, str]] = []
    if is_empty(candidate):
        return Verdict(False, ["empty rewrite"], ["empty"]) if "empty" in on else Verdict(True)
    if "reply" in on and (replied or looks_like_reply(source, candidate)):
        failed.append(("reply", "reads like a reply to the text, not a rewrite of it"))
    if "unsafe" in on and is_unsafe(candidate_report):
        failed.append(("unsafe", f"still unsafe (score {candidate_report.unsafe_score:.2f})"))
    if "similarity" in on and not similar_enough(similarity, rules.min_similarity):
        failed.append(("similarity", f"drifted from the meaning (similarity {similarity:.2f} < {rules.min_similarity})"))
    if "length" in on:
        ratio = length_ratio(source, candidate, rules.length_floor)
        if not rules.min_length_ratio <= ratio <= rules.max_length_ratio:
            n_src, n_out = len(pipeline_words(source)), len(pipeline_words(candidate))
            failed.append(("length", f"length ratio {ratio:.2f} outside [{rules.min_length_ratio}, "
                                     f"{rules.max_length_ratio}] ({n_out} words for {n_src})"))
    slurs = [s for s in (source_report.spans if source_report else []) if s.head == "toxicity"]
    source_groups = named_groups(source, slurs)
    kept = named_groups(candidate)
    if "target" in on and source_report is not None and source_report.labels.get("bias") == "Yes":
        lost = dropped_groups(source_groups, kept)
        if lost:
            failed.append(("target", f"dropped the target group ({', '.join(lost)})"))
    if "group_bias" in on and asserts_stereotype(candidate_report):
        about = [g for g in named_groups(source) if g in kept]
        if about:
            failed.append(("group_bias", f"asserts a stereotype about the group the text named ({', '.join(about)}): "
                                         "bias head Yes with Negative sentiment"))
    return Verdict(not failed, [r for _, r in failed], [k for k, _ in failed])
