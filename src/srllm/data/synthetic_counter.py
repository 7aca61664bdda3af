"""Benign rows that refute, reject or report a stereotype (srllm's own frames around human-written claims).

Why: the only texts in the public TRAIN sets that spell a stereotype out are the hateful posts and their
implied statements, so every sentence that contains "<group> are <bad trait>" is Unsafe there. The
classifier learned the claim's words, not the stance towards them, and flagged counter-speech and negation
("It is false that <group> are criminals", "My uncle said <group> are lazy and I told him he was wrong")
as hate. These rows are the missing contrast: each takes one implied statement that annotators wrote for a
hateful TRAIN post (SBIC targetStereotype, implicit-hate implied_statement) and puts it in a frame that
denies it, condemns it or reports it as a prejudice. The frames are written here; none is taken from a
public test suite or from srllm's own held-out sets.

Labels: bias No, toxicity No, harm Low (the text rejects the claim); sentiment is VADER on the text; so
the Annotation rule gives Benign. Ids ``synthetic:counter:<implied row id>``, parent_id the implied row
(so a row always lands in its post's split and leaves with it), provenance ``synthetic``, the target
demographic of the implied row.

Tried and dropped: the claim itself negated ("Muslims are violent" -> "Muslims are not violent.") as a
minimal pair. With it (classifier v8) "I'm a Black person." scored P(unsafe) 0.84, against 0.26 before:
the model learned "a short sentence about a group is hate unless it says not".
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from srllm.data.labels import sentiment
from srllm.data.schema import CMDRecord
from srllm.data.sources.base import is_implied
from srllm.data.synthetic import _sentence_case

FAMILY = "counter"
#: the share of implied statements that get one framed row (seeded)
SHARE = 0.35
#: shorter claims are mostly fragments that read badly in a frame
MIN_WORDS = 3

#: {claim}: the implied statement as written, without its final punctuation.
FRAMES: tuple[str, ...] = (
    # denial
    "It is not true that {claim}.",
    "There is no evidence at all that {claim}.",
    "Anyone who has actually met people knows it is false that {claim}.",
    "No, {claim} is not a fact, it is a prejudice.",
    "I grew up believing that {claim}, and I was wrong.",
    "The idea that {claim} has been disproved again and again.",
    # condemnation of someone else's claim
    "My coworker said {claim}, and I told him that was bigoted.",
    "People who say {claim} are spreading hate, and we should call it out.",
    "Claiming that {claim} is discrimination, plain and simple.",
    "I reported the post because it said {claim}.",
    "Please stop sharing memes that say {claim}; it hurts real people.",
    "When a guest on the show said {claim}, the host stopped the interview.",
    "Saying \"{claim}\" is not an opinion, it's a slur dressed up as one.",
    "Our teacher asked us why so many people still repeat that {claim}, and how to answer them.",
    # reporting
    "The study tracked how often posts claimed that {claim} and found the claim spreads fastest after a crime story.",
    "The museum exhibit shows old propaganda that told people {claim}.",
    "Moderators removed hundreds of comments saying {claim} last week.",
    "The historian explained where the myth that {claim} came from.",
)

_END = re.compile(r"[\s.!?;:,]+$")


def claim_of(statement: str) -> str:
    """The statement with its whitespace folded and its final punctuation removed (case as written)."""
    return _END.sub("", " ".join(statement.split()))


def generate(seed: int, records: Iterable[CMDRecord]) -> list[CMDRecord]:
    """One framed Benign row for a seeded `SHARE` of the implied-statement rows in `records`
    (`srllm.data.sources.base.is_implied`), each with a frame drawn at random; the same seed gives the same rows."""
    rng = random.Random(f"{seed}:{FAMILY}")
    out: list[CMDRecord] = []
    for record in records:
        if not is_implied(record) or len(record.text.split()) < MIN_WORDS:
            continue
        framed = rng.random() < SHARE
        frame = rng.choice(FRAMES)
        rng.random()  # the dropped negation's draw: keeps the rows v9 and the README's corpus figures used
        if not framed:
            continue
        text = _sentence_case(frame.format(claim=claim_of(record.text)))
        out.append(CMDRecord.labelled(
            id=f"synthetic:{FAMILY}:{record.id}", text=text, bias="No", toxicity="No", harm="Low",
            sentiment=sentiment(text), target_demographic=record.target_demographic, source="synthetic",
            provenance="synthetic", source_id=record.id, parent_id=record.id))
    return out
