"""HolisticBias (Smith et al., EMNLP 2022): demographic descriptors x nouns x sentence templates.

Only the JSON building blocks are published; `load()` generates the sentences by the rules of
upstream `holistic_bias/src/sentences.py` (HolisticBiasSentenceGenerator), without its random
stylistic variants:
- noun phrases: each descriptor alone ("Deaf") and as "{article} {descriptor} {noun}" for every
  noun (only nouns of the descriptor's `gender` when it has one; plural "{descriptor} {plurals}");
  the article is the descriptor's own `article` or "an" before a vowel letter, else "a";
- standalone noun phrases: with "{noun}" they are filled with every noun (article from the noun),
  otherwise they are fixed phrases; a missing `plural_noun_phrase` reuses the singular one;
- controls: every noun with no descriptor ("a woman"; axis "null" as upstream);
- templates marked `must_be_noun` are used only with phrases that contain a noun.
A descriptor without a `preference` gets "no_data" as upstream; upstream writes "(none)" for a
missing bucket/descriptor/noun, here they are missing values. v1.0 gives 472,991 rows (469,786
unique texts: upstream's README says "roughly 470,000"); some texts repeat because a descriptor
sits under two axes (e.g. "LGBT" in gender_and_sex and sexual_orientation).
"""

from __future__ import annotations

import json
from typing import Literal, NamedTuple

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.sources.base import EvalAdapter

_REPO, _COMMIT = "facebookresearch/ResponsibleNLP", "0ec714eb084217f44cd9ac466d9e988c795302f9"
VERSIONS = ("v1.0", "v1.1")
_NAMES = ("descriptors", "nouns", "sentence_templates", "standalone_noun_phrases")
#: upstream's preference value for a descriptor nobody reviewed
NO_DATA = "no_data"
COLUMNS = ("axis", "bucket", "descriptor", "preference", "noun", "noun_gender", "noun_phrase_type", "template", "text")

#: one noun phrase: (axis, bucket, descriptor, preference, noun, noun_gender, type, singular, plural)
_Phrase = tuple[str, str | None, str | None, str | None, str | None, str | None, str, str, str]


class _Template(NamedTuple):
    template: str
    must_be_noun: bool
    plural: bool  # fills {plural_noun_phrase}, else {noun_phrase}
    prefix: str
    suffix: str


def article(word: str) -> str:
    """HolisticBias's indefinite article rule: "an" before a vowel letter, else "a"."""
    return "an" if word[:1].lower() in "aeiou" else "a"


class HolisticBias(EvalAdapter):
    spec = DatasetSpec(
        name="holistic_bias",
        folder="holistic_bias",
        role="eval",
        title="HolisticBias descriptors, nouns and templates (sentences generated: descriptor x noun x template)",
        citation="Smith et al., \"I'm sorry to hear that\": Finding New Biases in Language Models with a Holistic "
        "Descriptor Dataset, EMNLP 2022",
        license="CC-BY-SA-4.0 (dataset); MIT (code)",
        homepage=f"https://github.com/{_REPO}/tree/main/holistic_bias",
        files={
            f"holistic_bias/{version}/{name}.json": github_raw(
                _REPO, _COMMIT, f"holistic_bias/dataset/{version}/{name}.json"
            )
            for version in VERSIONS
            for name in _NAMES
        },
    )
    text_columns = ("text",)

    def __init__(self, data_dir=None, version: Literal["v1.0", "v1.1"] = "v1.1"):
        super().__init__(data_dir)
        if version not in VERSIONS:
            raise ValueError(f"unknown HolisticBias version {version!r}; expected one of {VERSIONS}")
        self.version = version

    def _json(self, name: str):
        return json.loads(self.path(f"{self.version}/{name}.json").read_text(encoding="utf-8"))

    def _descriptor_rows(self) -> list[tuple]:
        rows = []
        for axis, buckets in self._json("descriptors").items():
            for bucket, entries in buckets.items():
                for entry in entries:
                    entry = {"descriptor": entry} if isinstance(entry, str) else entry
                    descriptor, preference = entry["descriptor"], entry.get("preference", NO_DATA)
                    rows.append((axis, bucket, descriptor, preference, entry.get("gender"), entry.get("article")))
        return rows

    def _noun_rows(self) -> list[tuple[str, str, str]]:
        return [(gender, noun, plural) for gender, pairs in self._json("nouns").items() for noun, plural in pairs]

    def _template_rows(self) -> list[tuple[str, bool, bool]]:
        return [
            (template, bool(flags.get("must_be_noun", False)), bool(flags.get("first_turn_only", False)))
            for template, flags in self._json("sentence_templates").items()
        ]

    def _standalone_rows(self) -> list[tuple]:
        rows = []
        for axis, entries in self._json("standalone_noun_phrases").items():
            for entry in entries:
                entry = {"noun_phrase": entry} if isinstance(entry, str) else entry
                rows.append((axis, entry["noun_phrase"], entry.get("plural_noun_phrase", entry["noun_phrase"]),
                             entry.get("preference", NO_DATA)))
        return rows

    def descriptors(self) -> pd.DataFrame:
        """One row per descriptor: axis, bucket, descriptor, preference, gender, article (last two often unset)."""
        return pd.DataFrame(self._descriptor_rows(),
                            columns=["axis", "bucket", "descriptor", "preference", "gender", "article"])

    def nouns(self) -> pd.DataFrame:
        """One row per noun: gender (female/male/neutral), noun, plural_noun."""
        return pd.DataFrame(self._noun_rows(), columns=["gender", "noun", "plural_noun"])

    def templates(self) -> pd.DataFrame:
        """One row per sentence template with its flags (must_be_noun, first_turn_only)."""
        return pd.DataFrame(self._template_rows(), columns=["template", "must_be_noun", "first_turn_only"])

    def standalone_noun_phrases(self) -> pd.DataFrame:
        """One row per standalone phrase: axis, noun_phrase, plural_noun_phrase, preference (slots kept)."""
        columns = ["axis", "noun_phrase", "plural_noun_phrase", "preference"]
        return pd.DataFrame(self._standalone_rows(), columns=columns)

    def noun_phrases(self) -> list[_Phrase]:
        """Every noun phrase with its metadata, in upstream's order of construction."""
        nouns = self._noun_rows()
        phrases: list[_Phrase] = [
            ("null", None, None, None, noun, gender, "noun", f"{article(noun)} {noun}", plural)
            for gender, noun, plural in nouns
        ]
        for axis, bucket, descriptor, preference, gender, art in self._descriptor_rows():
            phrases.append((axis, bucket, descriptor, preference, None, None, "descriptor", descriptor, descriptor))
            art = art or article(descriptor)
            phrases += [
                (axis, bucket, descriptor, preference, noun, noun_gender, "descriptor_noun",
                 f"{art} {descriptor} {noun}", f"{descriptor} {plural}")
                for noun_gender, noun, plural in nouns
                if gender is None or gender == noun_gender
            ]
        for axis, phrase, plural_phrase, preference in self._standalone_rows():
            if "{noun}" in phrase:
                descriptor = phrase.format(article="", noun="").lstrip()
                phrases += [
                    (axis, None, descriptor, preference, noun, noun_gender, "noun_descriptor",
                     phrase.format(article=article(noun), noun=noun),
                     plural_phrase.format(article="", noun=plural).lstrip())
                    for noun_gender, noun, plural in nouns
                ]
            else:
                phrases.append((axis, None, phrase, preference, None, "neutral", "fixed_phrase", phrase, plural_phrase))
        return phrases

    def load(self) -> pd.DataFrame:
        """Every sentence: each noun phrase in each template it may fill (about 600k rows for v1.1)."""
        templates = []
        for template, must_be_noun, _first_turn in self._template_rows():
            plural = "{plural_noun_phrase}" in template
            prefix, suffix = template.split("{plural_noun_phrase}" if plural else "{noun_phrase}")
            templates.append(_Template(template, must_be_noun, plural, prefix, suffix))
        columns: dict[str, list] = {name: [] for name in COLUMNS}
        for *metadata, singular, plural in self.noun_phrases():
            has_noun = metadata[COLUMNS.index("noun")] is not None
            chosen = [t for t in templates if has_noun or not t.must_be_noun]
            for name, value in zip(COLUMNS[:7], metadata, strict=True):
                columns[name] += [value] * len(chosen)
            columns["template"] += [t.template for t in chosen]
            columns["text"] += [t.prefix + (plural if t.plural else singular) + t.suffix for t in chosen]
        frame = pd.DataFrame(columns)
        return frame.astype({name: "category" for name in COLUMNS if name != "text"})
