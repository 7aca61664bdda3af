"""BABE, Bias Annotations By Experts (Spinde et al., Findings of EMNLP 2021): news sentences
with expert labels for bias and opinion, and the words that carry the bias.

Quirks: `;`-separated, UTF-8 with a byte-order mark; `biased_words` is a Python-list literal
(parsed to a list); SG2 has no `type` (outlet leaning) for 1,000 rows (missing); `label_bias` is
Biased / Non-biased / No agreement. SG1 (1,700 rows, the expert relabelling of MBIC) and SG2
(3,674 rows) are kept apart in `subgroup`; every SG1 sentence also occurs in SG2, sometimes with a
different label, so do not pool them as independent items.
"""

from __future__ import annotations

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.sources._text import parse_list
from srllm.data.sources.base import EvalAdapter

_REPO = "Media-Bias-Group/Neural-Media-Bias-Detection-Using-Distant-Supervision-With-BABE"
_COMMIT = "fb79f646dcabf1746f5ebedc06ed8dd61ba78188"
SUBGROUPS = ("SG1", "SG2")
COLUMNS = ("subgroup", "row", "text", "news_link", "outlet", "topic", "type", "label_bias", "label_opinion",
           "biased_words")


class BABE(EvalAdapter):
    spec = DatasetSpec(
        name="babe",
        folder="babe_media_bias",
        role="eval",
        title="BABE: news sentences with expert media-bias labels and biased words (SG1 1,700 + SG2 3,674)",
        citation="Spinde et al., Neural Media Bias Detection Using Distant Supervision With BABE - Bias "
        "Annotations By Experts, Findings of EMNLP 2021",
        license="AGPL-3.0 (repository licence, covers the data; the HF copy says CC BY-NC-SA 4.0)",
        homepage=f"https://github.com/{_REPO}",
        files={
            f"babe_media_bias/final_labels_{sg}.csv": github_raw(_REPO, _COMMIT, f"data/final_labels_{sg}.csv")
            for sg in SUBGROUPS
        },
    )
    text_columns = ("text",)

    def load(self) -> pd.DataFrame:
        frames = []
        for subgroup in SUBGROUPS:
            frame = pd.read_csv(self.path(f"final_labels_{subgroup}.csv"), sep=";", encoding="utf-8-sig", dtype=str)
            frame["biased_words"] = frame["biased_words"].fillna("").map(parse_list)
            frame.insert(0, "subgroup", subgroup)
            frame.insert(1, "row", range(len(frame)))
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)[list(COLUMNS)]
