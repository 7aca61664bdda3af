"""Appendix B.2 analyses in `srllm data stats`: Flesch reading ease per sentiment and the normalised
edit distance between each text and its benign variation."""

from __future__ import annotations

import pytest

pytest.importorskip("textstat")

from srllm.data.io import write_records  # noqa: E402
from srllm.data.schema import CMDRecord  # noqa: E402
from srllm.data.stats import run_stats  # noqa: E402
from srllm.data.text_stats import edit_distance_stats, flesch_scores, readability_by_sentiment  # noqa: E402
from srllm.similarity import normalised_edit_distance  # noqa: E402


def _rec(i: int, text: str, sentiment: str, variation: str | None = None, source: str = "toy") -> CMDRecord:
    return CMDRecord.labelled(id=f"t:{i}", text=text, bias="No", toxicity="No", sentiment=sentiment, harm="Low",
                              source=source, source_id=str(i), provenance="public", benign_variation=variation)


def test_normalised_edit_distance_worked_examples():
    d = normalised_edit_distance(["kitten", "same", "", "abc"], ["sitting", "same", "", "xyz"])
    assert d[0] == pytest.approx(3 / 7) and d[1] == 0.0 and d[2] == 0.0 and d[3] == 1.0
    with pytest.raises(ValueError):
        normalised_edit_distance(["a"], [])


def test_flesch_orders_plain_and_dense_text():
    plain, dense = flesch_scores(["The cat sat on the mat.",
                                  "Institutionalised discrimination perpetuates socioeconomic inequality."])
    assert plain > 90 > 0 > dense


def test_readability_and_edit_distance_tables(tmp_path):
    records = [_rec(0, "You are bad.", "Negative", "You are not kind.", "a"), _rec(1, "I like it a lot.", "Positive"),
               _rec(2, "Such a stupid plan.", "Negative", "Such a stupid plan.", "b"), _rec(3, "It is noon.", "Neutral")]
    readability = readability_by_sentiment(records)
    assert list(readability) == ["Negative", "Neutral", "Positive"]
    assert readability["Negative"]["describe"]["count"] == 2
    edits = edit_distance_stats(records)
    assert edits["all"]["count"] == 2 and edits["all"]["min"] == 0.0 and edits["by_source"]["b"]["max"] == 0.0
    assert edit_distance_stats([_rec(9, "x", "Neutral")]) == {}
    write_records(records, tmp_path / "train.jsonl")
    result = run_stats(tmp_path / "train.jsonl")
    assert "Figure 5" in result.markdown and "Table 13" in result.markdown
    assert result.stats["edit_distance"]["all"]["count"] == 2 and "Negative" in result.stats["readability"]
    assert {p.name for p in result.plots.values()} == {"train.readability.png", "train.edit_distance.png"}
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in result.plots.values())
