"""EDOS, Explainable Detection of Online Sexism (Kirk et al., SemEval-2023 Task 10): 20,000 Gab and
Reddit posts, sexist or not, with 4 categories and 11 fine-grained vectors; expert-adjudicated.

Usernames and URLs are masked upstream as [USER] and [URL]. The upstream train/dev/test split is
not kept: the corpus has its own seeded split.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources.base import TrainAdapter, public_record
from srllm.data.sources.paradetox import clean

_REPO, _COMMIT = "rewire-online/edos", "b1f1fbcca9d42de0395432ada8fcfb5c35f68c77"

#: fine-grained vector (its number) -> (toxicity, harm) of a sexist post; bias is Yes for all of them
VECTOR_LEVELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "1.1": ("High", "High"),    # threats of harm
    "1.2": ("Mild", "High"),    # incitement and encouragement of harm
    "2.1": ("Mild", "Medium"),  # descriptive attacks
    "2.2": ("High", "Medium"),  # aggressive and emotive attacks
    "2.3": ("High", "Medium"),  # dehumanising attacks & overt sexual objectification
    "3.1": ("Mild", "Low"),     # casual use of gendered slurs, profanities and insults
    "3.2": ("No", "Low"),       # immutable gender differences and gender stereotypes
    "3.3": ("No", "Low"),       # backhanded gendered compliments
    "3.4": ("No", "Low"),       # condescending explanations or unwelcome advice
    "4.1": ("No", "Medium"),    # supporting mistreatment of individual women
    "4.2": ("No", "Medium"),    # supporting systemic discrimination against women as a group
})


class EDOS(TrainAdapter):
    spec = DatasetSpec(
        name="edos_sexism",
        folder="edos_sexism",
        role="train",
        title="EDOS: Explainable Detection of Online Sexism (Gab/Reddit, expert-adjudicated)",
        citation="Kirk et al., SemEval-2023 Task 10: Explainable Detection of Online Sexism, SemEval 2023",
        license="CC0-1.0",
        homepage=f"https://github.com/{_REPO}",
        files={"edos_sexism/edos_labelled_aggregated.csv": github_raw(_REPO, _COMMIT, "data/edos_labelled_aggregated.csv")},
    )
    label_origin = {
        "bias": "human: sexist -> Yes (every category is prejudice against women), not sexist -> No",
        "toxicity": "human vector: 1.1 threats, 2.2 aggressive attacks, 2.3 dehumanising -> High; 1.2 incitement, "
        "2.1 descriptive attacks, 3.1 gendered slurs/profanity -> Mild; 3.2-3.4 stereotypes, backhanded "
        "compliments, condescension and 4.x prejudiced discussion -> No; not sexist -> No",
        "harm": "human vector: 1.x threats and incitement -> High; 2.x derogation and 4.x supporting mistreatment or "
        "systemic discrimination -> Medium; 3.x animosity -> Low; not sexist -> Low",
        "sentiment": "label v2: sexist -> Negative (paper 3.2); not sexist -> VADER",
        "target_demographic": "sexist -> gender (the task's definition: sexism against women); not sexist -> lexicon",
        "biased_words": "none (the source marks no words)",
        "benign_variation": "none (no rewrites in the source)",
    }

    def records(self) -> Iterator[CMDRecord]:
        frame = pd.read_csv(self.path("edos_labelled_aggregated.csv"), dtype=str, keep_default_na=False)
        for row in frame.itertuples(index=False):
            text = clean(row.text)
            if not text:
                self.skip("empty text")
                continue
            key = row.rewire_id.removeprefix("sexism2022_english-")
            if row.label_sexist == "not sexist":
                yield public_record("edos_sexism", key, text, bias="No", toxicity="No", harm="Low")
                continue
            levels = VECTOR_LEVELS.get(row.label_vector.split(" ", 1)[0])
            if row.label_sexist != "sexist" or levels is None:
                self.skip(f"unknown label {row.label_sexist!r} / vector {row.label_vector!r}")
                continue
            toxicity, harm = levels
            yield public_record("edos_sexism", key, text, bias="Yes", toxicity=toxicity, harm=harm,
                                target=["gender"], negative_stance=True)
