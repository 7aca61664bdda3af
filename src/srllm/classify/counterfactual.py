"""Counterfactual data augmentation for the classifier's training sample (Zmigrod et al. 2019;
Dinan et al. 2020): copies of training rows that mention an identity group, with the group swapped
for another one and the labels kept.

Why: in the corpus, a text naming some groups is far more often unsafe than one naming others
("Black ..." is unsafe in 80% of the train rows that say it, "Asian ..." in 43%), so the classifier
learns the group name itself as a risk signal and calls "I'm a Black person." unsafe. A copy of
"Muslims are terrorists" as "Buddhists are terrorists" keeps its label, and a copy of a benign
sentence about Jewish neighbours as one about Sikh neighbours keeps its label: what makes a text
unsafe has to be what it says about the group, not which group it names.

The swap vocabulary is two slots of interchangeable words written here (not taken from any
evaluation set): group adjectives before a word for people ("a Muslim woman"), and group nouns in
the plural ("Muslims"). Swaps stay within a slot, so the grammar holds. Character spans are moved
with the text.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from srllm.taxonomy import DEMOGRAPHICS, NO_TARGET

#: Group adjectives, swapped only where a word for people follows ("Black people", "a gay man").
GROUP_ADJECTIVES: dict[str, tuple[str, ...]] = {
    "race_ethnicity": ("Black", "white", "Asian", "Latino", "Hispanic", "Arab", "Indian", "African",
                       "Mexican", "Chinese", "Native American", "Korean", "Pakistani"),
    "religion": ("Muslim", "Jewish", "Christian", "Hindu", "Buddhist", "Sikh", "Catholic", "atheist", "Mormon"),
    "sexual_orientation": ("gay", "lesbian", "bisexual", "straight", "trans", "transgender", "queer"),
    "disability": ("disabled", "blind", "deaf", "autistic"),
    "immigration": ("immigrant", "refugee"),
}
#: Words for people that license an adjective swap.
PERSON_NOUNS = ("person", "people", "man", "men", "woman", "women", "guy", "guys", "girl", "girls", "boy", "boys",
                "kid", "kids", "child", "children", "folks", "family", "families", "friend", "friends", "community",
                "communities", "neighbor", "neighbors", "neighbour", "neighbours", "student", "students", "worker",
                "workers", "couple", "couples", "teen", "teens", "parent", "parents", "mother", "mothers", "father",
                "fathers", "colleague", "colleagues", "coworker", "coworkers", "individuals", "americans")
#: Group nouns in the plural, swapped where they stand alone ("Muslims are ...").
GROUP_NOUNS: dict[str, tuple[str, ...]] = {
    "race_ethnicity": ("Asians", "Latinos", "Hispanics", "Arabs", "Africans", "Mexicans", "Indians",
                       "Pakistanis", "Koreans"),
    "religion": ("Muslims", "Jews", "Christians", "Hindus", "Buddhists", "Sikhs", "Catholics", "atheists",
                 "Mormons"),
    "gender": ("women", "men"),
    "sexual_orientation": ("gays", "lesbians", "bisexuals"),
    "immigration": ("immigrants", "refugees", "migrants"),
}


def _alternation(words: Sequence[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


def _slot(table: dict[str, tuple[str, ...]]) -> tuple[list[str], dict[str, str]]:
    words = [w for ws in table.values() for w in ws]
    return words, {w.lower(): axis for axis, ws in table.items() for w in ws}


_ADJECTIVES, ADJECTIVE_AXIS = _slot(GROUP_ADJECTIVES)
_NOUNS, NOUN_AXIS = _slot(GROUP_NOUNS)
_ADJECTIVE_RE = re.compile(rf"\b({_alternation(_ADJECTIVES)})(?=\s+(?:{_alternation(PERSON_NOUNS)})\b)", re.I)
_NOUN_RE = re.compile(rf"\b({_alternation(_NOUNS)})\b", re.I)


def group_terms(text: str) -> list[tuple[int, int, str]]:
    """(start, end, slot) of every swappable group word in `text`, in order; a plural noun right
    after a group adjective ("Muslim women") belongs to the adjective and is not swapped."""
    found = [(m.start(1), m.end(1), "adjective") for m in _ADJECTIVE_RE.finditer(text)]
    adjective_ends = [end for _, end, _ in found]
    for m in _NOUN_RE.finditer(text):
        preceded = any(text[e:m.start()].isspace() for e in adjective_ends if e < m.start())
        if not preceded:
            found.append((m.start(1), m.end(1), "noun"))
    return sorted(found)


def _cased(replacement: str, text: str, start: int) -> str:
    """The replacement as written in the vocabulary, capitalised at the start of a sentence."""
    if re.search(r"(^|[.!?:]\s+|^[\"'(\s]+)$", text[:start]):
        return replacement[:1].upper() + replacement[1:]
    return replacement


def swap_groups(text: str, spans: Sequence[tuple[int, int]], rng: random.Random
                ) -> tuple[str, list[tuple[int, int]], set[str], set[str]] | None:
    """`text` with each group word replaced by another of its slot (one mapping per text, so a word
    said twice changes the same way; "a"/"an" before it follows), its spans moved to match, and the
    axes of the words taken out and put in; None when `text` names no swappable group."""
    terms = group_terms(text)
    if not terms:
        return None
    mapping: dict[tuple[str, str], str] = {}
    edits: list[tuple[int, int, str]] = []
    removed: set[str] = set()
    added: set[str] = set()
    for start, end, slot in terms:
        word = re.sub(r"\s+", " ", text[start:end]).lower()
        vocabulary, axis_of = (_ADJECTIVES, ADJECTIVE_AXIS) if slot == "adjective" else (_NOUNS, NOUN_AXIS)
        if (slot, word) not in mapping:
            mapping[(slot, word)] = rng.choice([w for w in vocabulary if w.lower() != word])
        new = mapping[(slot, word)]
        removed.add(axis_of[word])
        added.add(axis_of[new.lower()])
        article = re.search(r"\b(an?)(\s+)$", text[:start], re.I)
        if article:
            wanted = "an" if new[:1].lower() in "aeiou" else "a"
            edits.append((article.start(1), article.end(1), _cased(wanted, text, article.start(1))))
        else:
            new = _cased(new, text, start)
        edits.append((start, end, new))
    pieces, cursor = [], 0
    for start, end, new in edits:
        pieces += [text[cursor:start], new]
        cursor = end
    pieces.append(text[cursor:])
    shifts = [(end, len(new) - (end - start)) for start, end, new in edits]

    def moved(offset: int) -> int:
        return offset + sum(delta for end, delta in shifts if end <= offset)

    new_spans = []
    for s, e in spans:
        inside = [(a, b) for a, b, _ in terms if a < e and b > s]
        if any(a < s or b > e for a, b in inside):  # a span cuts through a swapped word: keep it whole
            s, e = min([s] + [a for a, _ in inside]), max([e] + [b for _, b in inside])
        new_spans.append((moved(s), moved(e)))
    return "".join(pieces), new_spans, removed, added


def counterfactual_copies(records: Sequence[Any], copies: int, seed: int, benign_copies: int | None = None) -> list[Any]:
    """Up to `copies` counterfactual copies of every record that names a swappable group (up to
    `benign_copies` of a Benign one, default `copies`), with the same labels; ids end in '#cf<k>'
    and `parent_id` names the original. Seeded.

    Symmetric copies equalise the groups at the corpus's rate for rows naming a group (about 60 %
    unsafe); more benign copies are meant to lower that rate for every group alike. Measured here,
    neither narrowed the counterfactual spread overall (README, "Counterfactual augmentation")."""
    from srllm.data.spans import span_words

    rng = random.Random(seed)
    out = []
    for record in records:
        seen = {record.text}
        wanted = copies if benign_copies is None or record.annotation != "Benign" else benign_copies
        made = 0
        for _ in range(3 * wanted):  # a draw that repeats a text already made is drawn again
            if made == wanted:
                break
            swapped = swap_groups(record.text, list(record.biased_spans or []), rng)
            if swapped is None:
                break
            text, spans, removed, added = swapped
            if text in seen:
                continue
            seen.add(text)
            made += 1
            target = [d for d in DEMOGRAPHICS if d in (set(record.target_demographic) - removed) | added]
            out.append(record.model_copy(update={
                "id": f"{record.id}#cf{made}", "text": text, "biased_spans": spans,
                "biased_words": span_words(text, spans) if spans else [],
                "target_demographic": target or [NO_TARGET], "parent_id": record.id, "benign_variation": None}))
    return out
