"""The `biased_spans` field: validation, file round trips, and the span helpers the adapters use."""

import pytest
from pydantic import ValidationError

from srllm.data.io import read_records, write_records
from srllm.data.labels import edited_spans, edited_words
from srllm.data.schema import CMDRecord, json_schema
from srllm.data.sources.base import rewrite_pair
from srllm.data.spans import fold_whitespace, span_words, spans_from_offsets, trim_spans
from srllm.data.targets import group_axes, names_group, target_axes

TEXT = "Ça va, you idiot 🙄 and moron."


def record(spans, words=None, text=TEXT):
    return CMDRecord.labelled(id="t:1", text=text, bias="No", toxicity="Mild", sentiment="Negative", harm="Low",
                              source="t", source_id="1", provenance="public", biased_spans=spans,
                              biased_words=span_words(text, spans) if words is None else words)


def test_valid_spans_with_emoji_and_non_ascii():
    idiot, moron = TEXT.index("idiot"), TEXT.index("moron")
    r = record([(idiot, idiot + 5), (moron, moron + 5)])
    assert r.biased_words == ["idiot", "moron"]
    assert [TEXT[s:e] for s, e in r.biased_spans] == ["idiot", "moron"]
    assert record([]).biased_spans == [] and record([]).biased_words == []


@pytest.mark.parametrize("spans,message", [
    ([(5, 3)], r"span 0 \[5, 3\]: expected 0 <= start < end <= 29"),
    ([(0, 99)], r"span 0 \[0, 99\]: expected 0 <= start < end"),
    ([(-1, 2)], r"expected 0 <= start < end"),
    ([(10, 15), (2, 4)], r"span 1 \[2, 4\]: spans must be sorted and non-overlapping"),
    ([(10, 15), (12, 20)], r"sorted and non-overlapping \(previous span ends at 15\)"),
])
def test_bad_spans_are_rejected_with_the_reason(spans, message):
    with pytest.raises(ValidationError, match=message):
        record(spans, words=[])


def test_biased_words_must_match_the_spans():
    idiot = TEXT.index("idiot")
    with pytest.raises(ValidationError, match=r"biased_words \['moron'\] are not the words inside biased_spans"):
        record([(idiot, idiot + 5)], words=["moron"])


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_spans_round_trip_through_every_format(tmp_path, suffix):
    idiot = TEXT.index("idiot")
    rows = [record([(idiot, idiot + 5)]), record([]).model_copy(update={"id": "t:2"})]
    path = tmp_path / f"rows{suffix}"
    write_records(rows, path)
    assert read_records(path) == rows


def test_json_schema_describes_spans():
    prop = json_schema()["properties"]["biased_spans"]
    assert prop["type"] == "array" and prop["items"]["prefixItems"] == [{"type": "integer"}] * 2


def test_offsets_merge_into_runs_and_trim():
    assert spans_from_offsets([9, 3, 4, 5, 5]) == [(3, 6), (9, 10)]
    assert trim_spans("a  bad, word", [(1, 7), (8, 12)]) == [(3, 6), (8, 12)]
    assert trim_spans("a  bad, word", [(1, 7), (7, 12)]) == [(3, 12)]  # touching spans are one run
    assert trim_spans("a   b", [(1, 4)]) == []


def test_fold_whitespace_moves_spans():
    text = "  hi \n\n you\tidiot  ✨ "
    idiot = text.index("idiot")
    folded, spans = fold_whitespace(text, [(idiot - 1, idiot + 5), (text.index("✨"), text.index("✨") + 1)])
    assert folded == "hi you idiot ✨"
    assert [folded[s:e] for s, e in spans] == ["idiot"]  # the emoji alone is not a word character span


def test_rewrite_pairs_get_the_spans_of_the_changed_words():
    text, rewrite = "you are a fucking idiot, ok", "you are wrong, ok"
    assert [text[s:e] for s, e in edited_spans(text, rewrite)] == ["a fucking idiot"]
    original, neutral = rewrite_pair(source="p", key="1", text=text, rewrite=rewrite, bias="No", toxicity="Mild",
                                     harm="Low")
    assert original.biased_words == edited_words(text, rewrite) == ["a", "fucking", "idiot"]
    assert original.biased_spans == [(8, 23)] and neutral.biased_spans == []


def test_target_groups_map_to_the_taxonomy():
    assert group_axes("black folks") == ["race_ethnicity"]
    assert group_axes("lesbian women, gay men") == ["gender", "sexual_orientation"]
    assert group_axes("Illegal immigrants") == ["immigration"]
    assert group_axes("Not specified") == [] and group_axes("aliens from mars") == ["other"]
    assert target_axes([], "nothing here") == ["none"]
    assert names_group("muslims are criminals") and not names_group("is violent")
