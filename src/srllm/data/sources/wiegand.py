"""Identity-group sentences for implicit abuse (Wiegand, Eder & Ruppenhofer, NAACL 2022): 2,221 English
sentences whose subject is Muslims, Jews, women or gays, ABUSE (mostly implicit: "Women overreact to
everything!") or OTHER (the same groups used neutrally).

Quirk: tab-separated despite the .csv name, read with quoting=QUOTE_NONE; a sentence that upstream
wrapped in double quotes is unwrapped (doubled quotes inside become one).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources.base import TrainAdapter, public_record
from srllm.data.sources.paradetox import clean

_REPO, _COMMIT = "miwieg/naacl2022_identity_groups", "d0e7ee015343f84b6c8390b659b976dcbe4bc68e"
TARGETS = {"Muslims": "religion", "Jews": "religion", "Women": "gender", "Gays": "sexual_orientation"}


def unquote(cell: str) -> str:
    """A cell wrapped in double quotes, unwrapped with its doubled quotes made single; others unchanged."""
    cell = cell.strip()
    if len(cell) >= 2 and cell[0] == cell[-1] == '"':
        return cell[1:-1].replace('""', '"')
    return cell


class WiegandIdentityGroups(TrainAdapter):
    spec = DatasetSpec(
        name="wiegand_identity_groups",
        folder="wiegand_identity_groups",
        role="train",
        title="Implicitly abusive vs neutral sentences about Muslims, Jews, women and gays",
        citation="Wiegand, Eder & Ruppenhofer, Identifying Implicitly Abusive Remarks about Identity Groups "
        "using a Linguistically Informed Approach, NAACL 2022",
        license="CC-BY-4.0",
        homepage=f"https://github.com/{_REPO}",
        files={"wiegand_identity_groups/sentences.english.csv":
               github_raw(_REPO, _COMMIT, "LabelledSentences/sentences.english.csv")},
    )
    label_origin = {
        "bias": "human: ABUSE (an abusive remark about the identity group) -> Yes; OTHER -> No",
        "toxicity": "human: ABUSE is mostly implicit abuse without abusive words -> No; OTHER -> No",
        "harm": "human: ABUSE -> Medium (demeaning a group); OTHER -> Low",
        "sentiment": "label v2: ABUSE -> Negative (stereotyping, paper 3.2); OTHER -> VADER, so OTHER rows are "
        "Benign: the group named neutrally",
        "target_demographic": "the source's TARGET: Muslims, Jews -> religion; Women -> gender; Gays -> sexual_orientation",
        "biased_words": "none (the source marks no words)",
        "benign_variation": "none (no rewrites in the source)",
    }

    def records(self) -> Iterator[CMDRecord]:
        frame = pd.read_csv(self.path("sentences.english.csv"), sep="\t", quoting=csv.QUOTE_NONE, dtype=str,
                            keep_default_na=False)
        for index, row in enumerate(frame.itertuples(index=False)):
            text = clean(unquote(row[0]))
            label, target = row.LABEL, TARGETS.get(row.TARGET)
            if not text:
                self.skip("empty sentence")
            elif label not in ("ABUSE", "OTHER") or target is None:
                self.skip(f"unknown LABEL {label!r} or TARGET {row.TARGET!r}")
            else:
                abuse = label == "ABUSE"
                yield public_record("wiegand_identity_groups", str(index), text, bias="Yes" if abuse else "No",
                                    toxicity="No", harm="Medium" if abuse else "Low", target=[target],
                                    negative_stance=abuse)
