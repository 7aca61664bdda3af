"""RedditBias (Barikeri et al., ACL 2021): Reddit comments about five target groups, retrieved
because a target term and a stereotyping attribute term occur near each other.

Each folder (axis) has a target group and a counter group: gender female/male, orientation
lgbtq/straight, race black/white, religion1 jews/christians, religion2 muslims/christians.

- `RedditBiasPairs` (EVALUATION): the LM-bias test sets. `biased_test` / `biased_valid` files of the
  target group hold annotated comments with their processed phrase; those of the counter group
  hold the same phrases with the target terms swapped (row i pairs with row i). `neg_attr` holds
  target phrases with a negative attribute, `pos_attr` the same phrases with it swapped for a
  positive one. Upstream column names differ by file; they are unified here (`comments` ->
  `comment`, `initial_demo`/`initial_attr` -> `swapped_from`, `replaced_*` -> `swapped_to`).
- `RedditBiasAnnotated` (TRAIN): the manually annotated comments (`*_processed_phrase_annotated.csv`).
  Quirks: gender has an extra unnamed column and no `id`; orientation's `id` column is empty;
  `bias_sent` is empty for unannotated rows and holds a few non-labels ('2', 'biased?',
  're-state', ...). The religion1 file is not UTF-8: its one non-ASCII byte, 0xD5 in "that\\xd5s",
  is the Mac Roman right quote (cp1252 would read it as 'Õ'), so it is decoded as mac_roman,
  which agrees with cp1252 on every other (ASCII) byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property

import pandas as pd

from srllm.data.demographics import term_pattern
from srllm.data.labels import stance_sentiment
from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources._text import clean, parse_list
from srllm.data.sources.base import EvalAdapter, TrainAdapter

_REPO, _COMMIT = "umanlp/RedditBias", "61f9ae9458e26a64ae1113425192280503f8fb92"
_HOMEPAGE = f"https://github.com/{_REPO}"
_CITATION = (
    "Barikeri, Lauscher, Vulic & Glavas, RedditBias: A Real-World Resource for Bias Evaluation and "
    "Debiasing of Conversational Language Models, ACL 2021"
)
#: axis (upstream folder) -> (target group, counter group)
GROUPS: dict[str, tuple[str, str]] = {
    "gender": ("female", "male"),
    "orientation": ("lgbtq", "straight"),
    "race": ("black", "white"),
    "religion1": ("jews", "christians"),
    "religion2": ("muslims", "christians"),
}
#: axis -> the taxonomy's demographic
DEMOGRAPHIC = {"gender": "gender", "orientation": "sexual_orientation", "race": "race_ethnicity",
               "religion1": "religion", "religion2": "religion"}
#: kind -> file name pattern of the pair files (group filled in)
_PAIR_KINDS = {
    "biased_test": "reddit_comments_{axis}_{group}_biased_test_reduced.csv",
    "biased_valid": "reddit_comments_{axis}_{group}_biased_valid_reduced.csv",
    "neg_attr": "reddit_comments_{axis}_{group}_processed_phrase_biased_testset_neg_attr_reduced.csv",
    "pos_attr": "reddit_comments_{axis}_{group}_processed_phrase_unbiased_testset_pos_attr_reduced.csv",
}
PAIR_COLUMNS = ("axis", "group", "kind", "row", "id", "comment", "comments_processed", "bias_sent", "bias_phrase",
                "attribute_in_window", "swapped_from", "swapped_to", "perplexity", "file")
_RENAME = {"comments": "comment", "initial_demo": "swapped_from", "initial_attr": "swapped_from",
           "replaced_demo": "swapped_to", "replaced_attr": "swapped_to"}


def pair_files() -> list[tuple[str, str, str, str]]:
    """(axis, group, kind, file name) of every evaluation file; attribute files exist for the target only."""
    files = []
    for axis, (target, counter) in GROUPS.items():
        for kind, pattern in _PAIR_KINDS.items():
            for group in (target, counter) if kind.startswith("biased") else (target,):
                files.append((axis, group, kind, pattern.format(axis=axis, group=group)))
    return files


def _annotated_file(axis: str) -> str:
    return f"reddit_comments_{axis}_{GROUPS[axis][0]}_processed_phrase_annotated.csv"


def _attribute_file(axis: str) -> str:
    return f"{axis}_{GROUPS[axis][0]}.txt"


def _spec_files(names: list[tuple[str, str]]) -> dict[str, str]:
    return {f"redditbias/{axis}/{name}": github_raw(_REPO, _COMMIT, f"data/{axis}/{name}") for axis, name in names}


def _read_csv(path, encoding: str = "utf-8") -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)


def binary_label(value: str) -> tuple[int | None, str | None]:
    """(0 or 1, None) for a binary bias_sent cell, else (None, why it is not a label)."""
    value = value.strip()
    if not value:
        return None, "unannotated (bias_sent empty)"
    try:
        number = float(value)
    except ValueError:
        number = None
    if number in (0.0, 1.0):
        return int(number), None
    return None, f"non-binary bias_sent {value!r}"


def attribute_terms(text: str) -> list[str]:
    """The terms of a RedditBias word list: one per line, optionally quoted, `*` a trailing wildcard."""
    return [t for t in (line.strip().strip('"').strip() for line in text.splitlines()) if t]


def lexicon_regex(terms: list[str]) -> re.Pattern[str]:
    """A case-insensitive whole-word pattern for `terms`, longest first ("maids" before "maid")."""
    return re.compile("|".join(term_pattern(t.lower()) for t in sorted(set(terms), key=len, reverse=True)),
                      re.IGNORECASE)


def matched_words(pattern: re.Pattern[str], text: str) -> list[str]:
    """The substrings of `text` that `pattern` matches, in order, without case-insensitive repeats."""
    out: list[str] = []
    for match in pattern.finditer(text):
        if match.group(0).lower() not in (w.lower() for w in out):
            out.append(match.group(0))
    return out


class RedditBiasPairs(EvalAdapter):
    """Every comment and phrase of RedditBias's test/valid and attribute-swap files (evaluation only)."""

    spec = DatasetSpec(
        name="redditbias_pairs",
        folder="redditbias",
        role="eval",
        title="RedditBias LM-bias test sets: target/counter-target phrase pairs and attribute swaps",
        citation=_CITATION,
        license="MIT",
        homepage=_HOMEPAGE,
        files=_spec_files([(axis, name) for axis, _group, _kind, name in pair_files()]),
    )
    text_columns = ("comment", "comments_processed")

    def load(self) -> pd.DataFrame:
        frames = []
        for axis, group, kind, name in pair_files():
            frame = _read_csv(self.path(f"{axis}/{name}")).rename(columns=_RENAME)
            frame = frame.drop(columns=[c for c in frame.columns if c.startswith("Unnamed")])
            for column in ("bias_sent", "bias_phrase", "perplexity"):
                if column in frame:
                    frame[column] = pd.to_numeric(frame[column].str.strip(), errors="coerce")
            for column in ("swapped_from", "swapped_to"):
                if column in frame:
                    frame[column] = frame[column].map(parse_list)
            if "attribute_in_window" in frame:
                flags = frame["attribute_in_window"].str.upper()
                frame["attribute_in_window"] = flags.map({"TRUE": True, "FALSE": False})
            if "id" in frame:
                frame["id"] = frame["id"].where(frame["id"].str.strip() != "", None)
            frame = frame.assign(axis=axis, group=group, kind=kind, row=range(len(frame)), file=f"{axis}/{name}")
            frames.append(frame.reindex(columns=list(PAIR_COLUMNS)))
        return pd.concat(frames, ignore_index=True)


class RedditBiasAnnotated(TrainAdapter):
    """The manually bias-annotated comments as CMD records (bias only; other labels weak or defaults)."""

    spec = DatasetSpec(
        name="redditbias_annotated",
        folder="redditbias",
        role="train",
        title="RedditBias manually annotated comments (bias_sent 0/1) over five target groups",
        citation=_CITATION,
        license="MIT",
        homepage=_HOMEPAGE,
        files=_spec_files([(axis, f(axis)) for axis in GROUPS for f in (_annotated_file, _attribute_file)]),
    )
    label_origin = {
        "bias": "human (RedditBias annotators): bias_sent 1 -> Yes, 0 -> No; rows with an empty or "
        "non-binary bias_sent are skipped",
        "toxicity": "not annotated in the source -> No",
        "harm": "not annotated in the source -> Low",
        "sentiment": "label v2: bias_sent 1 (humans judged the comment biased against the group) -> Negative "
        "(stereotyping, paper 3.2); bias_sent 0 -> VADER",
        "target_demographic": "the RedditBias folder the comment was retrieved for (gender -> gender, "
        "orientation -> sexual_orientation, race -> race_ethnicity, religion1/religion2 -> religion)",
        "biased_words": "lexicon match: terms of the folder's RedditBias attribute list (e.g. race_black.txt, "
        "`*` = any word ending) found in the comment, only for bias=Yes rows; not a human-marked span",
        "benign_variation": "none: RedditBias has no rewrites",
    }

    @cached_property
    def _attributes(self) -> dict[str, re.Pattern[str]]:
        return {
            axis: lexicon_regex(attribute_terms(self.path(f"{axis}/{_attribute_file(axis)}").read_text("utf-8")))
            for axis in GROUPS
        }

    def records(self) -> Iterator[CMDRecord]:
        seen: dict[str, int] = {}  # folded comment -> its label, over all five files
        for axis in GROUPS:
            encoding = "mac_roman" if axis == "religion1" else "utf-8"
            frame = _read_csv(self.path(f"{axis}/{_annotated_file(axis)}"), encoding)
            ids = frame["id"] if "id" in frame else [""] * len(frame)
            rows = zip(ids, frame["comment"], frame["bias_sent"], strict=True)
            for row_number, (raw_id, comment, raw_label) in enumerate(rows):
                text = clean(comment)
                label, reason = binary_label(raw_label)
                if not text:
                    self.skip(f"{axis}: empty comment")
                elif label is None:
                    self.skip(f"{axis}: {reason}")
                elif text in seen:
                    conflict = " with a different label" if seen[text] != label else ""
                    self.skip(f"{axis}: duplicate comment{conflict} (first kept)")
                else:
                    seen[text] = label
                    yield self._record(axis, raw_id.strip() or str(row_number), text, label)

    def _record(self, axis: str, key: str, text: str, label: int) -> CMDRecord:
        bias = "Yes" if label == 1 else "No"
        return CMDRecord.labelled(
            id=f"redditbias:{axis}:{key}",
            text=text,
            bias=bias,
            toxicity="No",
            sentiment=stance_sentiment(text, bias == "Yes"),
            harm="Low",
            target_demographic=[DEMOGRAPHIC[axis]],
            biased_words=matched_words(self._attributes[axis], text) if bias == "Yes" else [],
            source="redditbias_annotated",
            source_id=f"{axis}:{key}",
            provenance="public",
        )
