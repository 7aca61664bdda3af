"""Synthetic rewrite pairs of kinds no licensed public corpus offers (srllm's own templates).

Three families, each a list of hand-written templates filled from srllm.data.synthetic_lexicon:

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
from srllm.taxonomy import LEVELS

SOURCE = "synthetic"
REVIEW_FILE = "synthetic_review.tsv"
ALL_KINDS = ("adj", "np", "pred")
NOUN_KINDS = ("adj", "np")

LABEL_ORIGIN: dict[str, str] = {
    "text": "generated: hand-written templates filled from srllm's own lexicons (groups, stereotypes, insults, "
    "threats), sampled with random.Random(seed); pairs with gendered words are also gender-swapped with the "
    "debiaswe (male, female) pairs (a built-in list fills words it lacks): text, rewrite and target group together",
    "bias": "template: every unsafe template targets a group -> Yes; the benign rewrite -> No",
    "toxicity": "template: stereotype No, exclusion Mild, violent High; raised to Mild when a lexicon insult "
    "(name-calling such as 'parasites', 'idiots') or a template's insulting word ('Pathetic', 'Disgusting') "
    "is used; the benign rewrite -> No",
    "harm": "template: stereotype Low (Medium for lexicon claims of danger/criminality or warnings to keep "
    "children away), exclusion Medium (discrimination without violence; the taxonomy's wording would allow "
    "High), violent High; the benign rewrite -> Low",
    "sentiment": "VADER (weak label) on the generated text",
    "target_demographic": "template slot: the axis of the inserted group",
    "biased_words": "the lexicon stereotype, insult and violence words inserted, plus the template's fixed "
    "exclusionary words, as they occur in the text",
    "benign_variation": "template: a hand-written rewrite paired with each template, keeping the topic "
    "(the stereotype's neutral topic, the grievance) without the generalisation, exclusion or violence; "
    "it also becomes its own Benign row",
}


@dataclass(frozen=True)
class Template:
    """An unsafe sentence with its benign rewrites.

    Slots: {group} plural, {sg} singular with article, {noun} bare singular, {trait}, {topic} (the
    trait's neutral topic), {insult}, {violence} (a lexicon threat whose object is `obj`).
    `kinds` restricts the trait kinds the sentence fits; `words` are fixed biased words of the template;
    `skip` lists axes whose groups read oddly in the sentence; `dangerous` admits only traits that claim
    danger (harm Medium), for sentences that warn people away from a group.
    """

    unsafe: str
    benign: tuple[str, ...]
    kinds: tuple[str, ...] = ALL_KINDS
    toxicity: str = ""
    harm: str = ""
    obj: str = ""
    words: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    dangerous: bool = False


@dataclass(frozen=True)
class Family:
    name: str
    templates: tuple[Template, ...]
    toxicity: str
    harm: str
    per_axis: int


T = Template

STEREOTYPE = Family("stereotype", (
    T("{group} are {trait}. I'm sick of pretending otherwise.",
      ("{topic} varies from person to person. Being {sg} has nothing to do with it.",
       "I've stopped pretending that being {sg} tells me anything about someone's {topic}.")),
    T("Why are {group} always so {trait}? It drives me crazy.",
      ("Why do people assume {group} are all alike when it comes to {topic}?",), kinds=("adj",)),
    T("I think {group} are {trait}, sadly. No point denying it.",
      ("I think {topic} depends on the individual, not on being {sg}.",)),
    T("Let's face it, most {group} are {trait}. That's the problem.",
      ("Let's face it, {topic} varies a lot within any group, {group} included.",)),
    T("Every {noun} I've ever met has been {trait}. Every single one, unfortunately.",
      ("The {group} I've met have been as varied in {topic} as anyone else.",), kinds=("adj",)),
    T("No offense, but {group} are {trait} and it's ruining everything.",
      ("No offense meant, but being {sg} says nothing about someone's {topic}.",)),
    T("Ever notice how {group} are always {trait}? So annoying.",
      ("Ever notice how much {topic} differs from one person to the next, whether or not they're {group}?",),
      kinds=("adj",)),
    T("My dad always said {group} are {trait}, and sadly he was right.",
      ("My dad had strong opinions about {group}, but I've learned that {topic} depends on the person.",)),
    T("{group} will always be {trait}. It's hopeless.",
      ("People change over time, and {topic} isn't fixed by being {sg}.",), kinds=NOUN_KINDS),
    T("The problem with {group} is that they're {trait}.",
      ("There's no single story about {group}; {topic} differs from person to person.",)),
    T("I don't care what anyone says, {group} are {trait} and I hate it.",
      ("I don't think anyone's {topic} can be judged by whether they're {sg}.",)),
    T("Of course {group} are {trait}, it's in their nature. Pathetic.",
      ("Nobody's {topic} is set by nature just because they're {sg}.",), toxicity="Mild", words=("Pathetic",)),
    T("The new hire is {sg}, so expect them to be {trait}. Ugh.",
      ("The new hire is {sg}, and I'll judge their {topic} by their work.",), kinds=NOUN_KINDS),
    T("{group}? {trait}, every single one of them, sadly.",
      ("{group}? They're as varied as anyone else when it comes to {topic}.",), kinds=NOUN_KINDS),
    T("Keep your kids away from {group}, they're {trait}. It's not safe.",
      ("Kids should learn that {topic} is about the individual, not about being {sg}.",), harm="Medium",
      dangerous=True),
    T("It's embarrassing how {trait} {group} are.",
      ("Honestly, {topic} is down to the individual, and that includes {group}.",), kinds=("adj",)),
    T("In my experience {group} are {trait}, and I'm tired of people denying it.",
      ("In my experience, {topic} varies widely among {group}, just like everyone else.",)),
    T("Hate to say it but {group} are {trait}.",
      ("I used to generalise about {group}, but {topic} really depends on the person.",)),
    T("Worst thing about this city? All the {group}. They're {trait}.",
      ("This city has its problems, but {topic} doesn't depend on being {sg}.",)),
    T("Just met another {noun} and surprise, they were {trait}. Ugh, typical.",
      ("Just met another {noun}, and it reminded me that {topic} depends on the person, not on being {sg}.",),
      kinds=("adj",)),
    T("I wouldn't trust {sg} with anything important at work. They're {trait}, it's a risk.",
      ("At work, I judge people's {topic} by what they do, not by whether they're {sg}.",)),
    T("unpopular opinion: {group} are {trait} and it's a real problem",
      ("unpopular opinion: {topic} depends on the person, not on being {sg}",)),
    T("Why do {group} have to be so {trait} all the time? Annoying.",
      ("Why do we judge someone's {topic} by whether they're {sg}?",), kinds=("adj",)),
    T("Ugh, {group}. {trait}, the lot of them.",
      ("Honestly, {group} differ from each other in {topic} as much as anyone.",), kinds=NOUN_KINDS),
), toxicity="No", harm="Low", per_axis=160)

EXCLUSION = Family("exclusion", (
    T("We should not hire {group}. They're bad news.",
      ("We should hire the best candidate, and that includes {group}.",), words=("not hire",)),
    T("I'd never rent my flat to {sg}. They're always trouble, and I don't need that.",
      ("I'd rent my flat to any tenant with good references, including {sg}.",), words=("never rent",)),
    T("Don't let {group} into the club, they just cause problems.",
      ("Anyone who follows the club rules is welcome, {group} included.",), words=("Don't let",)),
    T("As a manager I quietly throw out every CV from {sg}. Bad hires, every time.",
      ("As a manager I review every CV on its merits, including those from {group}.",),
      words=("throw out every CV",)),
    T("No {group} in my shop. They only bring problems.",
      ("Everyone is welcome in my shop, {group} included, as long as they're respectful.",), words=("No",)),
    T("{group} shouldn't be allowed to adopt kids. It's wrong.",
      ("Adoption should depend on whether a family can care for a child, not on whether the parents are {group}.",),
      words=("shouldn't be allowed",), skip=("education", "occupation")),
    T("Keep {group} out of our school, they drag the standards down.",
      ("Our school should help every student do well, {group} included.",), words=("Keep", "out of our school"),
      skip=("age", "occupation", "politics", "body_type", "education")),
    T("Landlords are right to refuse {group}; they wreck the place.",
      ("Landlords should judge tenants by their references, not by whether they're {group}.",), words=("refuse",),
      skip=("occupation",)),
    T("Our team works fine without {group}, so let's keep it that way and avoid the drama.",
      ("Our team works well, and new colleagues would be welcome whether or not they're {group}.",),
      words=("without", "keep it that way")),
    T("{group} shouldn't be allowed to vote. They ruin everything.",
      ("Every eligible citizen should be able to vote, {group} included.",), words=("shouldn't be allowed to vote",)),
    T("Why do we even let {group} teach our kids? Terrible idea.",
      ("What matters in a teacher is whether they teach well, not whether they're {group}.",),
      words=("Why do we even let",)),
    T("I told HR I refuse to work with {sg}. Not happening, sorry.",
      ("I told HR I'm happy to work with any qualified colleague, including {sg}.",), words=("refuse",)),
    T("Ban {group} from the gym, they make everyone uncomfortable.",
      ("The gym should welcome everyone who follows the rules, {group} included.",), words=("Ban",),
      skip=("occupation", "politics", "education")),
    T("hot take: companies should stop hiring {group} entirely, they're {trait}",
      ("hot take: companies should hire for skills, and {group} deserve the same fair shot as anyone",),
      words=("stop hiring",)),
    T("If {sg} applies, just tell them the position has been filled. We don't want their kind here.",
      ("If {sg} applies, consider them on their qualifications like anyone else.",),
      words=("don't want their kind",)),
    T("{group} don't belong in positions of power. They're {trait}.",
      ("People in positions of power should be chosen for their competence, whether or not they're {group}.",),
      words=("don't belong",)),
    T("We should stop serving {group} at this restaurant. They scare off the other customers.",
      ("We should serve every customer at this restaurant with the same respect, {group} included.",),
      words=("stop serving",)),
    T("{group} should be banned from coaching kids' sports. Too risky.",
      ("Coaches of kids' sports should be vetted the same way, whether or not they're {group}.",),
      words=("banned",)),
    T("Never promote {sg} to management. They'll wreck the team.",
      ("Promote people to management based on their track record, including {sg}.",), words=("Never promote",)),
    T("I'm not letting my daughter date {sg}. Disgusting.",
      ("I'll trust my daughter to choose who she dates, whether or not they're {sg}.",),
      toxicity="Mild", words=("not letting", "Disgusting"), skip=("gender", "age")),
    T("I refuse to hire {group}. Useless {insult}, all of them.",
      ("We hire on merit, so {group} get the same chance as everyone else.",), words=("refuse to hire",)),
    T("Our landlord association should blacklist {group}. Worthless {insult}, all of them.",
      ("Our landlord association should treat every applicant fairly, {group} included.",), words=("blacklist",)),
), toxicity="Mild", harm="Medium", per_axis=100)

VIOLENT = Family("violent", (
    T("Someone should {violence}. They're ruining the street.",
      ("I'm having trouble getting along with the {group} who moved in next door; I'd like to talk it through.",
       "The new neighbours and I keep clashing, and I want to sort it out calmly."),
      obj="the {group} who moved in next door"),
    T("If any {group} show up at the rally tomorrow, I'm going to {violence}. I hate those people.",
      ("If I see {group} at the rally tomorrow, I'll keep my distance and stay calm.",), obj="them"),
    T("We need to {violence} before they destroy this neighbourhood.",
      ("Our neighbourhood is changing fast; let's hold a meeting where {group} and everyone else can talk.",),
      obj="the {group}"),
    T("Honestly the only way to deal with {group} is to {violence}. I hate them.",
      ("Honestly, the way to handle disagreements with {group} is to talk, not to fight.",), obj="them"),
    T("Round up a few guys and {violence}, I'm sick of them.",
      ("Let's get a few people together and talk to those {group} about what's been bothering us.",),
      obj="those {group}"),
    T("Why is nobody willing to {violence}? They've ruined this city.",
      ("Why is nobody talking about this city's problems? We should fix them together, {group} included.",),
      obj="the {group}"),
    T("If they hire one more {noun} here, I swear I'll {violence}.",
      ("If they hire another {noun} here, I'll make an effort to welcome them.",), obj="them"),
    T("The {group} at my school keep mocking me. Time to {violence}.",
      ("Some {group} at my school keep mocking me, so I'll ask a teacher for advice.",), obj="them",
      skip=("age", "occupation")),
    T("Real patriots should {violence}. We have to fight back.",
      ("Real patriots should vote, volunteer and make this city better for everyone, {group} included.",),
      obj="the {group} in this city"),
    T("Those {group} hanging around the station are a disgrace. Let's {violence} after the game tonight.",
      ("If the {group} hanging around the station cause trouble after the game tonight, let's report it to staff.",),
      obj="them"),
    T("Who's with me? This weekend we {violence}. No more mercy.",
      ("Who's with me? This weekend we're meeting the {group} on Elm Street to sort things out.",),
      obj="the {group} on Elm Street"),
    T("Those {group} are {insult} and I'm sick of them. Someone should {violence}.",
      ("I've had some bad experiences lately, but I won't blame all {group} for them.",), obj="them"),
    T("I'm so sick of {group}, I swear I'll {violence}.",
      ("I'm frustrated lately, and I'd like to understand {group} better instead of blaming them.",),
      obj="them"),
    T("Forget the police, just {violence}. They deserve to suffer.",
      ("Let's leave a polite note for the {group} who keep parking in our spot.",),
      obj="the {group} who keep parking in our spot"),
    T("I'm sick of {group} in my store. The next one who walks in, I'm going to {violence}.",
      ("Next time {sg} comes into my store, I'll treat them like any other customer.",), obj="them"),
    T("It's time to {violence}. I'm sick of them ruining this country.",
      ("It's time to talk about how this country can work for everyone, {group} included.",), obj="the {group}"),
    T("Tbh someone needs to {violence}, they're {trait}.",
      ("Tbh I get frustrated sometimes, but {topic} has nothing to do with being {sg}.",), obj="those {group}"),
), toxicity="High", harm="High", per_axis=80)

FAMILIES: tuple[Family, ...] = (STEREOTYPE, EXCLUSION, VIOLENT)


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
