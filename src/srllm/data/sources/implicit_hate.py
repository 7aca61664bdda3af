"""Latent / implicit hate (ElSherief et al., EMNLP 2021), the balanced 14,200-post subset
published by Microsoft SafeNLP. Superseded by `implicit_hate_corpus` (the full release), which the
default build uses; when both are built, deduplication keeps the full corpus's rows. Its `toxicity_score` is constant per label (2.25 hate, 1.0
neutral) and `target_groups` is always ["all_groups"], so neither carries information."""

from __future__ import annotations

import json
from collections.abc import Iterator

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources.base import TrainAdapter, public_record
from srllm.data.sources.paradetox import clean

_REPO, _COMMIT = "microsoft/SafeNLP", "e351b6cb892284cf843b88e363b1a6dbaded584e"


class ImplicitHate(TrainAdapter):
    spec = DatasetSpec(
        name="implicit_hate",
        folder="implicit_hate_subset",
        role="train",
        title="Implicit hate (balanced SafeNLP subset)",
        citation="ElSherief et al., Latent Hatred: A Benchmark for Understanding Implicit Hate Speech, EMNLP 2021",
        license="MIT",
        homepage=f"https://github.com/{_REPO}",
        files={"implicit_hate_subset/implicitHate_subset.json": github_raw(_REPO, _COMMIT, "data/implicitHate.json")},
    )
    label_origin = {
        "bias": "human: implicit hate (stereotypes, coded attacks on a group) -> Yes, neutral -> No",
        "toxicity": "human: implicit hate -> Mild (hateful without explicit abuse), neutral -> No",
        "harm": "human: implicit hate -> Medium (demeaning a group), neutral -> Low",
        "sentiment": "label v2: human implicit hate -> Negative (stereotyping, paper 3.2); neutral -> VADER",
        "target_demographic": "lexicon match (the source's target_groups is always 'all_groups')",
        "biased_words": "none (the source marks no words)",
        "benign_variation": "none (no rewrites in the source)",
    }

    def records(self) -> Iterator[CMDRecord]:
        rows = json.loads(self.path("implicitHate_subset.json").read_text(encoding="utf-8"))
        for row in rows:
            text = clean(row["text"])
            if not text:
                self.skip("empty text")
                continue
            if row["label"] not in ("hate", "neutral"):
                self.skip(f"unknown label {row['label']!r}")
                continue
            hate = row["label"] == "hate"
            yield public_record("implicit_hate", str(row["id"]), text, bias="Yes" if hate else "No",
                                toxicity="Mild" if hate else "No", harm="Medium" if hate else "Low",
                                negative_stance=hate)
