"""ParaDetox (Logacheva et al., ACL 2022): toxic sentences with human neutral rewrites.

Quirk: the TSV quotes multi-line cells. pandas' default quoting reads 11,927 rows correctly
(7 of the 11,934 physical rows that `quoting=QUOTE_NONE` sees are continuations of a quoted
cell); newlines inside a cell are folded to spaces. `paradetox_cannot_rewrite.tsv` wraps each
comment in one extra pair of quotes and its reasons in a JSON object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources.base import TrainAdapter, public_record, rewrite_pair

_REPO, _COMMIT = "s-nlp/paradetox", "d97b17d0813539cf05c74f9cdb5e66372704ca57"


def clean(text: str) -> str:
    """Fold whitespace (incl. newlines inside quoted cells) to single spaces."""
    return re.sub(r"\s+", " ", text).strip()


class ParaDetox(TrainAdapter):
    spec = DatasetSpec(
        name="paradetox",
        folder="paradetox",
        role="train",
        title="ParaDetox: toxic -> neutral parallel paraphrases",
        citation="Logacheva et al., ParaDetox: Detoxification with Parallel Data, ACL 2022",
        license="CC0-1.0",
        homepage=f"https://github.com/{_REPO}",
        files={
            "paradetox/paradetox.tsv": github_raw(_REPO, _COMMIT, "paradetox/paradetox.tsv"),
            "paradetox/paradetox_cannot_rewrite.tsv": github_raw(_REPO, _COMMIT, "paradetox/paradetox_cannot_rewrite.tsv"),
        },
    )
    label_origin = {
        "toxicity": "human (crowd): rewritable toxic sentences -> Mild; 'cannot rewrite' with reason "
        "toxic_content -> High, with reason not_toxic -> No; the human neutral rewrite -> No",
        "bias": "not annotated in the source -> No",
        "harm": "not annotated in the source -> Low",
        "sentiment": "VADER (weak label)",
        "target_demographic": "lexicon match (srllm.data.demographics)",
        "biased_words": "words the human rewrite deleted or replaced (difflib)",
        "biased_spans": "character spans of those words in the text (a run of changed words is one span)",
        "benign_variation": "human: the first neutral rewrite (neutral1); it also becomes its own Benign row",
    }

    def records(self) -> Iterator[CMDRecord]:
        yield from self._pairs()
        yield from self._cannot_rewrite()

    def _pairs(self) -> Iterator[CMDRecord]:
        frame = pd.read_csv(self.path("paradetox.tsv"), sep="\t", dtype=str, keep_default_na=False)
        for index, row in enumerate(frame.itertuples(index=False)):
            toxic, neutral = clean(row.toxic), clean(row.neutral1)
            if not toxic:
                self.skip("paradetox.tsv: empty toxic text")
                continue
            key = str(index)
            if neutral:
                yield from rewrite_pair(
                    source="paradetox", key=key, text=toxic, rewrite=neutral,
                    bias="No", toxicity="Mild", harm="Low", suffix="neutral1",
                )
                continue
            yield public_record("paradetox", key, toxic, bias="No", toxicity="Mild", harm="Low")

    def _cannot_rewrite(self) -> Iterator[CMDRecord]:
        frame = pd.read_csv(self.path("paradetox_cannot_rewrite.tsv"), sep="\t", dtype=str, keep_default_na=False)
        for row in frame.itertuples(index=False):
            index, raw_text, raw_reasons = row
            text = clean(raw_text.strip().removeprefix('"').removesuffix('"'))
            reasons = {k for k, v in json.loads(raw_reasons).items() if v}
            if not text:
                self.skip("cannot_rewrite: empty text")
                continue
            if "toxic_content" in reasons and "not_toxic" in reasons:
                self.skip("cannot_rewrite: annotators gave both toxic_content and not_toxic")
                continue
            if "toxic_content" in reasons:
                toxicity = "High"
            elif "not_toxic" in reasons:
                toxicity = "No"
            else:
                self.skip(f"cannot_rewrite: reason {'+'.join(sorted(reasons))} gives no toxicity label")
                continue
            key = f"cannot_rewrite:{index}"
            yield public_record("paradetox", key, text, bias="No", toxicity=toxicity, harm="Low")
