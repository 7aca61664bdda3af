"""HatemojiBuild (Kirk et al., NAACL 2022): 5,912 adversarial hateful / not-hateful texts from
Dynabench rounds R5-R7, many with emoji in place of words, each with its contrastive perturbation.

Every row names its perturbation partner (`matched_id`); a perturbation row gets the original it
was made from as `parent_id`, so each pair lands in one split of the corpus (upstream pairs
straddle its own train/validation/test files, which are pooled here and re-split).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources._text import parse_list
from srllm.data.sources.base import TrainAdapter, public_record
from srllm.data.sources.paradetox import clean
from srllm.taxonomy import DEMOGRAPHICS

_REPO, _COMMIT = "HannahKirk/Hatemoji", "a626f63216158748d072e581efc00267031f4404"
NAME = "hatemoji_build"
_FILES = ("HatemojiBuild_train.csv", "HatemojiBuild_validation.csv", "HatemojiBuild_test.csv")
#: hate type -> (toxicity, harm) of a hateful row (DynaHate's taxonomy of hate)
TYPE_LEVELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "threateninglanguage": ("High", "High"),
    "dehumanizinglanguage": ("High", "Medium"),
    "derogation": ("High", "Medium"),
    "animosity": ("Mild", "Medium"),
})
#: target code (before its first '.') -> axis; a trailing 'wom'/'man' on a code adds gender
TARGET_CODES: Mapping[str, str] = MappingProxyType({
    "bla": "race_ethnicity", "asi": "race_ethnicity", "arab": "race_ethnicity", "hisp": "race_ethnicity",
    "mex": "race_ethnicity", "african": "race_ethnicity", "ethmin": "race_ethnicity", "mix": "race_ethnicity",
    "indig": "race_ethnicity", "abo": "race_ethnicity", "ind": "race_ethnicity", "trav": "race_ethnicity",
    "mus": "religion", "jew": "religion", "sikh": "religion", "hind": "religion",
    "wom": "gender", "gay": "sexual_orientation", "gayman": "sexual_orientation", "gaywom": "sexual_orientation",
    "lgbtqa": "sexual_orientation", "trans": "sexual_orientation", "bis": "sexual_orientation",
    "dis": "disability", "immig": "immigration", "ref": "immigration", "asy": "immigration",
    "for": "nationality", "nat": "nationality", "europe": "nationality", "wc": "income",
})


def target_demographics(codes: list[str]) -> list[str]:
    """HatemojiBuild target codes ('blawom', 'asi.south.pak', 'none') as taxonomy demographics."""
    axes: set[str] = set()
    for code in codes:
        head = code.split(".")[0]
        if head in ("none", "notgiven", ""):
            continue
        if head not in TARGET_CODES and head.endswith(("wom", "man")):
            axes.add("gender")
            head = head[:-3]
        axes.add(TARGET_CODES.get(head, "other"))
    return [a for a in DEMOGRAPHICS if a in axes] or ["none"]


class HatemojiBuild(TrainAdapter):
    spec = DatasetSpec(
        name=NAME,
        folder="hatemoji_build",
        role="train",
        title="HatemojiBuild: adversarial emoji-based hate with contrastive perturbations",
        citation="Kirk et al., Hatemoji: A Test Suite and Adversarially-Generated Dataset for Benchmarking and "
        "Detecting Emoji-based Hate, NAACL 2022",
        license="CC-BY-4.0",
        homepage=f"https://github.com/{_REPO}",
        files={f"hatemoji_build/{name}": github_raw(_REPO, _COMMIT, f"HatemojiBuild/{upstream}.csv")
               for name, upstream in zip(_FILES, ("train", "validation", "test"), strict=True)},
    )
    label_origin = {
        "bias": "human: label_gold 1 (hateful towards a protected group) -> Yes; 0 -> No",
        "toxicity": "human type of a hateful row: threatening, dehumanizing, derogation -> High; animosity -> Mild; "
        "not hateful -> No",
        "harm": "human type: threatening -> High; dehumanizing, derogation, animosity -> Medium; not hateful -> Low",
        "sentiment": "label v2: hateful -> Negative (paper 3.2); not hateful -> VADER",
        "target_demographic": "human target codes mapped to the taxonomy (bla -> race_ethnicity, muswom -> religion + "
        "gender, ...); 'none' -> lexicon",
        "biased_words": "none (the source marks no words)",
        "benign_variation": "none; a perturbation row's parent_id is its original (matched_id), so pairs share a split",
    }

    def records(self) -> Iterator[CMDRecord]:
        frame = pd.concat([pd.read_csv(self.path(n), dtype=str, keep_default_na=False) for n in _FILES],
                          ignore_index=True)
        ids = set(frame["entry_id"])
        for row in frame.to_dict("records"):
            text = clean(row["text"])
            hateful = row["label_gold"] == "1"
            if not text:
                self.skip("empty text")
                continue
            if row["label_gold"] not in ("0", "1") or (hateful and row["type"] not in TYPE_LEVELS):
                self.skip(f"unknown label_gold {row['label_gold']!r} / type {row['type']!r}")
                continue
            toxicity, harm = TYPE_LEVELS[row["type"]] if hateful else ("No", "Low")
            target = target_demographics(parse_list(row["target"]))
            parent = row["matched_id"] if row["set"] == "perturbation" and row["matched_id"] in ids else None
            yield public_record(NAME, row["entry_id"], text, bias="Yes" if hateful else "No", toxicity=toxicity,
                                harm=harm, target=None if target == ["none"] else target, negative_stance=hateful,
                                parent_id=f"{NAME}:{parent}" if parent else None)
