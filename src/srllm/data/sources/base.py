"""The two kinds of adapter: training sources that yield CMD records, evaluation sets that
yield a tidy table (and every text in it, for contamination checks)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import ClassVar

import pandas as pd

from srllm.data.contamination import text_hash
from srllm.data.demographics import detect_demographics
from srllm.data.labels import STEREOTYPE_TOXICITY, edited_spans, stance_sentiment
from srllm.data.registry import Adapter
from srllm.data.schema import CMDRecord
from srllm.data.spans import span_words
from srllm.data.targets import group_axes, names_group

#: at most this many implied statements of one post become rows (annotators often restate one stereotype)
MAX_IMPLIED_PER_POST = 2


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
    negative_stance: bool = False,
    biased_spans: list[tuple[int, int]] | None = None,
    **fields: object,
) -> CMDRecord:
    """A row of a public data set; id '<source>:<key>'.

    Sentiment is Negative when `negative_stance` (humans labelled the text stereotyping, hateful or
    sexist), else VADER; demographics by lexicon unless `target` is given; with `biased_spans`, the
    biased words are the words inside them; the Annotation by the taxonomy's rule."""
    if biased_spans:
        fields["biased_words"] = span_words(text, biased_spans)
        fields["biased_spans"] = biased_spans
    return CMDRecord.labelled(
        id=f"{source}:{key}",
        text=text,
        bias=bias,
        toxicity=toxicity,
        sentiment=stance_sentiment(text, negative_stance),
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
    negative_stance: bool = False,
    suffix: str = "rewrite",
) -> tuple[CMDRecord, CMDRecord]:
    """A human rewrite pair as two records: the original (labels given, biased spans and words = what
    the rewrite deleted or replaced, benign variation = the rewrite) and the rewrite as its own
    Benign-side row."""
    original = public_record(source, key, text, bias=bias, toxicity=toxicity, harm=harm, target=target,
                             negative_stance=negative_stance, biased_spans=edited_spans(text, rewrite),
                             benign_variation=rewrite)
    neutral = public_record(source, f"{key}:{suffix}", rewrite, bias="No", toxicity="No", harm="Low",
                            parent_id=original.id)
    return original, neutral


IMPLIED_ID = re.compile(r":implied:\d+$")


def is_implied(record: CMDRecord) -> bool:
    """Whether `record` is an implied-statement row of `implied_rows`: a public row whose id ends in
    ':implied:<n>' (rows derived from it, such as the synthetic counter family's, end the same way)."""
    return (record.provenance == "public" and record.parent_id is not None
            and IMPLIED_ID.search(record.id) is not None)


def implied_rows(adapter: TrainAdapter, post: CMDRecord, statements: Iterable[tuple[str, list[str] | None]]
                 ) -> Iterator[CMDRecord]:
    """The implied statements (stereotype spelled out, with its target group or None) of a hateful
    post as extra Unsafe rows: bias Yes, toxicity `STEREOTYPE_TOXICITY`, harm Medium, sentiment Negative,
    id '<post id>:implied:<n>', parent_id the post. Kept only when the statement names a group (fragments
    such as 'is violent' are skipped) and is new for the post; at most MAX_IMPLIED_PER_POST per post."""
    seen = {text_hash(post.text)}
    kept = 0
    for statement, target in statements:
        statement = " ".join(statement.split())
        if not statement or text_hash(statement) in seen:
            continue
        seen.add(text_hash(statement))
        if not names_group(statement):
            adapter.skip("implied statement names no group (a fragment)")
        elif kept == MAX_IMPLIED_PER_POST:
            adapter.skip(f"implied statement beyond {MAX_IMPLIED_PER_POST} per post")
        else:
            yield public_record(post.source, f"{post.source_id}:implied:{kept}", statement, bias="Yes",
                                toxicity=STEREOTYPE_TOXICITY,
                                harm="Medium", target=target or group_axes(statement), negative_stance=True,
                                parent_id=post.id)
            kept += 1
