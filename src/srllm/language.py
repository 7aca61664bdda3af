"""Which language a text is in, and whether srllm's English models can judge it.

Detection is py3langid (a maintained fork of langid.py that ships its model, ~100 languages, pure
Python + numpy). A text is *not judged* when the English models cannot read it:

* most of its letters are in a non-Latin script (Hebrew, Cyrillic, Arabic, CJK, ...): the
  English models see unknown word pieces there, whatever langid's confidence; or
* it has at least `MIN_LETTERS` letters and langid names another language with probability
  >= `MIN_CONFIDENCE` (normalised over its languages).

Short Latin-script texts ("u r dumb af") are judged: langid cannot tell their language, and toxic
English is often telegraphic. On 4,000 English ParaDetox + Davidson posts these thresholds mark 1
as not judged (a Tagalog-English tweet). Detection takes ~0.1 ms a text.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

#: the languages the shipped classifier and rewriter were trained on
JUDGED_LANGUAGES: tuple[str, ...] = ("en",)
MIN_CONFIDENCE = 0.8
MIN_LETTERS = 10
NOT_JUDGED = "Not judged"  #: the annotation of a report whose text the models cannot judge

_lock = threading.Lock()
_identifier: Any = None


@dataclass(frozen=True)
class Language:
    """`code`: ISO 639 code (None when the text has no letters); `confidence`: langid's normalised
    probability; `judged`: whether the English models can judge the text."""

    code: str | None
    confidence: float
    judged: bool


def _model() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def _latin_share(letters: Sequence[str]) -> float:
    latin = sum(1 for ch in letters if ch.isascii() or "LATIN" in unicodedata.name(ch, ""))
    return latin / len(letters)


def detect(text: str) -> Language:
    """The language of `text` and whether it can be judged (see the module docstring)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return Language(None, 0.0, True)
    code, confidence = _model().classify(text)
    confidence = round(float(confidence), 4)
    if _latin_share(letters) < 0.5:
        return Language(code, confidence, code in JUDGED_LANGUAGES)
    foreign = code not in JUDGED_LANGUAGES and confidence >= MIN_CONFIDENCE and len(letters) >= MIN_LETTERS
    return Language(code, confidence, not foreign)


def detect_many(texts: Iterable[str]) -> list[Language]:
    return [detect(t) for t in texts]


def mark(reports: Sequence[Any]) -> None:
    """Set ``language`` and ``judged`` on each `RiskReport`; a report that cannot be judged gets the
    annotation "Not judged" instead of the taxonomy rule's "Benign" / "Unsafe"."""
    for report in reports:
        found = detect(report.text)
        report.language, report.judged = found.code, found.judged
        if not found.judged:
            report.annotation = NOT_JUDGED
