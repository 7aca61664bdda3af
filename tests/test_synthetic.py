"""The synthetic rewrite pairs: determinism, coverage, valid labelled rows, gender swaps, review table."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from srllm.data import registry
from srllm.data.schema import CMDRecord
from srllm.data.synthetic import (
    FAMILIES,
    LABEL_ORIGIN,
    gender_swap,
    generate,
    read_review,
    review_sample,
    swap_mapping,
)
from srllm.data.synthetic_lexicon import AXES, BUILTIN_GENDER_PAIRS
from srllm.taxonomy import DEMOGRAPHICS

SEED = 13


@pytest.fixture(scope="module")
def records() -> list[CMDRecord]:
    return generate(SEED)


@pytest.fixture(scope="module")
def unsafe(records) -> list[CMDRecord]:
    return [r for r in records if r.benign_variation is not None]


@pytest.fixture(scope="module")
def debiaswe_pairs() -> list[tuple[str, str]]:
    from srllm.data.sources import adapter_class

    try:
        return adapter_class("debiaswe")(registry.default_data_dir()).gender_pairs()
    except registry.DataSourceError as exc:
        pytest.skip(f"real data not available: {exc}")


def test_same_seed_same_output_and_other_seed_differs(records):
    assert generate(SEED) == records
    assert [r.text for r in generate(SEED + 1)] != [r.text for r in records]


def test_no_duplicate_texts_or_ids(records):
    texts = [r.text for r in records]
    ids = [r.id for r in records]
    assert len(set(texts)) == len(texts)
    assert len(set(ids)) == len(ids)


def test_size_and_families(unsafe):
    assert 3000 <= len(unsafe) <= 6000
    families = Counter(r.id.split(":")[1] for r in unsafe)
    assert set(families) == {f.name for f in FAMILIES}


def test_every_axis_covered_by_every_family(unsafe):
    axes = [a for a in DEMOGRAPHICS if a != "other"]
    assert set(AXES) == set(axes)
    seen = {(r.id.split(":")[1], r.target_demographic[0]) for r in unsafe}
    assert seen == {(f.name, a) for f in FAMILIES for a in axes}


def test_rows_are_valid_synthetic_and_labelled_by_the_rule(records):
    for r in records:
        assert CMDRecord.model_validate(r.model_dump()) == r
        assert r.provenance == "synthetic" and r.source == "synthetic"
        assert re.fullmatch(r"synthetic:(stereotype|exclusion|violent):\d+(:benign)?", r.id)
        assert len(r.target_demographic) == 1 and r.target_demographic[0] in AXES


def test_unsafe_side_labels_and_biased_words(unsafe):
    for r in unsafe:
        assert r.bias == "Yes"
        assert r.biased_words, r.id
        for word in r.biased_words:
            assert re.search(rf"\b{re.escape(word)}\b", r.text), (word, r.text)
        family = r.id.split(":")[1]
        if family == "violent":
            assert (r.toxicity, r.harm) == ("High", "High")
        if family == "exclusion":
            assert r.harm in ("Medium", "High") and r.toxicity != "No"
    share = sum(r.annotation == "Unsafe" for r in unsafe) / len(unsafe)
    assert share > 0.9


def test_benign_rows_pair_with_their_parents(records):
    by_id = {r.id: r for r in records}
    benign = [r for r in records if r.id.endswith(":benign")]
    assert len(benign) == len(records) / 2
    for r in benign:
        parent = by_id[r.parent_id]
        assert parent.benign_variation == r.text
        assert (r.bias, r.toxicity, r.harm, r.annotation) == ("No", "No", "Low", "Benign")
        assert r.benign_variation is None and r.target_demographic == parent.target_demographic


def test_gender_swap_helpers():
    mapping = swap_mapping([("he", "she"), ("men", "women")])
    assert gender_swap("Men say he is right; WOMEN disagree.", mapping) == "Women say she is right; MEN disagree."
    assert gender_swap("manager", mapping) == "manager"
    assert swap_mapping(None) == swap_mapping(list(BUILTIN_GENDER_PAIRS))


def _check_swaps(records: list[CMDRecord], pairs: list[tuple[str, str]] | None) -> int:
    mapping = swap_mapping(pairs)
    by_id = {r.id: r for r in records}
    swapped = [r for r in records if r.benign_variation is not None and r.parent_id]
    for r in swapped:
        original = by_id[r.parent_id]
        assert r.source_id.endswith(":gender_swap")
        assert r.text == gender_swap(original.text, mapping) != original.text
        assert r.benign_variation == gender_swap(original.benign_variation, mapping)
        assert r.target_demographic == original.target_demographic
        group = original.source_id.split(":")[2].split("|")[0]
        assert r.source_id.split(":")[2].split("|")[0] == gender_swap(group, mapping)
    return len(swapped)


def test_gender_swap_produces_consistent_pairs(records):
    assert _check_swaps(records, None) > 100
    women = next(r for r in records if r.source_id.startswith("stereotype:") and ":women|" in r.source_id
                 and r.source_id.endswith(":gender_swap"))
    assert re.search(r"\bwomen\b", women.text, re.IGNORECASE)


@pytest.fixture(scope="module")
def debiaswe_records(debiaswe_pairs) -> list[CMDRecord]:
    return generate(SEED, debiaswe_pairs)


def test_gender_swap_with_debiaswe_pairs(debiaswe_records, debiaswe_pairs):
    assert _check_swaps(debiaswe_records, debiaswe_pairs) > 100


def test_review_sample(records):
    sample = review_sample(records, 30, seed=SEED)
    assert len(sample) == 30 and len({r.id for r in sample}) == 30
    assert sample == review_sample(records, 30, seed=SEED)
    assert all(r.benign_variation is not None for r in sample)
    assert review_sample(records[:4], 30) == [r for r in records[:4] if r.benign_variation is not None]


def test_label_origin_names_record_fields():
    assert {"bias", "toxicity", "harm", "sentiment", "benign_variation"} <= set(LABEL_ORIGIN)
    assert set(LABEL_ORIGIN) <= set(CMDRecord.model_fields)


def test_review_table_matches_the_generator(debiaswe_records):
    rows = read_review()
    assert len(rows) == 30
    assert all(verdict in ("ok", "flawed") and note for _, verdict, note in rows)
    sample = review_sample(debiaswe_records, 30, seed=SEED)
    assert [row[0] for row in rows] == [r.id for r in sample]
