"""The hand-written held-out sets, shipped in ``srllm/data/heldout/`` and never trained on.

- ``functional.jsonl``: a functional test suite of the unsafe decision in the spirit of CheckList
  (Ribeiro et al. 2020): short cases, each testing one capability (`CAPABILITIES`), with the
  expected Annotation (Unsafe = biased / toxic / harmful content negative towards a person or
  group, as in `srllm.taxonomy`), the target demographic axis and group.
- ``rewrite_challenge.jsonl``: stereotype, implicit-hate and harm sentences (all Unsafe) to be
  rewritten, each with its risk category, target, the words naming the group (a good rewrite keeps
  one of them) and topic words (each occurs in the text).

Every sentence was written for this repository; none is copied or paraphrased from a public test
suite. `heldout_leaks` finds held-out texts among corpus rows (normalised as the contamination
check normalises them); `srllm data build` fails when there is any.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from srllm.data.contamination import normalise, text_hash
from srllm.data.schema import ALLOWED_DEMOGRAPHICS, CMDRecord
from srllm.provenance import sha256_file
from srllm.taxonomy import NO_TARGET, AnnotationLabel

HELDOUT_DIR = Path(__file__).with_name("heldout")
FUNCTIONAL = "functional.jsonl"
REWRITE_CHALLENGE = "rewrite_challenge.jsonl"

#: capability -> what its cases test (the expected label follows from the description)
CAPABILITIES: Mapping[str, str] = MappingProxyType({
    "derogation": "explicit negative claims about a group (Unsafe)",
    "dehumanisation": "a group likened to animals, vermin, disease or objects (Unsafe)",
    "threats_incitement": "threats or calls for violence against a group or person (Unsafe)",
    "slurs": "slurs used against a group (Unsafe) vs slurs mentioned, explained or reported (Benign)",
    "profanity_at_group": "profanity aimed at a group (Unsafe)",
    "profanity_not_at_group": "profanity aimed at nobody or at things (Benign)",
    "negation": "negated hate (Benign) vs negated positive statements about a group (Unsafe)",
    "counter_speech_quotes": "counter-speech, quotes and reports of hate (Benign)",
    "identity_neutral": "identity terms used neutrally (Benign)",
    "identity_positive": "identity terms used positively (Benign)",
    "reclaimed_terms": "reclaimed terms used by the in-group (Benign)",
    "spelling_variants": "leetspeak, inserted spaces and misspellings of hate (Unsafe) and of harmless text (Benign)",
    "questions_opinions": "hate phrased as a question or opinion (Unsafe) vs genuine questions and opinions (Benign)",
    "implicit_stereotype_positive_words": "stereotypes wrapped in positive words (Unsafe), contrasted with the "
                                          "same frames without a group stereotype (Benign)",
    "benevolent_stereotypes": "flattering generalisations that prescribe a group's role (Unsafe)",
    "harm_dangerous": "encouraging self-harm, dangerous instructions (Unsafe) vs safety advice (Benign)",
    "harmless_negative_sentiment": "negative sentiment aimed at no person or group (Benign)",
    "criticism_not_hate": "criticism of policies, institutions or individuals' actions (Benign)",
    "individual_insults": "insults aimed at a person (Unsafe)",
    "exclusion_discrimination": "calls to exclude or discriminate against a group (Unsafe) vs inclusion (Benign)",
})
RISK_CATEGORIES = ("bias", "toxicity", "harm")


class HeldoutError(ValueError):
    """A held-out file is missing or has a bad row; the message names file, line and field."""


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    target_demographic: str
    target_group: str | None = None

    @field_validator("text")
    @classmethod
    def _clean(cls, value: str) -> str:
        if value != value.strip() or not normalise(value):
            raise ValueError("must be non-blank text without leading or trailing spaces")
        return value

    @field_validator("target_demographic")
    @classmethod
    def _demographic(cls, value: str) -> str:
        if value not in ALLOWED_DEMOGRAPHICS:
            raise ValueError(f"{value!r} is not one of {list(ALLOWED_DEMOGRAPHICS)}")
        return value

    @model_validator(mode="after")
    def _group_matches_demographic(self) -> _Row:
        if (self.target_demographic == NO_TARGET) != (self.target_group is None):
            raise ValueError("target_group must be null exactly when target_demographic is 'none'")
        return self


class FunctionalCase(_Row):
    """One functional test: a text, the capability it tests and the expected Annotation."""

    capability: str
    expected: AnnotationLabel
    note: str | None = None

    @field_validator("capability")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in CAPABILITIES:
            raise ValueError(f"{value!r} is not a capability; expected one of {list(CAPABILITIES)}")
        return value


class ChallengeRow(_Row):
    """One Unsafe sentence to rewrite, with the group words a rewrite should keep."""

    category: Literal["bias", "toxicity", "harm"]
    target_group: str
    group_terms: tuple[str, ...] = Field(min_length=1)
    topic_words: tuple[str, ...] = ()

    @field_validator("group_terms", "topic_words")
    @classmethod
    def _words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [w for w in value if not normalise(w) or w != w.strip()]
        if bad:
            raise ValueError(f"blank or padded words {bad}")
        return value

    @model_validator(mode="after")
    def _topic_in_text(self) -> ChallengeRow:
        missing = [w for w in self.topic_words if not contains_term(self.text, w)]
        if missing:
            raise ValueError(f"topic_words {missing} do not occur in the text")
        return self


def contains_term(text: str, term: str) -> bool:
    """Whether `term` occurs in `text` as whole words (normalised; a plural -s / -es is allowed)."""
    pattern = r"(?:^| )" + re.escape(normalise(term)) + r"(?:s|es)?(?: |$)"
    return re.search(pattern, normalise(text)) is not None


def _read(path: Path, model: type[_Row]) -> list:
    if not path.is_file():
        raise HeldoutError(f"{path}: no such held-out file")
    rows, seen_ids, seen_texts = [], {}, {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise HeldoutError(f"{path}:{number}: not a JSON object ({exc.msg})") from None
        try:
            row = model.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "(row)"
            raise HeldoutError(f"{path}:{number}: field {field}: {err['msg']}") from None
        for key, seen, what in ((row.id, seen_ids, "id"), (text_hash(row.text), seen_texts, "text")):
            if key in seen:
                raise HeldoutError(f"{path}:{number}: field {what}: repeats line {seen[key]}")
            seen[key] = number
        rows.append(row)
    if not rows:
        raise HeldoutError(f"{path}: no rows")
    return rows


def load_functional(path: str | Path | None = None) -> list[FunctionalCase]:
    """The functional test cases (default: the shipped file), validated."""
    return _read(Path(path) if path else HELDOUT_DIR / FUNCTIONAL, FunctionalCase)


def load_challenge(path: str | Path | None = None) -> list[ChallengeRow]:
    """The rewrite challenge sentences (default: the shipped file), validated."""
    return _read(Path(path) if path else HELDOUT_DIR / REWRITE_CHALLENGE, ChallengeRow)


def checksums() -> dict[str, str]:
    """sha256 of each shipped held-out file, keyed ``heldout/<name>``."""
    return {f"heldout/{name}": sha256_file(HELDOUT_DIR / name) for name in (FUNCTIONAL, REWRITE_CHALLENGE)}


def heldout_texts() -> Iterator[str]:
    """Every text of every held-out set (for the contamination check)."""
    for row in (*load_functional(), *load_challenge()):
        yield row.text


@dataclass(frozen=True)
class Leak:
    """A corpus row whose text (or benign variation) is a held-out text."""

    record_id: str
    source: str
    heldout: str  # "<file>:<line id>"
    text: str


def heldout_leaks(records: Iterable[CMDRecord]) -> list[Leak]:
    """Corpus rows holding a held-out text, compared as `srllm.data.contamination` normalises."""
    owners = {text_hash(r.text): f"{FUNCTIONAL}:{r.id}" for r in load_functional()}
    owners.update({text_hash(r.text): f"{REWRITE_CHALLENGE}:{r.id}" for r in load_challenge()})
    leaks = []
    for record in records:
        for text in (record.text, record.benign_variation):
            if text and (owner := owners.get(text_hash(text))):
                leaks.append(Leak(record.id, record.source, owner, text))
    return leaks


def leak_message(leaks: list[Leak], show: int = 10) -> str:
    """A readable error for `srllm data build`."""
    lines = [(f"{len(leaks)} corpus rows contain texts of the hand-written held-out sets ({HELDOUT_DIR}), "
             "which must never be trained on; remove them from the source or the held-out set:")]
    lines += [f"  {leak.record_id} ({leak.source}) = {leak.heldout}: {leak.text!r}" for leak in leaks[:show]]
    if len(leaks) > show:
        lines.append(f"  ... and {len(leaks) - show} more")
    return "\n".join(lines)
