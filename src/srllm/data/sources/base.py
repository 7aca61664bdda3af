"""The two kinds of adapter: training sources that yield CMD records, evaluation sets that
yield a tidy table (and every text in it, for contamination checks)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import ClassVar

import pandas as pd

from srllm.data.demographics import detect_demographics
from srllm.data.labels import edited_words, sentiment
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


def public_record(
    source: str,
    key: str,
    text: str,
    *,
    bias: str,
    toxicity: str,
    harm: str,
    target: list[str] | None = None,
    **fields: object,
) -> CMDRecord:
    """A row of a public data set: VADER sentiment, demographics by lexicon unless `target` is given,
    the Annotation by the taxonomy's rule; id '<source>:<key>'."""
    return CMDRecord.labelled(
        id=f"{source}:{key}",
        text=text,
        bias=bias,
        toxicity=toxicity,
        sentiment=sentiment(text),
        harm=harm,
        target_demographic=target or detect_demographics(text),
        source=source,
        source_id=key,
        provenance="public",
        **fields,
    )


def rewrite_pair(
    *,
    source: str,
    key: str,
    text: str,
    rewrite: str,
    bias: str,
    toxicity: str,
    harm: str,
    target: list[str] | None = None,
    suffix: str = "rewrite",
) -> tuple[CMDRecord, CMDRecord]:
    """A human rewrite pair as two records: the original (labels given, biased words = what the
    rewrite changed, benign variation = the rewrite) and the rewrite as its own Benign-side row."""
    original = public_record(source, key, text, bias=bias, toxicity=toxicity, harm=harm, target=target,
                             biased_words=edited_words(text, rewrite), benign_variation=rewrite)
    neutral = public_record(source, f"{key}:{suffix}", rewrite, bias="No", toxicity="No", harm="Low",
                            parent_id=original.id)
    return original, neutral
