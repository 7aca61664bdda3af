"""DynaHate, the Dynamically Generated Hate Speech Dataset rounds R1-R4, dev + test (Vidgen et al., ACL
2021): adversarial human-written hate and its contrastive perturbations. EVALUATION only."""

from __future__ import annotations

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.sources.base import EvalAdapter

_REPO, _COMMIT = "shallinan1/MarcoDetoxification", "9ffb7fe0b373cc862d5a430a147dd3c07b9c9fdc"
COLUMNS = ("id", "text", "label", "type", "target", "level", "round", "matched_id", "split")


class DynaHate(EvalAdapter):
    spec = DatasetSpec(
        name="dynahate",
        folder="dynahate_devtest",
        role="eval",
        title="DynaHate R1-R4 dev + test: adversarial hate and contrast cases",
        citation="Vidgen et al., Learning from the Worst: Dynamically Generated Datasets to Improve Online Hate "
        "Detection, ACL 2021",
        license="MIT (hosting repository); upstream states no licence",
        homepage="https://github.com/bvidgen/Dynamically-Generated-Hate-Speech-Dataset",
        files={f"dynahate_devtest/dynahate_{s}.csv": github_raw(_REPO, _COMMIT, f"datasets/dynabench/db_{s}.csv")
               for s in ("dev", "test")},
    )
    text_columns = ("text",)

    def load(self) -> pd.DataFrame:
        """One row per text: id (acl.id), text, label (hate / nothate), type, target, level (original /
        perturbation), round, matched_id (its contrastive partner, or None), split (dev / test)."""
        frames = []
        for split in ("dev", "test"):
            frame = pd.read_csv(self.path(f"dynahate_{split}.csv"), dtype=str, keep_default_na=False)
            frame = frame.rename(columns={"acl.id": "id", "acl.id.matched": "matched_id"})
            frame["split"] = split
            frames.append(frame.reindex(columns=list(COLUMNS)))
        frame = pd.concat(frames, ignore_index=True)
        frame["matched_id"] = pd.Series([m if m.strip() else None for m in frame["matched_id"]], dtype=object)
        return frame
