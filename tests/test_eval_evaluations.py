"""The rewrite-pair and safety-intervention evaluations as registered benchmarks of `srllm eval run`:
one result type, one run folder, one report, and `srllm eval compare` on them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("sacrebleu")
pytest.importorskip("profanity_check")

from rewrite_standins import LexiconClassifier, ScriptedRewriter, overlap_similarity, soften  # noqa: E402

from srllm.cli import main  # noqa: E402
from srllm.eval.judges import load_judge  # noqa: E402
from srllm.eval.registry import Context, get_benchmark  # noqa: E402
from srllm.eval.suite import load_items  # noqa: E402
from srllm.rewrite import PipelineConfig, SafetyPipeline  # noqa: E402


def _test_file(path: Path) -> Path:
    base = {"bias": "No", "toxicity": "Mild", "sentiment": "Negative", "harm": "Low", "annotation": "Unsafe",
            "target_demographic": ["none"], "biased_words": [], "source": "paradetox", "provenance": "public",
            "parent_id": None, "split": "test"}
    rows = [{**base, "id": f"paradetox:{i}", "source_id": str(i), "text": f"shut up you idiot number {i}",
             "benign_variation": f"please be quiet number {i}"} for i in range(6)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_rewrite_pairs_runs_in_the_suite_and_compares(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    test = _test_file(tmp_path / "test.jsonl")
    runs = []
    for n in (4, 5):
        out = tmp_path / f"run{n}"
        code = main(["eval", "run", "--benchmarks", "rewrite-pairs", "--option", f"rewrite-pairs.test_file={test}",
                     "--option", "rewrite-pairs.systems=[]", "--option", "rewrite-pairs.encoder=null",
                     "--option", f"rewrite-pairs.n={n}", "--out", str(out), "--no-progress"])
        assert code == 0
        runs.append(out)
    data = json.loads((runs[0] / "results.json").read_text())
    result = data["results"]["(no model)"]["rewrite-pairs"]
    assert result["n"] == 4 and result["metrics"]["copy_pct"] == 100.0
    assert [s["system"] for s in result["tables"]["systems"]] == ["copy-input", "reference"]
    assert "## Held-out rewrite pairs (4 pairs)" in (runs[0] / "report.md").read_text()
    items = load_items(runs[0], "(no model)", "rewrite-pairs")
    assert len(items) == 4 and set(items[0]["outputs"]) == {"copy-input", "reference"}
    capsys.readouterr()
    assert main(["eval", "compare", str(runs[0]), str(runs[1])]) == 0
    assert "rewrite-pairs" in capsys.readouterr().out


@pytest.mark.realdata
def test_rewrite_safety_benchmark_scores_with_judges(real_data_dir: Path, tmp_path: Path):
    pipeline = SafetyPipeline(LexiconClassifier(), ScriptedRewriter(soften), overlap_similarity,
                              PipelineConfig(min_similarity=0.5))

    def intervention(texts: list[str]) -> list[str]:
        return [r.output for r in pipeline.run_many(texts)]

    intervention.pipeline = pipeline
    ctx = Context(data_dir=real_data_dir, n=4, intervention=intervention, intervention_name="srllm",
                  options={"test_file": str(_test_file(tmp_path / "test.jsonl")), "resamples": 50},
                  judge_factories={"profanity-vader": lambda: load_judge("profanity-vader")})
    result = get_benchmark("rewrite-safety")().run(ctx)
    rows = {(r["set"], r["system"]): r for r in result.tables["systems"]}
    assert rows[("paradetox", "srllm")]["unsafe_srllm"] == 0.0  # the self-score: 0 by construction
    assert "unsafe[profanity-vader]" in rows[("paradetox", "copy-input")]
    assert result.config["judges"] == ["profanity-vader"] and result.n == 8
    section = "\n".join(get_benchmark("rewrite-safety").report_section("m", result.to_dict()))
    assert "self-score" in section and "unsafe[profanity-vader]" in section
