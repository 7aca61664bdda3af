"""The two kinds of adapter: training sources that yield CMD records, evaluation sets that
yield a tidy table (and every text in it, for contamination checks)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import ClassVar

import pandas as pd

from srllm.data.registry import Adapter
from srllm.data.schema import CMDRecord


class TrainAdapter(Adapter):
    """A TRAIN source: turns its rows into CMD records and counts every row it skips, by reason."""

    #: category (and "benign_variation", "target_demographic", "biased_words") -> how it is derived
    label_origin: ClassVar[Mapping[str, str]]

    def __init__(self, data_dir=None):
        super().__init__(data_dir)
        self.skipped: Counter[str] = Counter()

    def records(self) -> Iterator[CMDRecord]:
        raise NotImplementedError

    def skip(self, reason: str) -> None:
        """Count a source row that yields no record; the build reports every reason."""
        self.skipped[reason] += 1


class EvalAdapter(Adapter):
    """An EVALUATION set: never enters training; `texts()` feeds the contamination check."""

    #: columns of `load()` that hold text which must never appear in training data
    text_columns: ClassVar[tuple[str, ...]]

    def load(self) -> pd.DataFrame:
        raise NotImplementedError

    def texts(self) -> Iterator[str]:
        frame = self.load()
        for column in self.text_columns:
            for value in frame[column]:
                if isinstance(value, str) and value.strip():
                    yield value
