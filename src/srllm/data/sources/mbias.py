"""MBIAS outputs (Raza, Raval & Chatrath, WASSA 2024): the 940-row ToxiGen human-annotated test
split with the MBIAS model's debiased rewrite of each text, a peer system from SR_LLM's authors.

Columns (already snake_case upstream): biased_text (the ToxiGen input), label (1 hate / 0 neutral),
target_group, biased_hatebert_score, unbiased_text (the MBIAS rewrite), unbiased_hatebert_score.
Quirks: 220 rewrites are empty (read as "", not NaN) and some are refusals ("I'm sorry, but ...");
target_group spells some groups two ways ("black/african-american folks", "black folks /
african-americans"). Most inputs also occur in the ToxiGen annotated subset.
"""

from __future__ import annotations

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.sources._text import snake_case
from srllm.data.sources.base import EvalAdapter

_REPO, _COMMIT = "shainarazavi/MBIAS", "78729172d489032adbe9cfcd9233e1db879a17e1"


class MBIASToxiGenTest(EvalAdapter):
    spec = DatasetSpec(
        name="mbias",
        folder="mbias_outputs",
        role="eval",
        title="MBIAS rewrites of the ToxiGen human-annotated test split (940 rows)",
        citation="Raza, Raval & Chatrath, MBIAS: Mitigating Bias in Large Language Models While Retaining "
        "Context, WASSA workshop at ACL 2024",
        license="MIT (stated in the repository README; no LICENSE file); ToxiGen text MIT + CDLA-Permissive-2.0",
        homepage=f"https://github.com/{_REPO}",
        files={
            "mbias_outputs/toxigen-results.csv": github_raw(
                _REPO, _COMMIT, "mbias/inference_results/toxigen-results.csv"
            )
        },
    )
    text_columns = ("biased_text", "unbiased_text")

    def load(self) -> pd.DataFrame:
        frame = pd.read_csv(self.path("toxigen-results.csv"), keep_default_na=False, dtype={"label": int})
        frame.columns = [snake_case(c) for c in frame.columns]
        return frame
