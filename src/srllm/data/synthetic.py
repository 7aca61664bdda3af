"""Synthetic rewrite pairs of kinds no licensed public corpus offers (srllm's own templates).

Three families, each a list of hand-written templates (srllm.data.synthetic_templates) filled from
srllm.data.synthetic_lexicon:

- stereotype: a generalisation about a group -> a rewrite about the same topic without it;
- exclusion: discrimination in hiring, housing, service, ... -> an inclusive variation;
- violent: a threat or incitement against a group -> a non-violent variation keeping the grievance.

Every unsafe row comes with its benign rewrite as its own row (id + ":benign", parent_id set).
Pairs that contain gendered words are also gender-swapped (counterfactual augmentation): the
unsafe text, the rewrite and the target group are swapped with one mapping. Risk labels come from
the template and the lexicon entry; sentiment is VADER, so the Annotation rule applies honestly.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from itertools import product
from string import Formatter

from srllm.data.labels import sentiment
from srllm.data.schema import CMDRecord
from srllm.data.synthetic_lexicon import (
    AXES,
    BUILTIN_GENDER_PAIRS,
    INSULTS,
    VIOLENCE,
    Group,
    Trait,
    Violence,
)
from srllm.data.synthetic_templates import (  # noqa: F401 - re-exported: the templates' old home
    ALL_KINDS,
    EXCLUSION,
    FAMILIES,
    NOUN_KINDS,
    STEREOTYPE,
    VIOLENT,
    Family,
    Template,
)
from srllm.taxonomy import LEVELS

SOURCE = "synthetic"
REVIEW_FILE = "synthetic_review.tsv"

LABEL_ORIGIN: dict[str, str] = {
    "text": "generated: hand-written templates filled from srllm's own lexicons (groups, stereotypes, insults, "
    "threats), sampled with random.Random(seed); pairs with gendered words are also gender-swapped with the "
    "debiaswe (male, female) pairs (a built-in list fills words it lacks): text, rewrite and target group together; "
    "plus the neutral family (srllm.data.synthetic_neutral): everyday sentences naming a lexicon group, no pair; "
    "plus the counter family (srllm.data.synthetic_counter): a human-written implied statement of a hateful TRAIN "
    "post inside a hand-written frame that denies, condemns or reports it, in the post's split",
    "bias": "template: every unsafe template targets a group -> Yes; the benign rewrite, the neutral and counter "
    "families -> No",
    "toxicity": "template: stereotype No (srllm.data.labels.STEREOTYPE_TOXICITY), exclusion Mild, violent High; "
    "raised to Mild when a lexicon insult "
    "(name-calling such as 'parasites', 'idiots') or a template's insulting word ('Pathetic', 'Disgusting') "
    "is used; the benign rewrite, the neutral and counter families -> No",
    "harm": "template: stereotype Low (Medium for lexicon claims of danger/criminality or warnings to keep "
    "children away), exclusion Medium (discrimination without violence; the taxonomy's wording would allow "
    "High), violent High; the benign rewrite, the neutral and counter families -> Low",
    "sentiment": "VADER (weak label) on the generated text",
    "target_demographic": "template slot: the axis of the inserted group",
    "biased_words": "the lexicon stereotype, insult and violence words inserted, plus the template's fixed "
    "exclusionary words, as they occur in the text",
    "benign_variation": "template: a hand-written rewrite paired with each template, keeping the topic "
    "(the stereotype's neutral topic, the grievance) without the generalisation, exclusion or violence; "
    "it also becomes its own Benign row",
}


@dataclass(frozen=True)
class Slots:
    """One filling of a template's slots."""

    axis: str
    group: Group
    trait: Trait | None = None
    insult: str | None = None
    violence: Violence | None = None

    def key(self) -> str:
        trait, threat = self.trait and self.trait.text, self.violence and self.violence.pattern
        return "|".join(p for p in (self.group.plural, trait, self.insult, threat) if p)


@dataclass(frozen=True)
class Pair:
    """A rendered unsafe text with its benign rewrite and labels."""

    family: str
    axis: str
    source_id: str
    text: str
    benign: str
    biased_words: tuple[str, ...]
    toxicity: str
    harm: str


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def _sentence_case(text: str) -> str:
    """Upper-case the first letter of each sentence (after start or . ? ! and a space)."""
    return re.sub(r"(^|[.?!]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def _max_level(category: str, *levels: str) -> str:
    order = LEVELS[category]
    return max((lvl for lvl in levels if lvl), key=order.index)


def _fits(template: Template, threat: Violence | None) -> bool:
    """Whether a threat reads well with the template's object ("smash the windows of them" does not)."""
    if threat is None:
        return True
    if threat.noun_obj and "{group}" not in template.obj:
        return False
    trailing = not threat.pattern.endswith("{obj}")
    return not (trailing and len(template.obj.split()) > 3)


def _trait_fits(template: Template, trait: Trait) -> bool:
    return trait.kind in template.kinds and (not template.dangerous or trait.harm != "Low")


def _candidates(family: Family, template: Template, axis: str) -> list[Slots]:
    """Every slot filling of `template` for the groups of `axis` that fit `family`."""
    fields = _fields(template.unsafe)
    out: list[Slots] = []
    if axis in template.skip:
        return out
    for cluster in AXES[axis]:
        if cluster.families and family.name not in cluster.families:
            continue
        traits = [t for t in cluster.traits if _trait_fits(template, t)] if "trait" in fields else [None]
        insults = INSULTS if "insult" in fields else (None,)
        violence = [v for v in VIOLENCE if _fits(template, v)] if "violence" in fields else [None]
        for group, trait, insult, threat in product(cluster.groups, traits, insults, violence):
            out.append(Slots(axis, group, trait, insult, threat))
    return out


def _values(template: Template, slots: Slots) -> dict[str, str]:
    group, trait = slots.group, slots.trait
    values = {"group": group.plural, "sg": group.singular, "noun": group.noun, "insult": slots.insult or "",
              "trait": trait.text if trait else "", "topic": trait.topic if trait else ""}
    if slots.violence:
        values["violence"] = slots.violence.pattern.format(obj=template.obj.format(**values))
    return values


def _occurrences(text: str, phrases: tuple[str, ...]) -> tuple[str, ...]:
    """Each phrase as it is written in `text` (case may differ after sentence-casing)."""
    out = []
    for phrase in phrases:
        match = re.search(rf"\b{re.escape(phrase)}\b", text, re.IGNORECASE)
        if match is None:
            raise ValueError(f"biased phrase {phrase!r} not in {text!r}")
        if match.group(0) not in out:
            out.append(match.group(0))
    return tuple(out)


def _render(family: Family, index: int, slots: Slots) -> tuple[Pair, list[str]]:
    """The pair of one candidate (with the first benign option) and all its benign options."""
    template = family.templates[index]
    values = _values(template, slots)
    text = _sentence_case(template.unsafe.format(**values))
    options = [_sentence_case(b.format(**values)) for b in template.benign]
    trait = slots.trait
    phrases = (*template.words, *(p for p in (trait and trait.text, slots.insult) if p),
               *(slots.violence.words if slots.violence else ()))
    toxicity = _max_level("toxicity", family.toxicity, template.toxicity,
                          "Mild" if slots.insult or (trait and trait.insult) else "")
    harm = _max_level("harm", family.harm, template.harm, trait.harm if trait else "")
    pair = Pair(family.name, slots.axis, f"{family.name}:{index}:{slots.key()}", text, options[0],
                _occurrences(text, phrases), toxicity, harm)
    return pair, options


def _round_robin(lists: list[list[Slots]]) -> Iterator[tuple[int, Slots]]:
    """Interleave per-template candidate lists so templates are used evenly."""
    iterators = [iter(c) for c in lists]
    alive = list(range(len(lists)))
    while alive:
        for index in list(alive):
            item = next(iterators[index], None)
            if item is None:
                alive.remove(index)
            else:
                yield index, item


def _sample_family(family: Family, rng: random.Random, seen: set[str]) -> list[Pair]:
    """Up to `per_axis` pairs per axis with unseen texts, spread evenly over the templates."""
    pairs: list[Pair] = []
    for axis in AXES:
        lists = []
        for template in family.templates:
            candidates = _candidates(family, template, axis)
            rng.shuffle(candidates)
            lists.append(candidates)
        taken = 0
        for index, slots in _round_robin(lists):
            if taken == family.per_axis:
                break
            pair, options = _render(family, index, slots)
            rng.shuffle(options)
            benign = next((o for o in options if o not in seen and o != pair.text), None)
            if pair.text in seen or benign is None:
                continue
            seen.update((pair.text, benign))
            pairs.append(replace(pair, benign=benign))
            taken += 1
    return pairs


def swap_mapping(gender_pairs: list[tuple[str, str]] | None) -> dict[str, str]:
    """Word -> swapped word, both directions; given pairs first, the built-in list fills gaps."""
    mapping: dict[str, str] = {}
    for male, female in [*(gender_pairs or []), *BUILTIN_GENDER_PAIRS]:
        male, female = male.lower(), female.lower()
        if male not in mapping and female not in mapping:
            mapping[male], mapping[female] = female, male
    return mapping


def gender_swap(text: str, mapping: Mapping[str, str]) -> str:
    """Swap every gendered word of `text` by `mapping`, keeping capitalisation."""

    def repl(match: re.Match[str]) -> str:
        word = match.group(0)
        swapped = mapping.get(word.lower())
        if swapped is None:
            return word
        if word.isupper() and len(word) > 1:
            return swapped.upper()
        return swapped[0].upper() + swapped[1:] if word[0].isupper() else swapped

    return re.sub(r"[A-Za-z]+", repl, text)


def _swapped(pair: Pair, mapping: Mapping[str, str]) -> Pair | None:
    """The gender-swapped pair, or None when nothing changes or the swap is not reversible."""
    text, benign = gender_swap(pair.text, mapping), gender_swap(pair.benign, mapping)
    if text == pair.text and benign == pair.benign:
        return None
    if gender_swap(text, mapping) != pair.text or gender_swap(benign, mapping) != pair.benign:
        return None
    words = tuple(gender_swap(w, mapping) for w in pair.biased_words)
    if any(w not in text for w in words):
        return None
    family, index, key = pair.source_id.split(":", 2)
    source_id = f"{family}:{index}:{gender_swap(key, mapping)}:gender_swap"
    return replace(pair, source_id=source_id, text=text, benign=benign, biased_words=words)


def _records(pair: Pair, n: int, parent_id: str | None) -> tuple[CMDRecord, CMDRecord]:
    uid = f"{SOURCE}:{pair.family}:{n}"
    common = {"target_demographic": [pair.axis], "source": SOURCE, "provenance": "synthetic"}
    unsafe = CMDRecord.labelled(
        id=uid, text=pair.text, bias="Yes", toxicity=pair.toxicity, harm=pair.harm, sentiment=sentiment(pair.text),
        biased_words=list(pair.biased_words), benign_variation=pair.benign, source_id=pair.source_id,
        parent_id=parent_id, **common,
    )
    benign = CMDRecord.labelled(
        id=f"{uid}:benign", text=pair.benign, bias="No", toxicity="No", harm="Low", sentiment=sentiment(pair.benign),
        source_id=f"{pair.source_id}:benign", parent_id=uid, **common,
    )
    return unsafe, benign


def generate(seed: int, gender_pairs: list[tuple[str, str]] | None = None) -> list[CMDRecord]:
    """All synthetic rows for `seed`: per family, the sampled pairs then their gender swaps.

    Each unsafe row is followed by its benign rewrite row; a swapped pair's parent is the original
    unsafe row. Identical output for the same seed and pairs; no text occurs twice.
    """
    rng = random.Random(seed)
    mapping = swap_mapping(gender_pairs)
    seen: set[str] = set()
    records: list[CMDRecord] = []
    for family in FAMILIES:
        pairs = _sample_family(family, rng, seen)
        numbered = list(enumerate(pairs))
        swaps = []
        for n, pair in numbered:
            swapped = _swapped(pair, mapping)
            if swapped and swapped.text not in seen and swapped.benign not in seen:
                seen.update((swapped.text, swapped.benign))
                swaps.append((f"{SOURCE}:{family.name}:{n}", swapped))
        for n, pair in numbered:
            records.extend(_records(pair, n, None))
        for offset, (parent, pair) in enumerate(swaps):
            records.extend(_records(pair, len(pairs) + offset, parent))
    return records


def review_sample(records: list[CMDRecord], n: int = 30, seed: int = 0) -> list[CMDRecord]:
    """A seeded random sample of the unsafe side of the pairs (rows with a benign variation), in input order."""
    unsafe = [i for i, r in enumerate(records) if r.benign_variation is not None]
    chosen = sorted(random.Random(seed).sample(unsafe, min(n, len(unsafe))))
    return [records[i] for i in chosen]


def read_review() -> list[tuple[str, str, str]]:
    """(id, verdict, note) rows of the human review of review_sample(generate(13, debiaswe pairs), 30, seed=13)."""
    text = resources.files("srllm.data").joinpath(REVIEW_FILE).read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines(), delimiter="\t"))
    return [(r[0], r[1], r[2]) for r in rows[1:] if r]
