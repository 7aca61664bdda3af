"""Benchmark registry, suite config, scorer and intervention resolution: names, errors, user files."""

from __future__ import annotations

from pathlib import Path

import pytest

from srllm.cli import main
from srllm.eval import registry
from srllm.eval.interventions import InterventionError, delete_flagged, identity, load_intervention
from srllm.eval.registry import BenchmarkError, get_benchmark, load_benchmark_file
from srllm.eval.scorers import ScorerError, load_scorer
from srllm.eval.suite import SuiteConfig, builtin_suite

PAPER = ("cmd-test", "counterfactual", "toxigen", "toxigen-rewrite", "bold", "stereoset", "crows-pairs", "redditbias",
         "holisticbias")


def test_every_builtin_benchmark_is_declared():
    for name in PAPER:
        spec = get_benchmark(name).describe()
        assert spec["name"] == name and spec["version"] and spec["metrics"]
        assert set(spec["needs"]) <= set(registry.NEEDS)
    assert get_benchmark("toxigen").default_n == 430
    assert get_benchmark("holisticbias").default_n == 650
    assert get_benchmark("counterfactual").default_n == 520


def test_unknown_benchmark_gets_did_you_mean():
    with pytest.raises(BenchmarkError, match="did you mean stereoset"):
        get_benchmark("stereoste")
    with pytest.raises(BenchmarkError, match="unknown benchmark 'zzz'"):
        get_benchmark("zzz")


def test_paper_suite_config_lists_the_paper_benchmarks():
    config = SuiteConfig.from_yaml(builtin_suite("paper"))
    assert tuple(config.benchmarks) == PAPER
    assert config.benchmarks["toxigen"]["n"] == 430


def test_suite_config_errors_name_the_field(tmp_path: Path):
    path = tmp_path / "suite.yaml"
    path.write_text("benchmarks: {stereoset: {}}\nbatchsize: 4\n")
    with pytest.raises(BenchmarkError, match=r"unknown field\(s\) \['batchsize'\]"):
        SuiteConfig.from_yaml(path)
    path.write_text("benchmarks: {crows-pair: {}}\n")
    with pytest.raises(BenchmarkError, match="did you mean crows-pairs"):
        SuiteConfig.from_yaml(path)
    with pytest.raises(BenchmarkError, match="`batch_size` must be positive"):
        SuiteConfig(benchmarks={"stereoset": {}}, batch_size=0)
    with pytest.raises(BenchmarkError, match="`benchmarks` must map"):
        SuiteConfig(benchmarks={})
    with pytest.raises(BenchmarkError, match="no suite 'nope'"):
        builtin_suite("nope")


USER_BENCHMARK = '''
from srllm.eval.registry import Benchmark, BenchmarkResult


class Shout(Benchmark):
    name = "shout"
    version = "2"
    needs = ("classify",)
    metrics = {"unsafe_pct": False}
    default_n = 3

    def evaluate(self, ctx, n):
        texts = ["YOU ARE AN IDIOT", "hello there", "have a nice day"][:n]
        reports = ctx.scorer.predict(texts)
        return BenchmarkResult(self.name, self.version, len(texts),
                               {"unsafe_pct": 100 * sum(r.unsafe for r in reports) / len(reports)})
'''


def test_user_benchmark_from_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "my_bench.py"
    path.write_text(USER_BENCHMARK)
    assert load_benchmark_file(path) == ["shout"]
    cls = get_benchmark("shout")
    result = cls().run(registry.Context(scorer_factory=lambda: load_scorer("profanity-vader")))
    assert result.metrics["unsafe_pct"] == pytest.approx(100 / 3) and result.config["n"] == 3
    assert main(["eval", "list", "--benchmark-file", str(path)]) == 0
    assert "shout v2" in capsys.readouterr().out


def test_bad_user_benchmark_files(tmp_path: Path):
    with pytest.raises(BenchmarkError, match="no such benchmark file"):
        load_benchmark_file(tmp_path / "missing.py")
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(BenchmarkError, match="defines no Benchmark subclass"):
        load_benchmark_file(empty)
    broken = tmp_path / "broken.py"
    broken.write_text(USER_BENCHMARK.replace('("classify",)', '("classify", "telepathy")').replace("shout", "bad"))
    with pytest.raises(BenchmarkError, match=r"needs \['telepathy'\]"):
        load_benchmark_file(broken)
    vague = tmp_path / "vague.py"
    vague.write_text(USER_BENCHMARK.replace('{"unsafe_pct": False}', '{"unsafe_pct": None}').replace("shout", "vague"))
    with pytest.raises(BenchmarkError, match="no `ideal` value"):
        load_benchmark_file(vague)
    crash = tmp_path / "crash.py"
    crash.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(BenchmarkError, match="crash.py: RuntimeError: boom"):
        load_benchmark_file(crash)


def test_scorer_and_intervention_names():
    with pytest.raises(ScorerError, match="did you mean profanity-vader"):
        load_scorer("profanity-vadr")
    with pytest.raises(InterventionError, match="did you mean identity"):
        load_intervention("identty")
    assert load_intervention("none") is None
    assert load_intervention("identity") is identity
    assert load_intervention("srllm.eval.interventions:delete_flagged") is delete_flagged


def test_delete_flagged_baseline_drops_profane_words_only():
    assert delete_flagged(["you are a fucking idiot", "have a nice day"]) == ["you are a", "have a nice day"]


def test_cli_run_reports_a_wrong_benchmark(capsys: pytest.CaptureFixture[str]):
    assert main(["eval", "run", "--benchmarks", "redditbas", "--no-progress"]) == 1
    assert "did you mean redditbias" in capsys.readouterr().err
