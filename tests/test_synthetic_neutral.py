"""The neutral synthetic family: benign sentences naming every axis's groups, seeded, no repeats, not
sharing a sentence frame with the HolisticBias templates."""

from __future__ import annotations

from collections import Counter

from srllm.data.schema import CMDRecord
from srllm.data.synthetic import generate as generate_pairs
from srllm.data.synthetic_lexicon import AXES
from srllm.data.synthetic_neutral import PER_AXIS, TEMPLATES, generate


def test_rows_are_benign_valid_and_cover_every_axis():
    rows = generate(13)
    assert rows == generate(13) and [r.text for r in generate(14)] != [r.text for r in rows]
    assert len({r.text for r in rows}) == len(rows) and len({r.id for r in rows}) == len(rows)
    per_axis = Counter(r.target_demographic[0] for r in rows)
    assert set(per_axis) == set(AXES) and max(per_axis.values()) <= PER_AXIS and min(per_axis.values()) >= 100
    for r in rows:
        assert CMDRecord.model_validate(r.model_dump()) == r
        assert (r.bias, r.toxicity, r.harm, r.annotation) == ("No", "No", "Low", "Benign")
        assert r.provenance == "synthetic" and r.source == "synthetic" and r.id.startswith("synthetic:neutral:")
        assert r.benign_variation is None and not r.biased_words
        assert r.text[0].isupper() and "{" not in r.text
    used = Counter(r.source_id.split(":")[1] for r in rows)
    assert len(used) == len(TEMPLATES)  # every template is used


def test_the_group_is_named_in_the_text():
    groups = {g.plural: g for clusters in AXES.values() for c in clusters for g in c.groups}
    for r in generate(13)[:300]:
        group = groups[r.source_id.split(":", 2)[2]]
        assert group.plural.lower() in r.text.lower() or group.singular.lower() in r.text.lower(), r.text


def test_no_text_repeats_a_pair_row():
    pairs = generate_pairs(13)
    texts = {r.text for r in pairs}
    assert not texts & {r.text for r in generate(13, exclude=texts)}
