"""Latent Hatred / implicit hate corpus v1 (ElSherief et al., EMNLP 2021), the full release.

stg1: 21,480 tweets, not_hate / implicit_hate / explicit_hate; stg2: the implicit class of 6,346
implicit-hate tweets; stg3: the target group and implied statement (the stereotype spelled out) of
6,358 posts, several rows per post. stg2 and stg3 are joined to stg1 by normalised post text. The
SAP file holds Social Bias Frames posts without labels, so it is not read (SBIC is its own source).
Supersedes `implicit_hate` (a balanced subset of the same posts): build one or deduplicate.

Quirk: posts keep the release's tokenisation debris (' " " "' where quotes and mentions were
removed); whitespace is folded and quotes and a leading ':' are trimmed at the ends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from types import MappingProxyType

import pandas as pd

from srllm.data.contamination import text_hash
from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources.base import MAX_IMPLIED_PER_POST, TrainAdapter, implied_rows, public_record
from srllm.data.sources.paradetox import clean
from srllm.data.targets import group_axes, target_axes

_REPO, _COMMIT = "tonazzog/implicit-hate", "172e694b83d84be3949471cc991e24970063471c"
NAME = "implicit_hate_corpus"
_FILES = ("implicit_hate_v1_stg1_posts.tsv", "implicit_hate_v1_stg2_posts.tsv", "implicit_hate_v1_stg3_posts.tsv")

#: implicit class -> (toxicity, harm) of an implicit-hate post
IMPLICIT_LEVELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "threatening": ("Mild", "High"),
    "incitement": ("Mild", "High"),
    "white_grievance": ("Mild", "Medium"),
    "inferiority": ("Mild", "Medium"),
    "stereotypical": ("Mild", "Medium"),
    "irony": ("Mild", "Medium"),
    "other": ("Mild", "Medium"),
})
CLASS_LEVELS: Mapping[str, tuple[str, str, str]] = MappingProxyType({
    "not_hate": ("No", "No", "Low"),
    "implicit_hate": ("Yes", "Mild", "Medium"),
    "explicit_hate": ("Yes", "High", "Medium"),
})


def clean_post(text: str) -> str:
    return clean(text).strip(' "').removeprefix(":").strip(' "')


class ImplicitHateCorpus(TrainAdapter):
    spec = DatasetSpec(
        name=NAME,
        folder="implicit_hate_corpus",
        role="train",
        title="Implicit hate corpus v1, full release (classes, implicit categories, targets, implied statements)",
        citation="ElSherief et al., Latent Hatred: A Benchmark for Understanding Implicit Hate Speech, EMNLP 2021",
        license="CC-BY-4.0",
        homepage=f"https://github.com/{_REPO}",
        files={f"implicit_hate_corpus/{name}": github_raw(_REPO, _COMMIT, f"corpus/{name}") for name in _FILES},
    )
    label_origin = {
        "bias": "human class: implicit_hate, explicit_hate -> Yes; not_hate -> No; implied statements -> Yes",
        "toxicity": "human class: explicit_hate -> High; implicit_hate -> Mild (hateful without explicit abuse); "
        "not_hate -> No; implied statements -> No (srllm.data.labels.STEREOTYPE_TOXICITY)",
        "harm": "human: implicit class threatening or incitement -> High; other implicit classes and explicit hate -> "
        "Medium; not_hate -> Low; implied statements -> Medium",
        "sentiment": "label v2: implicit or explicit hate and implied statements -> Negative (paper 3.2); not_hate -> "
        "VADER (so not_hate rows are Benign even when they name a group)",
        "target_demographic": "human: the stg3 target groups of the post (free text mapped by srllm.data.targets); "
        "posts without one -> lexicon",
        "biased_words": "none (the source marks no words)",
        "benign_variation": f"none; up to {MAX_IMPLIED_PER_POST} distinct stg3 implied statements of a post that "
        "name a group are extra Unsafe rows (id '<post id>:implied:<n>', parent_id the post, same split)",
    }

    def _read(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.path(name), sep="\t", dtype=str, keep_default_na=False)

    def records(self) -> Iterator[CMDRecord]:
        implicit = {text_hash(r.post): r.implicit_class for r in self._read(_FILES[1]).itertuples(index=False)}
        implied: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for row in self._read(_FILES[2]).itertuples(index=False):
            implied[text_hash(row.post)].append((row.target, clean(row.implied_statement)))
        seen: dict[str, str] = {}
        for index, row in enumerate(self._read(_FILES[0]).itertuples(index=False)):
            text, h = clean_post(row.post), text_hash(row.post)
            if not text:
                self.skip("stg1: empty post")
                continue
            if row[1] not in CLASS_LEVELS:
                self.skip(f"stg1: unknown class {row[1]!r}")
                continue
            if h in seen:
                self.skip("stg1: repeated post" + (" with a different class" if seen[h] != row[1] else "") + " (first kept)")
                continue
            seen[h] = row[1]
            yield from self._post(str(index), text, row[1], implicit.get(h), implied.get(h, []))

    def _post(self, key: str, text: str, label: str, implicit_class: str | None,
              implied: list[tuple[str, str]]) -> Iterator[CMDRecord]:
        bias, toxicity, harm = CLASS_LEVELS[label]
        if label == "implicit_hate" and implicit_class in IMPLICIT_LEVELS:
            toxicity, harm = IMPLICIT_LEVELS[implicit_class]
        hateful = label != "not_hate"
        groups = [target for target, _ in implied] if hateful else []
        post = public_record(NAME, key, text, bias=bias, toxicity=toxicity, harm=harm,
                             target=target_axes(groups, text), negative_stance=hateful)
        yield post
        if hateful:
            yield from implied_rows(self, post, ((statement, group_axes(target)) for target, statement in implied))
