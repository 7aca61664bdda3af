"""Contamination checks: training text must never appear in an evaluation set.

Texts are compared by a hash of their normalised form: Unicode NFKC, case-folded, every run of
non-alphanumeric characters turned into one space, trimmed. So "Women are BAD!!" and
"women are bad" collide, while any change of a word does not. Emoji and other pictographs
(U+2190-U+2BFF, U+1F000-U+1FAFF) count as words: "I love 🐀" and "I love 👳🏾" (a HatemojiBuild
perturbation pair) are different texts.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from srllm.data.schema import CMDRecord

_NON_ALNUM = re.compile(r"(?:(?![\u2190-\u2bff\U0001F000-\U0001FAFF])[\W_])+")


def normalise(text: str) -> str:
    return _NON_ALNUM.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def text_hash(text: str) -> str:
    """16-byte BLAKE2b of the normalised text, hex."""
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=16).hexdigest()


@dataclass
class EvalIndex:
    """Hashes of every text of every evaluation set: hash -> names of the sets that hold it."""

    sets: dict[str, int] = field(default_factory=dict)  # set name -> distinct texts indexed
    owners: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, name: str, texts: Iterable[str]) -> None:
        hashes = {text_hash(t) for t in texts if normalise(t)}
        self.sets[name] = len(hashes)
        for h in hashes:
            self.owners[h].add(name)

    def hits(self, text: str | None) -> set[str]:
        return self.owners.get(text_hash(text), set()) if text else set()

    def record_hits(self, record: CMDRecord) -> set[str]:
        """Evaluation sets that hold the record's text or its benign variation."""
        return self.hits(record.text) | self.hits(record.benign_variation)


def build_eval_index(loaders: Mapping[str, Callable[[], Iterable[str]]], log: Callable[[str], None] = lambda _: None) -> EvalIndex:
    index = EvalIndex()
    for name, texts in loaders.items():
        index.add(name, texts())
        log(f"  indexed {index.sets[name]:>7} distinct texts of {name}")
    return index


@dataclass
class OverlapReport:
    """Per evaluation set: rows of the corpus whose text (or variation) it holds."""

    indexed: dict[str, int]
    overlap: Counter[str]
    by_source: dict[str, Counter[str]]

    @property
    def total(self) -> int:
        return sum(self.overlap.values())

    def rows(self) -> list[dict[str, object]]:
        return [
            {"eval_set": name, "texts_indexed": n, "overlapping_rows": self.overlap.get(name, 0)}
            for name, n in sorted(self.indexed.items())
        ]

    def markdown(self) -> str:
        lines = ["| evaluation set | texts indexed | overlapping training rows |", "|---|---:|---:|"]
        lines += [f"| {r['eval_set']} | {r['texts_indexed']} | {r['overlapping_rows']} |" for r in self.rows()]
        return "\n".join(lines)


def overlap_report(records: Iterable[CMDRecord], index: EvalIndex) -> OverlapReport:
    overlap: Counter[str] = Counter()
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        for name in index.record_hits(record):
            overlap[name] += 1
            by_source[record.source][name] += 1
    return OverlapReport(dict(index.sets), overlap, dict(by_source))
