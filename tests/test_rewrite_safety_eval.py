"""`srllm eval rewrite`'s scoring on fixed outputs, and a small run over both sets with stand-in
models (the ToxiGen rows come from the real MBIAS file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rewrite_standins import LexiconClassifier, ScriptedRewriter, overlap_similarity, soften

from srllm.eval.rewrite_safety import Item, evaluate_safety, score_set
from srllm.rewrite import PipelineConfig, SafetyPipeline


def test_metrics_on_fixed_outputs():
    items = [Item("a", "you idiot", reference="you"), Item("b", "nice day", reference="nice day")]
    outputs = {"copy-input": ["you idiot", "nice day"], "blank": ["", "nice day"]}
    fake_independent = lambda texts: np.array([1.0 if "idiot" in t else 0.0 for t in texts])
    summary, rows = score_set(items, outputs, LexiconClassifier(), overlap_similarity, fake_independent, resamples=50)
    copy = summary["copy-input"]
    assert copy["unsafe_srllm"] == 0.5 and copy["unsafe_independent"] == 0.5 and copy["sta"] == 0.5
    assert copy["sim"] == 1.0 and copy["rewritten"] == 0.0
    # J per row = STA * SIM * FL: row a has STA 0, row b is identical to its reference (FL 1)
    assert copy["j"] == pytest.approx(0.5)
    blank = summary["blank"]
    assert blank["sim"] == 0.5 and blank["rewritten"] == 0.5 and blank["empty"] == 0.5 and blank["sta"] == 1.0
    assert blank["fl"] == pytest.approx(0.5) and len(copy["sim_ci"]) == 2
    assert rows[0]["outputs"]["blank"] == "" and rows[0]["scores"]["copy-input"]["unsafe_srllm"] == 1.0


def test_without_references_j_is_sta_times_sim():
    items = [Item("a", "what an idiot", peer="what a person")]
    summary, _ = score_set(items, {"x": ["what a person"]}, LexiconClassifier(), overlap_similarity,
                           lambda t: np.zeros(len(t)), resamples=10)
    assert "fl" not in summary["x"] and summary["x"]["j"] == pytest.approx(summary["x"]["sim"])


@pytest.mark.realdata
def test_small_run_on_both_sets(real_data_dir: Path, tmp_path: Path):
    test = tmp_path / "test.jsonl"
    base = {"bias": "No", "toxicity": "Mild", "sentiment": "Negative", "harm": "Low", "annotation": "Unsafe",
            "target_demographic": ["none"], "biased_words": [], "source": "paradetox", "provenance": "public",
            "parent_id": None, "split": "test"}
    rows = [{**base, "id": f"paradetox:{i}", "source_id": str(i), "text": f"shut up you idiot number {i}",
             "benign_variation": f"please be quiet number {i}"} for i in range(6)]
    rows.append({**base, "id": "davidson:1", "source": "davidson", "source_id": "1", "text": "x", "benign_variation": None})
    test.write_text("".join(json.dumps(r) + "\n" for r in rows))
    pipe = SafetyPipeline(LexiconClassifier(), ScriptedRewriter(soften), overlap_similarity,
                          PipelineConfig(min_similarity=0.5))
    result = evaluate_safety(pipe, test_file=test, data_dir=real_data_dir, n=4, n_toxigen=10, zero_shot=None,
                             resamples=50, out_dir=tmp_path / "out")
    assert result.config["n"] == {"paradetox": 4, "toxigen": 10}
    assert list(result.sets["paradetox"]) == ["srllm", "copy-input", "delete-flagged", "reference"]
    assert list(result.sets["toxigen"]) == ["srllm", "copy-input", "delete-flagged", "mbias"]
    para = result.sets["paradetox"]
    assert para["srllm"]["unsafe_srllm"] == 0.0 and para["copy-input"]["unsafe_srllm"] == 1.0
    assert para["reference"]["fl"] == 1.0 and para["srllm"]["rewritten"] == 1.0
    markdown = Path(result.paths["markdown"]).read_text()
    assert "| srllm |" in markdown and "srllm decisions: rewritten 4" in markdown
    assert result.timing["paradetox"]["copy-input"]["texts_per_s"] is None
    items = Path(result.paths["items"]).read_text().splitlines()
    assert len(items) == 14
