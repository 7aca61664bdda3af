"""Toxic Spans Detection (Pavlopoulos et al., SemEval-2021 Task 5): Civil Comments posts with the
character offsets of their toxic words (a Python-literal list, possibly empty).

- `ToxicSpans` (TRAIN): tsd_train + tsd_trial. Runs of offsets become `biased_spans`; the text's
  whitespace is folded (as in every other source) and the spans are moved with it.
- `ToxicSpansTest` (EVALUATION): tsd_test, verbatim, with its offsets and spans, for span F1
  (character-level F1 as in SemEval-2021 Task 5); in the contamination check.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources._text import parse_list
from srllm.data.sources.base import EvalAdapter, TrainAdapter, public_record
from srllm.data.spans import fold_whitespace, spans_from_offsets

_REPO, _COMMIT = "ipavlopoulos/toxic_spans", "beaf170538df8275c3447b2e26070f2f82e55272"
_HOMEPAGE = f"https://github.com/{_REPO}"
_CITATION = "Pavlopoulos et al., SemEval-2021 Task 5: Toxic Spans Detection, SemEval 2021"
NAME = "toxic_spans"


def _spec_files(*names: str) -> dict[str, str]:
    return {f"toxic_spans/{n}": github_raw(_REPO, _COMMIT, f"SemEval2021/data/{n}") for n in names}


def read_offsets(path) -> pd.DataFrame:
    """Columns text (verbatim), offsets (sorted ints) and spans ([start, end) runs of the offsets)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    offsets = []
    for line, (cell, text) in enumerate(zip(frame["spans"], frame["text"], strict=True), start=2):
        try:
            values = sorted({int(v) for v in parse_list(cell)})
        except (ValueError, SyntaxError, TypeError):
            raise ValueError(f"{path}:{line}: spans must be a list of character offsets, got {cell[:60]!r}") from None
        if values and (values[0] < 0 or values[-1] >= len(text)):
            raise ValueError(f"{path}:{line}: offset {values[-1] if values[0] >= 0 else values[0]} is outside "
                             f"the text (length {len(text)})")
        offsets.append(values)
    return pd.DataFrame({"text": frame["text"], "offsets": offsets, "spans": [spans_from_offsets(o) for o in offsets]})


class ToxicSpans(TrainAdapter):
    spec = DatasetSpec(
        name=NAME,
        folder="toxic_spans",
        role="train",
        title="Toxic Spans Detection: Civil Comments posts with their toxic character spans (train + trial)",
        citation=_CITATION,
        license="CC0-1.0",
        homepage=_HOMEPAGE,
        files=_spec_files("tsd_train.csv", "tsd_trial.csv"),
    )
    label_origin = {
        "toxicity": "human: every post was rated toxic by Civil Comments annotators -> Mild (no severity given)",
        "bias": "not annotated in the source -> No",
        "harm": "not annotated in the source -> Low",
        "sentiment": "VADER (no human stance label)",
        "target_demographic": "lexicon match (srllm.data.demographics)",
        "biased_words": "the words inside the human toxic spans",
        "biased_spans": "human: the annotated toxic character offsets, merged into contiguous runs, edges trimmed "
        "of whitespace/punctuation, moved with the whitespace folding; empty when annotators isolated no words",
        "benign_variation": "none (no rewrites in the source)",
    }

    def records(self) -> Iterator[CMDRecord]:
        for name in ("tsd_train.csv", "tsd_trial.csv"):
            part = name.removeprefix("tsd_").removesuffix(".csv")
            frame = read_offsets(self.path(name))
            for index, (raw, spans) in enumerate(zip(frame["text"], frame["spans"], strict=True)):
                text, moved = fold_whitespace(raw, spans)
                if not text:
                    self.skip(f"{part}: empty text")
                    continue
                if spans and not moved:
                    self.skip(f"{part}: spans cover only whitespace or punctuation (kept without spans)")
                yield public_record(NAME, f"{part}:{index}", text, bias="No", toxicity="Mild", harm="Low",
                                    biased_spans=moved)


class ToxicSpansTest(EvalAdapter):
    """tsd_test verbatim (offsets refer to the unmodified text): evaluation only."""

    spec = DatasetSpec(
        name="toxic_spans_test",
        folder="toxic_spans",
        role="eval",
        title="Toxic Spans Detection test split (span F1)",
        citation=_CITATION,
        license="CC0-1.0",
        homepage=_HOMEPAGE,
        files=_spec_files("tsd_test.csv"),
    )
    text_columns = ("text",)

    def load(self) -> pd.DataFrame:
        return read_offsets(self.path("tsd_test.csv"))
