"""HateXplain (Mathew et al., AAAI 2021), the validation and test posts (the train split and the
rationale file are not in reach, so no rationale spans): majority label hate / offensive / normal
and the targeted communities (a Python-literal list).

Read from a course project's export; its columns hugchat_keywords_processed, hugchat_explanation
and mix_keywords were written by a language model and are never used. Every post id is checked
against the official split file (post_id_divisions.json).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from types import MappingProxyType

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources._text import parse_list
from srllm.data.sources.base import TrainAdapter, public_record
from srllm.data.sources.paradetox import clean
from srllm.data.targets import target_axes

_REPO, _COMMIT = "shivam0109/CS4NLP-HateXplain", "8a911685253b047109d2e5a1d09368a25ad14ab1"
_OFFICIAL, _OFFICIAL_COMMIT = "hate-alert/HateXplain", "01d742279dac941981f53806154481c0e15ee686"
NAME = "hatexplain"
#: gt_label -> (bias, toxicity, harm)
LABEL_LEVELS: Mapping[str, tuple[str, str, str]] = MappingProxyType({
    "hate": ("Yes", "High", "Medium"),
    "hatespeech": ("Yes", "High", "Medium"),
    "offensive": ("No", "Mild", "Low"),
    "normal": ("No", "No", "Low"),
})
_FILES = {"val": "hatexplain_val.csv", "test": "hatexplain_test.csv"}


class HateXplain(TrainAdapter):
    spec = DatasetSpec(
        name=NAME,
        folder="hatexplain",
        role="train",
        title="HateXplain validation + test posts (Twitter/Gab): hate speech / offensive / normal, target communities",
        citation="Mathew et al., HateXplain: A Benchmark Dataset for Explainable Hate Speech Detection, AAAI 2021",
        license="MIT",
        homepage=f"https://github.com/{_OFFICIAL}",
        files={
            "hatexplain/hatexplain_val.csv": github_raw(_REPO, _COMMIT, "data/bert_modeling_df_val.csv"),
            "hatexplain/hatexplain_test.csv": github_raw(_REPO, _COMMIT, "data/bert_modeling_df_test.csv"),
            "hatexplain/post_id_divisions.json": github_raw(_OFFICIAL, _OFFICIAL_COMMIT, "Data/post_id_divisions.json"),
        },
    )
    label_origin = {
        "bias": "human majority: hate speech -> Yes (attacks a group); offensive, normal -> No",
        "toxicity": "human majority: hate speech -> High; offensive -> Mild; normal -> No",
        "harm": "human majority: hate speech -> Medium; offensive, normal -> Low",
        "sentiment": "label v2: hate speech -> Negative (paper 3.2); offensive and normal -> VADER (normal rows are Benign)",
        "target_demographic": "human: gt_comm_target communities mapped by srllm.data.targets (African -> "
        "race_ethnicity, Islam -> religion, Homosexual -> sexual_orientation, Refugee -> immigration, ...); "
        "'None' only -> lexicon",
        "biased_words": "none (the rationale file is not in reach)",
        "benign_variation": "none (no rewrites in the source)",
    }

    def records(self) -> Iterator[CMDRecord]:
        divisions = json.loads(self.path("post_id_divisions.json").read_text(encoding="utf-8"))
        for part, name in _FILES.items():
            official = set(divisions[part])
            frame = pd.read_csv(self.path(name), dtype=str, keep_default_na=False)
            for row in frame.to_dict("records"):
                text = clean(row["unmasked_sentence"])
                levels = LABEL_LEVELS.get(row["gt_label"])
                if row["id"] not in official:
                    self.skip(f"{part}: post id not in the official {part} division")
                elif not text:
                    self.skip(f"{part}: empty post")
                elif levels is None:
                    self.skip(f"{part}: unknown gt_label {row['gt_label']!r}")
                else:
                    bias, toxicity, harm = levels
                    groups = [g for g in parse_list(row["gt_comm_target"]) if g != "Other" or levels[0] == "Yes"]
                    yield public_record(NAME, row["id"], text, bias=bias, toxicity=toxicity, harm=harm,
                                        target=target_axes(groups, text), negative_stance=bias == "Yes")
