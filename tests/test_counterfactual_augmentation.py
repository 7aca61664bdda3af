"""Counterfactual augmentation of the classifier's training rows (srllm.classify.counterfactual)."""

from __future__ import annotations

import random

import pytest

from srllm.classify.counterfactual import (ADJECTIVE_AXIS, GROUP_NOUNS, NOUN_AXIS, counterfactual_copies,
                                           group_terms, swap_groups)
from srllm.data.schema import CMDRecord
from srllm.data.spans import span_words
from srllm.taxonomy import DEMOGRAPHICS


def test_every_swap_word_has_a_taxonomy_axis() -> None:
    assert set(ADJECTIVE_AXIS.values()) | set(NOUN_AXIS.values()) <= set(DEMOGRAPHICS)


def test_adjectives_swap_only_before_a_word_for_people() -> None:
    assert group_terms("She drinks black coffee with white sugar.") == []
    assert [slot for *_, slot in group_terms("Black people and a Muslim woman")] == ["adjective", "adjective"]
    # "women" after "Muslim" belongs to the adjective; "Jews" stands alone
    assert [(s, e, slot) for s, e, slot in group_terms("Muslim women and Jews")] == [(0, 6, "adjective"),
                                                                                    (17, 21, "noun")]


@pytest.mark.parametrize("seed", range(20))
def test_swap_keeps_grammar_spans_and_differs(seed: int) -> None:
    text = "Honestly, an Asian man told me that Muslims are lazy and Muslims lie."
    spans = [(48, 52), (65, 68)]  # "lazy", "lie"
    swapped = swap_groups(text, spans, random.Random(seed))
    assert swapped is not None
    new, new_spans, removed, added = swapped
    assert new != text
    assert span_words(new, new_spans) == ["lazy", "lie"]
    assert removed == {"race_ethnicity", "religion"} and added <= set(DEMOGRAPHICS)
    # "a"/"an" follows the new adjective; one mapping per text
    article = new.split()[1]
    adjective = new.split()[2]
    assert article == ("an" if adjective[0].lower() in "aeiou" else "a")
    nouns = [new[s:e] for s, e, slot in group_terms(new) if slot == "noun"]
    assert len(nouns) == 2 and nouns[0] == nouns[1]


def test_a_span_over_the_group_word_moves_with_it() -> None:
    text = "Muslims are terrorists"
    new, spans, *_ = swap_groups(text, [(0, 22)], random.Random(3))
    assert spans == [(0, len(new))]


def test_capitals_follow_the_sentence_not_the_old_word() -> None:
    rng = random.Random(0)
    for _ in range(20):
        new, *_ = swap_groups("I told them. Muslims pray, and so do Jews.", [], rng)
        first, last = new.split(". ")[1].split()[0], new.rstrip(".").split()[-1]
        assert first[0].isupper()
        assert last in {w for words in GROUP_NOUNS.values() for w in words}  # as written in the vocabulary


def _record(text: str, annotation_unsafe: bool, spans: list[tuple[int, int]] | None = None) -> CMDRecord:
    labels = (dict(bias="Yes", toxicity="High", sentiment="Negative", harm="High") if annotation_unsafe
              else dict(bias="No", toxicity="No", sentiment="Neutral", harm="Low"))
    spans = spans or []
    return CMDRecord.labelled(id=f"t:{len(text)}", text=text, target_demographic=["religion"],
                              biased_spans=spans, biased_words=span_words(text, spans) if spans else [],
                              source="t", source_id=str(len(text)), provenance="public", **labels)


def test_copies_keep_labels_and_validate() -> None:
    rows = [_record("Muslims are filthy animals.", True, [(12, 26)]),
            _record("My Jewish neighbours invited us for dinner.", False),
            _record("The weather is nice today.", False)]
    copies = counterfactual_copies(rows, 2, seed=5)
    assert {c.parent_id for c in copies} == {rows[0].id, rows[1].id}  # the row naming no group gives none
    for copy in copies:
        parent = next(r for r in rows if r.id == copy.parent_id)
        assert (copy.annotation, copy.bias, copy.toxicity, copy.harm) == (parent.annotation, parent.bias,
                                                                          parent.toxicity, parent.harm)
        assert copy.id.startswith(parent.id + "#cf") and copy.text != parent.text
        CMDRecord.model_validate(copy.model_dump())  # spans, words, demographics and rule still hold
    assert counterfactual_copies(rows, 2, seed=5) == copies  # seeded


def test_benign_rows_can_get_more_copies() -> None:
    rows = [_record("Muslims are filthy animals.", True, [(12, 26)]),
            _record("My Jewish neighbours invited us for dinner.", False)]
    copies = counterfactual_copies(rows, 1, seed=2, benign_copies=3)
    assert sum(c.parent_id == rows[0].id for c in copies) == 1
    assert sum(c.parent_id == rows[1].id for c in copies) == 3
