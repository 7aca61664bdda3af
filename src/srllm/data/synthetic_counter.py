"""Benign rows that refute, reject or report a stereotype (srllm's own frames around human-written claims).

Why: the only texts in the public TRAIN sets that spell a stereotype out are the hateful posts and their
implied statements, so every sentence that contains "<group> are <bad trait>" is Unsafe there. The
classifier learned the claim's words, not the stance towards them, and flagged counter-speech and negation
("It is false that <group> are criminals", "My uncle said <group> are lazy and I told him he was wrong")
as hate. These rows are the missing contrast: each takes one implied statement that annotators wrote for a
hateful TRAIN post (SBIC targetStereotype, implicit-hate implied_statement) and puts it in a frame that
denies it, condemns it or reports it as a prejudice. The frames are written here; none is taken from a
public test suite or from srllm's own held-out sets.

A second kind is the claim's minimal pair: the same statement negated ("<group> are not <trait>"), so that
the group and the trait words alone do not decide; only claims of the form "<subject> are|is <predicate>"
without a negation are negated.

Labels: bias No, toxicity No, harm Low (the text rejects the claim); sentiment is VADER on the text; so
the Annotation rule gives Benign. Ids ``synthetic:counter:<implied row id>`` (``synthetic:counter:not:<id>``
for a negation), parent_id the implied row (so a row always lands in its post's split and leaves with it),
provenance ``synthetic``, the target demographic of the implied row.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from srllm.data.labels import sentiment
from srllm.data.schema import CMDRecord
from srllm.data.synthetic import _sentence_case

FAMILY = "counter"
#: the share of implied statements that get one framed row, and the share that get a negated copy (seeded)
SHARE = 0.35
NEGATED_SHARE = 0.25
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
#: "<subject> are|is <predicate>" with one copula and no negation: the claims `negated` can deny
_COPULA = re.compile(r"^(?P<subject>\S.*?) (?P<verb>are|is) (?P<predicate>\S.*)$", re.IGNORECASE)
#: a subject with a restriction or a relative clause ("Only young women", "Holocaust joke that") does not
#: negate into a denial of the claim
_RESTRICTED = re.compile(r"\b(only|that|who|which|what|when|if)\b", re.IGNORECASE)
#: "are just / only / merely Y" negates into "not just Y", which keeps the claim
_HEDGED = re.compile(r"(just|only|merely|simply)\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(not|no|never|nothing|nobody|none|cannot)\b|n't\b", re.IGNORECASE)


def claim_of(statement: str) -> str:
    """The statement with its whitespace folded and its final punctuation removed (case as written)."""
    return _END.sub("", " ".join(statement.split()))


def negated(claim: str) -> str | None:
    """"<subject> are not <predicate>" for a claim with one copula, no negation and a plain subject of at
    most five words, else None: the minimal pair of the claim, the same group and words, the stance reversed."""
    match = _COPULA.match(claim)
    if (match is None or _NEGATION.search(claim) or _RESTRICTED.search(match["subject"])
            or _HEDGED.match(match["predicate"])
            or len(match["subject"].split()) > 5 or len(re.findall(r"\b(are|is)\b", claim, re.IGNORECASE)) != 1):
        return None
    return f"{match['subject']} {match['verb']} not {match['predicate']}"


def generate(seed: int, records: Iterable[CMDRecord]) -> list[CMDRecord]:
    """Benign rows from the implied-statement rows in `records` (ids containing ':implied:'): a framed
    row for a seeded `SHARE` of them (a frame drawn at random) and the negated claim for a seeded
    `NEGATED_SHARE` of those that `negated` can deny; the same seed gives the same rows."""
    rng = random.Random(f"{seed}:{FAMILY}")
    out: list[CMDRecord] = []
    for record in records:
        if ":implied:" not in record.id or len(record.text.split()) < MIN_WORDS:
            continue
        claim = claim_of(record.text)
        framed = rng.random() < SHARE
        frame = rng.choice(FRAMES)
        denial = negated(claim) if rng.random() < NEGATED_SHARE else None
        for suffix, text in (("", frame.format(claim=claim) if framed else None),
                             (":not", f"{denial}." if denial else None)):
            if text is None:
                continue
            text = _sentence_case(text)
            out.append(CMDRecord.labelled(
                id=f"synthetic:{FAMILY}{suffix}:{record.id}", text=text, bias="No", toxicity="No", harm="Low",
                sentiment=sentiment(text), target_demographic=record.target_demographic, source="synthetic",
                provenance="synthetic", source_id=record.id, parent_id=record.id))
    return out
