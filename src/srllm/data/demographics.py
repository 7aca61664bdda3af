"""Words that name a demographic group, per axis of the taxonomy, and a detector over them.

Used to fill `target_demographic` for public rows whose source does not name the target, and by
the synthetic generator. Matching is whole-word and case-insensitive; a trailing `*` in a term
matches any word ending (e.g. `immigra*`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from srllm.taxonomy import DEMOGRAPHICS, NO_TARGET

DEMOGRAPHIC_TERMS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "age": ("old people", "elderly", "boomer*", "millennial*", "teenager*", "seniors", "old man", "old woman",
                "old men", "old women", "young people", "zoomer*", "geezer*", "retiree*", "the old", "kids these days"),
        "gender": ("women", "woman", "men", "girl*", "female*", "male*", "feminis*", "ladies", "lady", "wife",
                   "wives", "husband*", "mother*", "daughter*", "sister*", "bitch*", "hoe", "hoes", "slut*",
                   "whore*", "boys"),
        "sexual_orientation": ("gay*", "lesbian*", "bisexual*", "homosexual*", "queer*", "lgbt*", "fag*",
                               "dyke*", "straight people", "heterosexual*", "transgender*", "trans people",
                               "tranny", "trannies"),
        "race_ethnicity": ("black people", "blacks", "white people", "whites", "african*", "asian*", "latino*",
                           "latina*", "hispanic*", "mexican*", "chinese", "arab*", "native american*", "nigg*",
                           "negro*", "caucasian*", "racial", "ethnic*", "indian*",
                           "white race", "white man", "black man", "black woman", "black women", "black men"),
        "religion": ("muslim*", "islam*", "jew", "jews", "jewish", "christian*", "catholic*", "hindu*", "buddhis*",
                     "atheist*", "religio*", "church*", "mosque*", "synagogue*", "koran", "quran", "bible",
                     "sikh*", "mormon*"),
        "disability": ("disab*", "retard*", "autis*", "blind", "deaf", "wheelchair*", "crippl*", "mentally ill",
                       "mental illness", "handicap*", "down syndrome", "dyslexi*", "paraplegic*", "amputee*"),
        "nationality": ("americans", "british", "french", "germans", "russians", "mexicans", "canadians",
                        "foreigner*", "nationalit*", "irish", "italians"),
        "immigration": ("immigra*", "migrant*", "refugee*", "illegals", "illegal alien*", "asylum",
                        "deport*"),
        "education": ("uneducated", "dropout*", "illiterate", "no degree", "ignorant masses"),
        "income": ("poor people", "the poor", "rich people", "the rich", "welfare", "homeless", "poverty",
                   "millionaire*", "billionaire*", "low-income", "working class", "trailer trash", "ghetto"),
        "politics": ("liberal*", "conservative*", "democrat*", "republican*", "leftist*", "left-wing",
                     "right-wing", "libtard*", "trump*", "maga", "socialist*", "communist*", "progressive*",
                     "politician*"),
        "body_type": ("fat", "obese", "overweight", "skinny", "ugly", "short people", "bald"),
        "occupation": ("nurse*", "doctor*", "engineer*", "lawyer*", "secretary", "teacher*", "cops", "police",
                       "soldier*", "journalist*", "ceo*", "cleaner*", "janitor*"),
    }
)
assert set(DEMOGRAPHIC_TERMS) <= set(DEMOGRAPHICS), "every axis must be a taxonomy demographic"


def term_pattern(term: str) -> str:
    if term.endswith("*"):
        return r"\b" + re.escape(term[:-1]) + r"\w*"
    return r"\b" + re.escape(term) + r"\b"


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (axis, re.compile("|".join(term_pattern(t) for t in terms), re.IGNORECASE))
        for axis, terms in DEMOGRAPHIC_TERMS.items()
    )


def group_mentions(text: str) -> list[tuple[str, int, int]]:
    """(axis, start, end) of every demographic term in `text`, in text order."""
    found = [(axis, m.start(), m.end()) for axis, pattern in _patterns() for m in pattern.finditer(text)]
    return sorted(found, key=lambda x: (x[1], x[2]))


def detect_demographics(text: str) -> list[str]:
    """The demographic axes whose terms occur in `text`, in taxonomy order, or [NO_TARGET]."""
    found = [axis for axis, pattern in _patterns() if pattern.search(text)]
    return found or [NO_TARGET]
