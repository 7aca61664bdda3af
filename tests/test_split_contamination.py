from collections import Counter

import pytest

from srllm.data.build import _decontaminate, _dedupe
from srllm.data.contamination import EvalIndex, normalise, overlap_report, text_hash
from srllm.data.schema import CMDRecord
from srllm.data.split import assign_splits


def rec(i: int, source: str = "a", sentiment: str = "Negative", parent: str | None = None, text: str | None = None,
        variation: str | None = None) -> CMDRecord:
    return CMDRecord.labelled(
        id=f"{source}:{i}" if parent is None else f"{parent}:child", text=text or f"text number {i} of {source}",
        bias="Yes" if parent is None else "No", toxicity="No", sentiment=sentiment, harm="Low", source=source,
        source_id=str(i), provenance="public", parent_id=parent, benign_variation=variation,
    )


def corpus(n: int = 1000) -> list[CMDRecord]:
    rows = []
    for i in range(n):
        parent = rec(i, source="a" if i % 3 else "b", sentiment="Negative" if i % 4 else "Neutral")
        rows.append(parent)
        if i % 2:
            rows.append(rec(i, source=parent.source, parent=parent.id, text=f"rewrite {i}"))
    return rows


def test_split_ratios_are_70_10_20_per_stratum():
    rows = corpus()
    assignment = assign_splits(rows, seed=1)
    roots = [r for r in rows if r.parent_id is None]
    for stratum in {(r.source, r.annotation) for r in roots}:
        members = [r for r in roots if (r.source, r.annotation) == stratum]
        counts = Counter(assignment[r.id] for r in members)
        n = len(members)
        assert abs(counts["train"] - 0.7 * n) <= 1 and abs(counts["dev"] - 0.1 * n) <= 1
        assert sum(counts.values()) == n


def test_children_follow_their_parent_and_split_is_seeded():
    rows = corpus()
    first, again, other = assign_splits(rows, 7), assign_splits(rows, 7), assign_splits(rows, 8)
    assert first == again and first != other
    for r in rows:
        if r.parent_id:
            assert first[r.id] == first[r.parent_id]
    assert assign_splits(list(reversed(rows)), 7) == first  # input order does not matter


def test_split_rejects_bad_ratios_and_orphans():
    with pytest.raises(ValueError, match="summing to 1"):
        assign_splits(corpus(10), 1, (0.5, 0.5, 0.5))
    orphan = rec(1, parent="a:missing")
    with pytest.raises(ValueError, match="parent 'a:missing' is not in the corpus"):
        assign_splits([orphan], 1)


def test_normalisation_ignores_case_punctuation_and_spacing_only():
    assert normalise("  Women are BAD!!  ") == "women are bad"
    assert text_hash("Women are BAD!!") == text_hash("women are bad")
    assert text_hash("women are bad") != text_hash("women are good")
    assert normalise("Ｆｕｌｌｗｉｄｔｈ") == "fullwidth"


def test_decontamination_drops_rows_and_their_children():
    parent = rec(1, text="They are all criminals.")
    child = rec(1, parent=parent.id, text="Some people commit crimes.")
    clean = rec(2, text="A clean row.", variation="They are ALL criminals")  # variation also checked
    fine = rec(3)
    index = EvalIndex()
    index.add("evalset", ["they are all criminals", "unrelated"])
    kept, before = _decontaminate([parent, child, clean, fine], index)
    assert kept == [fine]
    assert before.overlap["evalset"] == 2 and before.by_source["a"]["evalset"] == 2
    assert overlap_report(kept, index).total == 0


def test_dedupe_keeps_first_and_repoints_children():
    a = rec(1, text="Same text.")
    b = rec(2, source="b", text="same text")
    child = rec(2, source="b", parent=b.id, text="rewrite of b")
    kept, info = _dedupe([a, b, child])
    assert [r.id for r in kept] == [a.id, child.id]
    assert kept[1].parent_id == a.id
    assert info["dropped_by_source"] == {"b": 1}


def test_rows_sharing_a_benign_variation_share_a_split():
    rows = []
    for i in range(200):
        rows.append(rec(i, text=f"The nurse said she was tired {i}.", variation=f"The nurse said they were tired {i}."))
        rows.append(rec(1000 + i, text=f"The nurse said he was tired {i}.", variation=f"the nurse said THEY were tired {i}"))
    assignment = assign_splits(rows, seed=3)
    for i in range(200):
        assert assignment[f"a:{i}"] == assignment[f"a:{1000 + i}"]
    assert set(assignment.values()) == {"train", "dev", "test"}


def test_cap_keeps_a_seeded_sample_of_unpaired_rows_and_every_pair():
    from srllm.data.build import _cap

    rows = corpus(100)  # odd i: a child rewrite; none has a benign variation
    paired = rec(500, source="a", text="paired text", variation="a neutral rewrite")
    kept, dropped = _cap([*rows, paired], {"a": 10}, seed=1)
    roots = [r for r in kept if r.source == "a" and r.parent_id is None and r.benign_variation is None]
    assert len(roots) == 10 and paired in kept
    assert all(r.parent_id in {k.id for k in kept} for r in kept if r.parent_id)  # children follow their parent
    assert dropped == {"a": sum(r.source == "a" for r in rows) - sum(r.source == "a" for r in kept if r != paired)}
    assert _cap([*rows, paired], {"a": 10}, seed=1)[0] == kept and _cap(rows, {"a": 10}, seed=2)[0] != kept[:-1]
    assert [r for r in kept if r.source == "b"] == [r for r in rows if r.source == "b"]


def test_emoji_are_words_for_the_text_hash():
    assert text_hash("I would love to 🔪 some 👳🏾") != text_hash("I would love to 🔪 some 👨🏿")
    assert text_hash("love 🔪!!") == text_hash("LOVE  🔪")
