"""The pipeline's last resort, when no tier's rewrite of a chunk passed the verifier.

With ``fallback: mask`` (or ``remove``) the words the classifier flagged (spans of the unsafe and
toxicity heads; bias spans mark the group, which a rewrite must keep) are masked (or deleted), and
the edit is used only when the classifier then judges it benign and it touches at most
``max_masked_share`` of the words. Otherwise, and with ``fallback: none``, the chunk is returned
unchanged. Either way the decision is ``fell_back`` and the reason says why no rewrite passed,
which words were masked with the head and score that flagged them, or why nothing was masked. The
text is never replaced by a notice: the caller gets its own text back, with its risk report, and
decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from srllm.classify.report import RiskReport, Span
from srllm.rewrite.result import FELL_BACK, KEPT, risk_summary
from srllm.rewrite.text import edit_spans

EDITED_HEADS = ("unsafe", "toxicity")
UNCHANGED = "unchanged"
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


@dataclass
class Work:
    """A chunk of one input text in flight through the pipeline."""

    text_index: int
    start: int
    end: int
    text: str
    tail: str
    report: RiskReport | None = None
    spans: list[Span] = field(default_factory=list)
    output: str | None = None
    decision: str = KEPT
    risk_after: dict[str, Any] | None = None
    similarity: float | None = None
    attempts: int = 0
    reason: str = ""
    fallback: str | None = None
    tier: str | None = None
    failures: list[str] = field(default_factory=list)
    timed_out: bool = False

    def why(self) -> str:
        return "; ".join(self.failures) or "no rewrite"


def edit_places(spans: list[Span]) -> list[tuple[int, int]]:
    """The (start, end) places to edit: spans of `EDITED_HEADS`, each place once."""
    return sorted({(s.start, s.end) for s in spans if s.head in EDITED_HEADS})


def _flagged(text: str, spans: list[Span], places: list[tuple[int, int]]) -> str:
    best: dict[tuple[int, int], Span] = {}
    for s in spans:
        if s.head in EDITED_HEADS and (s.start, s.end) in places and ((s.start, s.end) not in best or s.score > best[(s.start, s.end)].score):
            best[(s.start, s.end)] = s
    return ", ".join(f"'{text[a:b]}' ({best[(a, b)].head} {best[(a, b)].score:.2f})" for a, b in places)


def _share(text: str, places: list[tuple[int, int]]) -> tuple[int, int]:
    words = [m.span() for m in _WORD.finditer(text)]
    hit = sum(1 for a, b in words if any(s < b and a < e for s, e in places))
    return hit, len(words)


def fall_back(classifier: Any, failed: list[Work], mode: str, max_masked_share: float) -> None:
    """Decide every chunk in `failed` (see the module docstring); edits are scored in one batch."""
    unsafe = []
    for w in failed:
        if w.report is not None and not w.report.unsafe:  # rewrite_benign: a failed optional rewrite
            w.output, w.decision, w.reason = w.text, KEPT, f"judged benign; optional rewrite rejected ({w.why()})"
        else:
            unsafe.append(w)
    plans: list[tuple[Work, list[tuple[int, int]], str | None, str]] = []
    for w in unsafe:
        places = edit_places(w.spans) if mode != "none" else []
        hit, total = _share(w.text, places)
        if mode == "none":
            plans.append((w, places, None, "fallback none: returned unchanged"))
        elif not places:
            plans.append((w, places, None, "no flagged words to mask: returned unchanged"))
        elif hit > max_masked_share * total:
            plans.append((w, places, None, f"masking would hide {hit} of {total} words "
                                           f"({_flagged(w.text, w.spans, places)}): returned unchanged"))
        else:
            plans.append((w, places, edit_spans(w.text, places, mode), ""))
    edits = [e for _, _, e, _ in plans if e is not None and e.strip()]
    verdicts = iter(classifier.predict(edits, explain=False) if edits else [])
    verb = "masked" if mode == "mask" else "removed"
    for w, places, edit, problem in plans:
        w.decision = FELL_BACK
        report = next(verdicts) if edit is not None and edit.strip() else None
        if edit is not None and report is not None and not report.unsafe:
            w.output, w.fallback, w.risk_after = edit, mode, risk_summary(report)
            w.reason = f"{w.why()}; {verb} {len(places)} flagged word(s): {_flagged(w.text, w.spans, places)}"
            continue
        if edit is not None:
            problem = (f"still unsafe after masking {_flagged(w.text, w.spans, places)}" if report is not None
                       else "nothing left after removing the flagged words") + ": returned unchanged"
        w.output, w.fallback = w.text, UNCHANGED
        w.risk_after = risk_summary(w.report) if w.report is not None else None
        w.reason = f"{w.why()}; {problem}"
