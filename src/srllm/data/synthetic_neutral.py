"""Benign synthetic rows that name a group in an everyday sentence (srllm's own templates).

Why: in the public sets a group's name occurs mostly in hateful posts (80 % of the train rows that say
"Black" are unsafe), and short sentences that mention a group neutrally or positively are almost
absent, so the classifier learned the name itself as a risk signal ("I'm a Black person." scored
0.54). These rows are the missing negatives: every group of the synthetic lexicon
(`srllm.data.synthetic_lexicon.AXES`) in hand-written sentences about neighbours, work, family,
hobbies and self-description, with no trait, claim or insult. They are written here, not taken from
any evaluation set, and none of their sentence frames is a HolisticBias template.

Labels: bias No, toxicity No, harm Low (the templates assert nothing about the group); sentiment is
VADER on the text; so the Annotation rule gives Benign. Ids ``synthetic:neutral:N``; provenance
``synthetic``; the target demographic is the group's axis.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from srllm.data.labels import sentiment
from srllm.data.schema import CMDRecord
from srllm.data.synthetic import _sentence_case
from srllm.data.synthetic_lexicon import AXES

FAMILY = "neutral"
#: how many rows per axis at most (every axis has at least 7 groups x 20 templates)
PER_AXIS = 200

#: {sg}: the singular with its article ("a Sikh", "an immigrant"); {group}: the plural ("Sikhs").
TEMPLATES: tuple[str, ...] = (
    "My neighbour is {sg}, and we take turns walking each other's dogs.",
    "As {sg}, I volunteer at the library every Saturday morning.",
    "Our new team lead is {sg} who used to work in logistics.",
    "I sat next to {sg} on the train and we talked about football the whole way.",
    "My cousin married {sg} last spring, and the wedding was lovely.",
    "We hired {sg} for the data team last month.",
    "I'm {sg}, and I teach maths at the secondary school down the road.",
    "Being {sg} is part of who I am, and I'm happy to talk about it.",
    "The winner of this year's baking contest was {sg} from the next village.",
    "My oldest friend from primary school is {sg}.",
    "{sg} opened a bakery on our street, and the bread is great.",
    "{group} from all over the city came to the street festival on Sunday.",
    "The documentary follows three {group} who run a community garden.",
    "Several {group} joined our book club this year, and the discussions got better.",
    "The panel on housing included {group}, landlords and city planners.",
    "I grew up around {group} and have always felt at home there.",
    "A local charity run by {group} collected three vans of food for the shelter.",
    "The survey asked {group} what they think about the bus service.",
    "Two {group} from my class started a chess club at school.",
    "Thanks to the {group} who helped clear the snow off our road this morning.",
)

def generate(seed: int, exclude: Iterable[str] = ()) -> list[CMDRecord]:
    """Up to `PER_AXIS` benign rows per axis, drawn at random from every (template, group) pair of the
    axis, seeded (the same seed gives the same rows); texts in `exclude` (and repeats) are skipped."""
    rng = random.Random(f"{seed}:{FAMILY}")
    seen = set(exclude)
    records: list[CMDRecord] = []
    for axis, clusters in AXES.items():
        groups = [g for cluster in clusters for g in cluster.groups]
        combos = [(t, g) for t in range(len(TEMPLATES)) for g in groups]
        rng.shuffle(combos)
        taken = 0
        for index, group in combos:
            if taken == PER_AXIS:
                break
            text = _sentence_case(TEMPLATES[index].format(sg=group.singular, group=group.plural))
            if text in seen:
                continue
            seen.add(text)
            records.append(CMDRecord.labelled(
                id=f"synthetic:{FAMILY}:{len(records)}", text=text, bias="No", toxicity="No", harm="Low",
                sentiment=sentiment(text), target_demographic=[axis], source="synthetic", provenance="synthetic",
                source_id=f"{FAMILY}:{index}:{group.plural}",
            ))
            taken += 1
    return records
