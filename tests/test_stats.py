"""Tables 1 and 2 of a CMD file: counts, percentages, quartiles, outputs, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from srllm.cli import main
from srllm.data.io import DataFileError, write_records
from srllm.data.schema import CMDRecord
from srllm.data.stats import compute_stats, plot_label_distribution, run_stats, stats_markdown

TEXTS = [
    "Old people cannot learn new tech.",
    "Everyone deserves respect.",
    "Those immigrants ruin everything, idiots.",
    "The weather is fine today and tomorrow too.",
    "Women are bad drivers",
]


def _records(with_split: bool = False) -> list[CMDRecord]:
    rows = [
        dict(bias="Yes", toxicity="No", sentiment="Negative", harm="Medium", target_demographic=["age"],
             benign_variation="Some older people find new tech harder.", split="train"),
        dict(bias="No", toxicity="No", sentiment="Positive", harm="Low", split="train"),
        dict(bias="Yes", toxicity="High", sentiment="Negative", harm="High",
             target_demographic=["immigration", "nationality"], benign_variation="Immigration changes things.",
             split="dev"),
        dict(bias="No", toxicity="No", sentiment="Neutral", harm="Low", split="test"),
        dict(bias="Yes", toxicity="No", sentiment="Neutral", harm="Low", target_demographic=["gender"],
             split="test"),
    ]
    records = []
    for i, (text, row) in enumerate(zip(TEXTS, rows)):
        if not with_split:
            row.pop("split")
        source = "toy" if i < 3 else "other"
        records.append(CMDRecord.labelled(id=f"{source}:{i}", text=text, source=source, source_id=str(i),
                                          provenance="public" if i != 4 else "synthetic", **row))
    return records


def test_label_counts_percentages_and_zero_levels():
    stats = compute_stats(_records())
    assert stats["rows"] == 5
    tox = stats["labels"]["toxicity"]
    assert tox["order"] == ["No", "Mild", "High"]
    assert tox["counts"] == {"No": 4, "Mild": 0, "High": 1}
    assert tox["percent"] == {"No": 80.0, "Mild": 0.0, "High": 20.0}
    assert stats["labels"]["bias"]["counts"] == {"No": 2, "Yes": 3}
    assert stats["labels"]["sentiment"]["counts"] == {"Negative": 2, "Neutral": 2, "Positive": 1}
    assert stats["labels"]["harm"]["counts"] == {"Low": 3, "Medium": 1, "High": 1}
    assert stats["labels"]["annotation"]["counts"] == {"Benign": 3, "Unsafe": 2}
    assert stats["labels"]["annotation"]["percent"] == {"Benign": 60.0, "Unsafe": 40.0}
    demo = stats["target_demographic"]["counts"]
    assert demo["none"] == 2 and demo["age"] == 1 and demo["immigration"] == 1 and demo["nationality"] == 1
    assert demo["religion"] == 0  # zero rows still listed
    assert stats["provenance"]["counts"] == {"public": 4, "synthetic": 1}
    assert stats["source"]["counts"] == {"other": 2, "toy": 3}
    assert stats["benign_variation"]["counts"] == {"yes": 2, "no": 3}
    assert "splits" not in stats


def test_lengths_match_numpy():
    stats = compute_stats(_records())
    for unit, values in (("chars", [len(t) for t in TEXTS]), ("words", [len(t.split()) for t in TEXTS])):
        desc = stats["length"]["text"][unit]
        assert desc["count"] == 5
        assert desc["mean"] == round(float(np.mean(values)), 1)
        assert desc["std"] == round(float(np.std(values, ddof=1)), 1)
        assert desc["min"] == min(values) and desc["max"] == max(values)
        for q in (25, 50, 75):
            assert desc[f"{q}%"] == round(float(np.percentile(values, q)), 1)
    assert stats["length"]["benign_variation"]["words"]["count"] == 2


def test_splits_breakdown():
    stats = compute_stats(_records(with_split=True))
    assert stats["splits"]["order"] == ["train", "dev", "test"]
    assert stats["splits"]["annotation"]["train"]["counts"] == {"Benign": 1, "Unsafe": 1}
    assert stats["splits"]["annotation"]["dev"]["counts"] == {"Benign": 0, "Unsafe": 1}
    assert stats["splits"]["annotation"]["test"]["counts"] == {"Benign": 2, "Unsafe": 0}
    md = stats_markdown(stats)
    assert "| dev | 0 | 1 | 1 | 100.0 |" in md


def test_markdown_tables():
    md = stats_markdown(compute_stats(_records()))
    assert "| toxicity | Mild | 0 | 0.0 |" in md
    assert "| annotation | Unsafe | 2 | 40.0 |" in md
    assert "| provenance | synthetic | 1 | 20.0 |" in md
    assert "| has benign_variation | yes | 2 | 40.0 |" in md
    assert "## Table 2: text length" in md
    assert "| text | words | 5 |" in md


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_run_stats_outputs(tmp_path, suffix):
    data = tmp_path / f"train{suffix}"
    write_records(_records(with_split=True), data)
    result = run_stats(data)
    assert result.paths["markdown"] == tmp_path / "train.stats.md"
    assert result.paths["json"].name == "train.stats.json" and result.paths["png"].name == "train.labels.png"
    assert result.paths["markdown"].read_text(encoding="utf-8") == result.markdown
    assert json.loads(result.paths["json"].read_text(encoding="utf-8")) == result.stats
    assert result.paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    again = run_stats(data, tmp_path / "out")
    assert again.paths == {"markdown": tmp_path / "out" / "stats.md", "json": tmp_path / "out" / "stats.json",
                           "png": tmp_path / "out" / "labels.png"}
    assert again.paths["png"].read_bytes() == result.paths["png"].read_bytes()
    assert again.paths["json"].read_bytes() == result.paths["json"].read_bytes()


def test_png_is_deterministic(tmp_path):
    stats = compute_stats(_records())
    first = plot_label_distribution(stats, tmp_path / "a.png").read_bytes()
    second = plot_label_distribution(stats, tmp_path / "b.png").read_bytes()
    assert first == second
    assert b"Software" not in first and b"Creation" not in first


def test_invalid_file_raises(tmp_path):
    data = tmp_path / "bad.jsonl"
    write_records(_records(), data)
    lines = data.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[1])
    row["toxicity"] = "Extreme"
    lines[1] = json.dumps(row)
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"bad.jsonl:2: toxicity"):
        run_stats(data)
    assert main(["data", "stats", str(data)]) == 1


def test_empty_file(tmp_path):
    """An empty CMD file is refused with a clear message (issue 12: empty files are not valid)."""
    data = tmp_path / "empty.jsonl"
    data.write_text("", encoding="utf-8")
    with pytest.raises(DataFileError, match="empty file; expected at least one row"):
        run_stats(data, tmp_path / "out")


def test_cli_stats(tmp_path, capsys):
    data = tmp_path / "train.jsonl"
    write_records(_records(with_split=True), data)
    assert main(["data", "stats", str(data), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "## Table 1: class distribution (5 rows)" in printed
    assert "## Table 2: text length" in printed
    assert (tmp_path / "out" / "labels.png").is_file()
    assert main(["data", "stats", str(tmp_path / "missing.jsonl")]) == 1
