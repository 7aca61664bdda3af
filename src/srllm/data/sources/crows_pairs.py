"""CrowS-Pairs (Nangia et al., EMNLP 2020): 1,508 minimal pairs, a sentence that is more
stereotyping (`sent_more`) and one that is less (`sent_less`), over 9 bias types.

Quirks: the unnamed first column is the pair id (`pair_id` here); `annotations` (one list of
bias types per annotator) and `anon_annotators` are Python-list literals, parsed to lists.
`stereo_antistereo` says whether `sent_more` states a stereotype or violates an anti-stereotype.
"""

from __future__ import annotations

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.sources._text import parse_list
from srllm.data.sources.base import EvalAdapter

_REPO, _COMMIT = "nyu-mll/crows-pairs", "8aaac11c485473159ec9328a65253a5be9a479dc"


class CrowSPairs(EvalAdapter):
    spec = DatasetSpec(
        name="crows_pairs",
        folder="crows_pairs",
        role="eval",
        title="CrowS-Pairs: stereotype / anti-stereotype sentence pairs (1,508 pairs, 9 bias types)",
        citation="Nangia et al., CrowS-Pairs: A Challenge Dataset for Measuring Social Biases in Masked "
        "Language Models, EMNLP 2020",
        license="CC-BY-SA-4.0 (stated in the repository README; no LICENSE file)",
        homepage=f"https://github.com/{_REPO}",
        files={
            "crows_pairs/crows_pairs_anonymized.csv": github_raw(_REPO, _COMMIT, "data/crows_pairs_anonymized.csv")
        },
    )
    text_columns = ("sent_more", "sent_less")

    def load(self) -> pd.DataFrame:
        frame = pd.read_csv(self.path("crows_pairs_anonymized.csv"), dtype=str, keep_default_na=False)
        frame = frame.rename(columns={frame.columns[0]: "pair_id"})
        frame["pair_id"] = frame["pair_id"].astype(int)
        for column in ("annotations", "anon_annotators"):
            frame[column] = frame[column].map(parse_list)
        return frame
