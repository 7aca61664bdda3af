"""The `detox` benchmark (ParaDetox-style STA / SIM / FL / J) on a small corpus file, with real
judges, encoder and fluency LM, and its resumable output cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from srllm.data.schema import CMDRecord
from srllm.eval.benchmarks.detox import cached_outputs
from srllm.eval.registry import BenchmarkError, Context, get_benchmark
from srllm.eval.scorers import load_scorer
from srllm.eval.style_transfer import fluency, joint, similarity

PAIRS = [("what a fucking idiot , he never listens .", "He never listens."),
         ("this shit movie was a waste of time .", "This movie was a waste of time."),
         ("shut the hell up you moron , nobody asked .", "Please stop, nobody asked."),
         ("these damn politicians lie all the time .", "These politicians lie all the time."),
         ("get your ass over here right now .", "Come over here right now.")]


def test_metrics_follow_their_definitions() -> None:
    assert fluency([10.0, 10.0, 10.0, None], [5.0, 20.0, 5.0, 8.0], ["a", "b", " ", "c"]).tolist() == [1.0, 0.5, 0.0, 1.0]
    assert similarity([0.9, -0.2, 0.7], ["x", "y", ""]).tolist() == [0.9, 0.0, 0.0]
    assert joint(np.array([1, 0]), np.array([0.5, 0.9]), np.array([1.0, 1.0])).tolist() == [0.5, 0.0]


@pytest.fixture
def test_file(tmp_path: Path) -> Path:
    rows = [CMDRecord.labelled(id=f"paradetox:{i}", text=t, benign_variation=r, bias="No", toxicity="High",
                               sentiment="Negative", harm="Low", target_demographic=["none"], source="paradetox",
                               source_id=str(i), provenance="public", split="test")
            for i, (t, r) in enumerate(PAIRS)]
    path = tmp_path / "test.jsonl"
    path.write_text("".join(r.model_dump_json() + "\n" for r in rows), encoding="utf-8")
    return path


def test_detox_scores_every_system_side_by_side(test_file: Path, tmp_path: Path) -> None:
    bench = get_benchmark("detox")()
    options = {"test_file": str(test_file), "systems": ["copy-input", "delete-flagged", "reference"],
               "encoder": "minilm-l6-v2", "fluency_model": "smollm2-135m-instruct",
               "outputs_dir": str(tmp_path / "cache"), "resamples": 50}
    with pytest.raises(BenchmarkError, match="no judge"):
        bench.run(Context(n=5, options=dict(options)))
    result = bench.run(Context(n=5, options=dict(options),
                               judge_factories={"profanity-vader": lambda: load_scorer("profanity-vader")}))
    rows = {r["system"]: r for r in result.tables["systems"]}
    assert set(rows) == {"copy-input", "delete-flagged", "reference"} and result.n == 5
    copy, ref = rows["copy-input"], rows["reference"]
    assert copy["sim"] == pytest.approx(1.0) and copy["fl"] == pytest.approx(1.0) and copy["copy_pct"] == 100
    # the inputs are profane and the human rewrites are not: the judge sees it, and J follows STA
    assert copy["sta_pct[profanity-vader]"] < ref["sta_pct[profanity-vader]"]
    assert copy["j[profanity-vader]"] < ref["j[profanity-vader]"]
    low, high = ref["j_ci[profanity-vader]"]
    assert low <= ref["j[profanity-vader]"] <= high
    assert (tmp_path / "cache").is_dir() and len(list((tmp_path / "cache").glob("delete-flagged-*.jsonl"))) == 1
    section = "\n".join(bench.report_section("m", result.to_dict()))
    assert "J [profanity-vader]" in section and "delete-flagged" in section


def test_cached_perplexities_resume_and_score_only_new_texts(tmp_path: Path) -> None:
    from srllm.eval.benchmarks.detox import cached_perplexities
    from srllm.eval.likelihood import load_scorer as load_lm

    lm = load_lm("smollm2-135m-instruct", threads=1)
    scored: list[str] = []

    class Counting:  # the real scorer, recording what it was asked to score
        def loglikelihoods(self, texts):
            scored.extend(texts)
            return lm.loglikelihoods(texts)

    path = tmp_path / "ppl.jsonl"
    first = cached_perplexities(path, ["the cat sat on the mat", "mat the on sat cat the", "   "], Counting, chunk=2)
    assert first["   "] is None and first["mat the on sat cat the"] > first["the cat sat on the mat"] > 1
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"text": "cut by an interrup')  # an interrupted append
    again = cached_perplexities(path, ["the cat sat on the mat", "a new sentence"], Counting)
    assert scored == ["the cat sat on the mat", "mat the on sat cat the", "   ", "a new sentence"]
    assert again["the cat sat on the mat"] == first["the cat sat on the mat"]
    assert cached_perplexities(path, ["a new sentence"], lambda: pytest.fail("nothing to score")) == {
        "a new sentence": again["a new sentence"]}


def test_fluency_lm_is_not_the_students_base_when_qwen_is_there(monkeypatch) -> None:
    from srllm.eval.benchmarks import detox

    monkeypatch.setattr("srllm.model_parts.is_joined", lambda *a: True)
    monkeypatch.setattr("srllm.backends.llama_cpp_available", lambda: True)
    assert detox._fluency_model("auto") == detox.QWEN and detox._fluency_backend(detox.QWEN) == "llama-cpp"
    monkeypatch.setattr("srllm.backends.llama_cpp_available", lambda: False)
    assert detox._fluency_model("auto") == "smollm2-135m-instruct"
    assert detox._fluency_model("x.gguf") == "x.gguf" and detox._fluency_backend("x.gguf") == "llama-cpp"
    assert detox._fluency_backend("smollm2-135m-instruct") == "transformers"


def test_cached_outputs_resume_and_redo_changed_rows(tmp_path: Path) -> None:
    path = tmp_path / "sys.jsonl"
    calls: list[list[str]] = []

    def make():
        def system(texts: list[str]) -> list[str]:
            calls.append(list(texts))
            return [t.upper() for t in texts]
        return system

    outs, timing = cached_outputs(path, ["a", "b", "c"], ["x", "y", "z"], make, batch=2)
    assert outs == ["X", "Y", "Z"] and timing["made"] == 3
    with path.open("a") as handle:
        handle.write('{"id": "d", "text": "w", "outp')  # a line cut by an interruption
    calls.clear()
    outs, timing = cached_outputs(path, ["a", "b", "c", "d"], ["x", "CHANGED", "z", "w"], make)
    assert outs == ["X", "CHANGED", "Z", "W"] and timing == {**timing, "made": 2, "reused": 2}
    assert calls == [["CHANGED", "w"]]
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1]) == {"id": "d", "text": "w", "output": "W"}  # not glued to the cut line


def test_cache_key_follows_the_weights(tmp_path: Path) -> None:
    from srllm.eval.benchmarks.detox import DetoxOptions, _settings_key

    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_model.safetensors").write_bytes(b"v1")
    options = DetoxOptions()
    before = _settings_key(f"adapter:{adapter}", options)
    assert _settings_key(f"adapter:{adapter}", options) == before
    (adapter / "adapter_model.safetensors").write_bytes(b"v2, retrained")
    assert _settings_key(f"adapter:{adapter}", options) != before
    assert _settings_key("delete-flagged", options) != _settings_key("copy-input", options)


def test_pipeline_cache_key_follows_the_installed_backend(monkeypatch) -> None:
    import importlib.util

    from srllm.eval.benchmarks.detox import DetoxOptions, _settings_key

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "llama_cpp" else real(name, *a))
    with_llama = _settings_key("pipeline", DetoxOptions())
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name, *a))
    assert _settings_key("pipeline", DetoxOptions()) != with_llama  # the fast tier changes backend
    assert _settings_key("copy-input", DetoxOptions()) == _settings_key("copy-input", DetoxOptions())


def test_the_qwen_systems_are_keyed_by_their_prompt():
    """Each few-shot set is its own system, and a changed prompt never reuses cached outputs."""
    from srllm.eval.benchmarks.detox import DetoxOptions, _qwen_pairs, _settings_key, build_system
    from srllm.eval.registry import BenchmarkError
    from srllm.safety_prompt import FEW_SHOT_SETS, SAFETY_FEW_SHOT

    options = DetoxOptions()
    keys = {_settings_key(name, options) for name in ("qwen-zero-shot", "qwen-few-shot:human-toxicity",
                                                      "qwen-few-shot:mixed")}
    assert len(keys) == 3
    assert _qwen_pairs("qwen-few-shot") == list(SAFETY_FEW_SHOT) and _qwen_pairs("qwen-zero-shot") == []
    assert len(_qwen_pairs("qwen-few-shot:human-toxicity")) == len(FEW_SHOT_SETS["human-toxicity"])
    with pytest.raises(BenchmarkError, match="qwen-few-shot:mixd.*unknown few-shot set"):
        build_system("qwen-few-shot:mixd", options)
