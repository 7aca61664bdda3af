"""Social Bias Inference Corpus v2 (Sap et al., ACL 2020, "Social Bias Frames"), dev + test posts
aggregated over annotators: offensiveYN (share of annotators who found the post offensive),
hasBiasedImplication (0 = the post implies a stereotype), targetMinority / targetCategory (JSON
lists) and targetStereotype (the implied statements, a JSON list, possibly empty).

Posts are cleaned like the Davidson tweets (HTML entities, @mentions -> @USER, URLs -> URL), so
the t/davidson posts collide with `davidson` rows in the build's deduplication. The per-annotator
file (SBIC.v2.dev.csv) is agreement data, not read here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from types import MappingProxyType

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources.base import MAX_IMPLIED_PER_POST, TrainAdapter, implied_rows, public_record
from srllm.data.sources.davidson import clean_tweet
from srllm.data.targets import target_axes
from srllm.taxonomy import DEMOGRAPHICS

_REPO, _COMMIT = "shallinan1/MarcoDetoxification", "9ffb7fe0b373cc862d5a430a147dd3c07b9c9fdc"
NAME = "sbic"
_FILES = ("SBIC.v2.agg.dev.csv", "SBIC.v2.agg.tst.csv")
#: offensiveYN at or above this share of annotators -> offensive (the SBF paper's binarisation)
OFFENSIVE_AT = 0.5
#: targetCategory -> the taxonomy's demographic, where targetMinority names no placeable group
CATEGORY_AXES: Mapping[str, str] = MappingProxyType({
    "gender": "gender", "race": "race_ethnicity", "culture": "religion", "disabled": "disability",
    "body": "body_type", "social": "other", "victim": "other",
})


def json_list(cell: str, where: str) -> list[str]:
    try:
        value = json.loads(cell) if cell.strip() else []
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: expected a JSON list, got {cell[:60]!r} ({exc.msg})") from None
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a JSON list, got {cell[:60]!r}")
    return [str(v) for v in value if str(v).strip()]


class SBIC(TrainAdapter):
    spec = DatasetSpec(
        name=NAME,
        folder="sbic",
        role="train",
        title="Social Bias Inference Corpus v2 (dev + test posts, aggregated)",
        citation="Sap et al., Social Bias Frames: Reasoning about Social and Power Implications of Language, ACL 2020",
        license="CC-BY-4.0",
        homepage=f"https://github.com/{_REPO}",
        files={f"sbic/{name}": github_raw(_REPO, _COMMIT, f"datasets/sbf/{name}") for name in _FILES},
    )
    label_origin = {
        "bias": "human: offensive (offensiveYN >= 0.5) and hasBiasedImplication 0 (implies a stereotype about a "
        "group) -> Yes; else No; implied statements -> Yes",
        "toxicity": "human: offensive -> Mild; not offensive -> No; implied statements -> No "
        "(srllm.data.labels.STEREOTYPE_TOXICITY)",
        "harm": "human: offensive with a biased implication -> Medium; else Low; implied statements -> Medium",
        "sentiment": "label v2: offensive with a biased implication, and implied statements -> Negative (paper 3.2); "
        "else VADER (so non-offensive posts are Benign)",
        "target_demographic": "human: targetMinority groups mapped by srllm.data.targets, else targetCategory "
        "(gender, race -> race_ethnicity, culture -> religion, disabled, body -> body_type, social/victim -> other); "
        "posts without a target -> lexicon",
        "biased_words": "none (the source marks no words)",
        "benign_variation": f"none; up to {MAX_IMPLIED_PER_POST} distinct targetStereotype statements of a biased "
        "post that name a group are extra Unsafe rows (id '<post id>:implied:<n>', parent_id the post, same split)",
    }

    def records(self) -> Iterator[CMDRecord]:
        for name in _FILES:
            frame = pd.read_csv(self.path(name), dtype=str, keep_default_na=False)
            part = "dev" if ".dev." in name else "tst"
            for line, row in enumerate(frame.to_dict("records"), start=2):
                text = clean_tweet(row["post"])
                if not text:
                    self.skip(f"{part}: empty post")
                    continue
                where = f"{name}:{line}"
                yield from self._post(f"{part}:{row['Unnamed: 0']}", text, row, where)

    def _post(self, key: str, text: str, row: dict[str, str], where: str) -> Iterator[CMDRecord]:
        try:
            offensive = float(row["offensiveYN"] or 0) >= OFFENSIVE_AT
        except ValueError:
            raise ValueError(f"{where}: offensiveYN must be a number, got {row['offensiveYN']!r}") from None
        biased = offensive and row["hasBiasedImplication"].strip() == "0"
        groups = json_list(row["targetMinority"], f"{where}: targetMinority")
        categories = json_list(row["targetCategory"], f"{where}: targetCategory")
        target = target_axes(groups, None) if groups else None
        if target == ["none"] or target is None:
            axes = {CATEGORY_AXES.get(c, "other") for c in categories}
            target = [a for a in DEMOGRAPHICS if a in axes] or None
        post = public_record(NAME, key, text, bias="Yes" if biased else "No", toxicity="Mild" if offensive else "No",
                             harm="Medium" if biased else "Low", target=target if offensive else None,
                             negative_stance=biased)
        yield post
        if biased:
            statements = json_list(row["targetStereotype"], f"{where}: targetStereotype")
            yield from implied_rows(self, post, ((s, target) for s in statements))
