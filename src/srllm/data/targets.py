"""Target groups named by the human-labelled sources, mapped to the taxonomy's demographics.

Sources name targets in free text ("black folks", "Jewish", "immigrants", "lesbian women, gay men")
or in codes (HatemojiBuild's 'bla', 'gaywom'). `group_axes` maps a group name by the keyword table
below, then by the demographic lexicon; a group it cannot place is 'other'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from srllm.data.demographics import detect_demographics
from srllm.taxonomy import DEMOGRAPHICS, NO_TARGET

#: axis -> words (whole-word, case-insensitive, `*` = any ending) that name a group on that axis
GROUP_KEYWORDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "age": ("old*", "elder*", "young", "youth", "teen*", "child*", "kid*", "senior*", "boomer*", "millennial*",
            "age", "aged", "minors", "babies", "baby"),
    "gender": ("women", "woman", "men", "man", "female*", "male*", "girl*", "boy*", "feminist*",
               "mother*", "wives", "wife", "ladies", "sexes", "gender"),
    "sexual_orientation": ("gay*", "lesbian*", "bisexual*", "bi", "homosexual*", "lgbt*", "queer*", "trans*",
                           "non-binary", "nonbinary", "asexual*", "straight", "sexual orientation"),
    "race_ethnicity": ("black*", "white*", "african*", "asian*", "latin*", "hispanic*", "mexican*", "arab*",
                       "native american*", "first nation*", "indigenous", "aborigin*", "caucasian*", "race*",
                       "racial", "ethnic*", "minorit*", "people of color", "poc", "non-white*", "chinese",
                       "japanese", "korean*", "indian*", "pakistan*", "roma", "travel*", "gypsies", "gypsy",
                       "mixed race", "mixed-race", "biracial"),
    "religion": ("jew*", "muslim*", "islam*", "christian*", "catholic*", "hindu*", "sikh*", "buddhis*",
                 "atheist*", "religio*", "mormon*", "nonreligious"),
    "disability": ("disab*", "autis*", "blind", "deaf", "mental*", "handicap*", "retard*", "down syndrome",
                   "wheelchair*", "ill", "illness*", "disorder*"),
    "nationality": ("national*", "foreign*", "americans", "british", "french", "german*", "polish", "poland",
                    "irish", "ireland", "italian*", "russian*", "country", "countries", "germany", "france"),
    "immigration": ("immigra*", "migrant*", "refugee*", "asylum*", "illegal*", "undocumented"),
    "income": ("poor", "rich", "working class", "homeless", "welfare", "economic", "low income", "low-income",
               "class"),
    "politics": ("liberal*", "conservative*", "democrat*", "republican*", "leftist*", "left-wing", "right-wing",
                 "trump*", "socialist*", "communist*", "political*", "progressive*"),
    "body_type": ("fat", "overweight", "obese", "body", "ugly", "short", "skinny", "bald"),
    "occupation": ("police", "cops", "soldier*", "veteran*", "worker*", "teacher*", "nurse*", "doctor*"),
    "education": ("uneducated", "illiterate", "educat*"),
})
assert set(GROUP_KEYWORDS) <= set(DEMOGRAPHICS), "every axis must be a taxonomy demographic"


def _pattern(terms: Iterable[str]) -> re.Pattern[str]:
    parts = []
    for term in terms:
        body = re.escape(term.rstrip("*"))
        parts.append(r"\b" + body + (r"\w*" if term.endswith("*") else r"\b"))
    return re.compile("|".join(parts), re.IGNORECASE)


_PATTERNS = tuple((axis, _pattern(terms)) for axis, terms in GROUP_KEYWORDS.items())
_NONE = {"", "none", "nan", "null", "n/a", "notgiven", "no target", "not specified", "no specific group", "unspecified"}


def group_axes(group: str) -> list[str]:
    """Demographic axes of one group name ('black folks' -> ['race_ethnicity']); [] for no group."""
    group = group.strip()
    if group.lower() in _NONE:
        return []
    found = [axis for axis, pattern in _PATTERNS if pattern.search(group)]
    if not found:
        found = [a for a in detect_demographics(group) if a != NO_TARGET]
    return found or ["other"]


def target_axes(groups: Iterable[str], text: str | None = None) -> list[str]:
    """The axes of every group, in taxonomy order; with no group, the lexicon's axes of `text`
    (or [NO_TARGET])."""
    found = {axis for group in groups for axis in group_axes(str(group))}
    if found:
        return [axis for axis in DEMOGRAPHICS if axis in found]
    return detect_demographics(text) if text is not None else [NO_TARGET]


def names_group(text: str) -> bool:
    """True when `text` names a group the table or the lexicon can place ('black folks are lazy'),
    False for fragments such as 'is violent' or 'trivializes harm to victims'."""
    return group_axes(text) not in ([], ["other"])
