"""`srllm rewrite` with stand-in models: readable and JSON output, errors, and a batch job over a
file that is interrupted and resumed with no row lost or duplicated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rewrite_standins import LexiconClassifier, ScriptedRewriter, overlap_similarity, soften

from srllm.cli import main
from srllm.rewrite import PipelineConfig, SafetyPipeline


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Make SafetyPipeline.load build the stand-in pipeline; returns what it was asked for."""
    seen: dict = {}

    def load(cls, config=None, **kwargs):
        seen.update(kwargs, config=config)
        return cls(LexiconClassifier(), ScriptedRewriter(soften), overlap_similarity, config or PipelineConfig())

    monkeypatch.setattr(SafetyPipeline, "load", classmethod(load))
    return seen


def test_one_text_readable(standin, capsys):
    assert main(["rewrite", "that guy is a total idiot", "--min-similarity", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "risk      : UNSAFE" in out and "flagged   : that guy is a total [idiot]" in out
    assert "decision  : rewritten" in out and "rewrite   : that guy is a total unkind" in out
    assert standin["config"].min_similarity == 0.5


def test_one_text_json(standin, capsys):
    assert main(["rewrite", "what an idiot", "--json", "--fallback", "remove", "--candidates", "0"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["decision"] == "fell_back" and result["output"] == "what an"  # similarity 0.5 < 0.6: removed
    assert result["spans"][0]["text"] == "idiot" and set(result["risk_before"]) >= {"unsafe", "labels", "scores"}


def test_config_file_and_errors(standin, tmp_path: Path, capsys):
    cfg = tmp_path / "p.yaml"
    cfg.write_text("fallback: remove\nmin_similarity: 0.3\nadapter: /some/adapter\nbackend: transformers-int8\n")
    assert main(["rewrite", "hello", "--config", str(cfg)]) == 0
    assert standin["config"].fallback == "remove" and standin["config"].min_similarity == 0.3
    assert standin["adapter"] == "/some/adapter" and standin["backend"] == "transformers-int8"
    assert main(["rewrite", "hello", "--config", str(cfg), "--adapter", "/flag/wins"]) == 0
    assert standin["adapter"] == "/flag/wins"
    cfg.write_text("fallbak: remove\n")
    assert main(["rewrite", "hello", "--config", str(cfg)]) == 2
    assert "unknown pipeline setting(s) ['fallbak']" in capsys.readouterr().err
    assert main(["rewrite"]) == 2
    assert "give texts, or --input-lines FILE, or --input FILE" in capsys.readouterr().err
    lines = tmp_path / "lines.txt"
    lines.write_text("hello\n\nyou idiot\n")
    assert main(["rewrite", "--input-lines", str(lines), "--json"]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["input"] for r in printed] == ["hello", "you idiot"]
    assert main(["rewrite", "--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "o.jsonl")]) == 2
    assert "no such input file" in capsys.readouterr().err


def test_batch_resume_loses_and_duplicates_nothing(standin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    texts = [f"row {i} is fine" if i % 2 else f"row {i}, you idiot" for i in range(23)]
    source = tmp_path / "in.txt"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"

    calls = {"n": 0}
    real = SafetyPipeline.run_many

    def flaky(self, batch):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the job dies after two batches
        return real(self, batch)

    monkeypatch.setattr(SafetyPipeline, "run_many", flaky)
    with pytest.raises(KeyboardInterrupt):
        main(["rewrite", "--input", str(source), "--output", str(out), "--batch-size", "5", "--no-progress"])
    partial = out.with_name(out.name + ".partial.jsonl")
    assert len(partial.read_text().splitlines()) == 1 + 10 and not out.exists()  # the fingerprint header, 10 rows

    assert main(["rewrite", "--input", str(source), "--output", str(out), "--batch-size", "5", "--no-progress"]) == 0
    assert "13 processed now, 10 kept from an earlier run" in capsys.readouterr().out
    import pandas as pd

    frame = pd.read_csv(out)
    assert frame["row"].tolist() == list(range(23)) and frame["text"].tolist() == texts
    assert frame["decision"].tolist() == ["kept" if i % 2 else "rewritten" for i in range(23)]
    assert frame.loc[0, "rewrite"] == "row 0, you unkind"


def test_backend_flag_reaches_the_rewriter(standin, capsys):
    assert main(["rewrite", "hello there", "--backend", "transformers-int8"]) == 0
    assert standin["backend"] == "transformers-int8"


def test_eval_rewrite_refuses_bad_arguments(standin, tmp_path: Path, capsys):
    assert main(["eval", "rewrite", "--systems", "srllm,gpt5", "--sets", "toxigen"]) == 2
    assert "unknown set(s)/system(s) ['gpt5']" in capsys.readouterr().err
    assert main(["eval", "rewrite", "--test", str(tmp_path / "missing.jsonl")]) == 2
    assert "needs the corpus test split" in capsys.readouterr().err


def test_shipped_config_file_is_the_defaults(standin):
    config_file = Path(__file__).resolve().parents[1] / "configs" / "safety-pipeline.yaml"
    assert main(["rewrite", "hello", "--config", str(config_file)]) == 0
    assert standin["config"] == PipelineConfig() and standin["backend"] is None  # each tier names its backend


def test_rewrite_never_answers_removed(monkeypatch: pytest.MonkeyPatch, capsys):
    """Texts no rewrite passes, with and without flagged words: masked, or returned unchanged with the
    reason and the risk report; never a notice in place of the text."""

    class NoSpans(LexiconClassifier):
        def predict(self, texts, explain=False):
            reports = super().predict(texts, explain)
            for r in reports:
                r.spans = []
            return reports

    def load(cls, config=None, **kwargs):
        obey = ScriptedRewriter(lambda t: "Sure! you stupid idiot", lambda t, k: "I'm sorry, I can't.")
        return cls(NoSpans() if "nospans" in str(kwargs.get("classifier")) else LexiconClassifier(), obey,
                   overlap_similarity, config or PipelineConfig())

    monkeypatch.setattr(SafetyPipeline, "load", classmethod(load))
    texts = ["you stupid idiot moron", "what an idiot", "that guy is a total idiot", "idiot"]
    for classifier in ("lexicon", "nospans"):
        assert main(["rewrite", *texts, "--json", "--classifier", classifier]) == 0
        results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert len(results) == len(texts)
        for result in results:
            assert "[removed]" not in result["output"] and result["decision"] == "fell_back"
            assert result["fallback"] in ("mask", "unchanged") and result["reasons"][0]
            if result["fallback"] == "unchanged":
                assert result["output"] == result["input"] and result["risk_after"]["unsafe"]
                assert "returned unchanged" in result["reasons"][0]
            else:
                assert "masked" in result["reasons"][0] and "'idiot' (unsafe 0.50)" in result["reasons"][0]


def test_a_20kb_unsafe_line_ends_within_its_time_budget(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys):
    """Issue 12: one 20 KB unsafe line ran > 200 s and wrote nothing. Now its sentences are rewritten
    until the budget is spent and the rest falls back, with the reason."""
    import time

    class Slow(ScriptedRewriter):
        batch_size = 16

        def rewrite(self, texts):
            time.sleep(0.05)
            return super().rewrite(texts)

    def load(cls, config=None, **kwargs):
        return cls(LexiconClassifier(), Slow(soften), overlap_similarity, config)

    monkeypatch.setattr(SafetyPipeline, "load", classmethod(load))
    line = " ".join(f"User {i} is a stupid idiot and everyone hates them." for i in range(400))[:20000]
    source = tmp_path / "long.txt"
    source.write_text(line + "\n", encoding="utf-8")
    cfg = tmp_path / "budget.yaml"
    cfg.write_text("time_budget_s: 0.3\nmin_similarity: 0.5\n")
    started = time.perf_counter()
    assert main(["rewrite", "--input-lines", str(source), "--json", "--config", str(cfg)]) == 0
    assert time.perf_counter() - started < 10
    result = json.loads(capsys.readouterr().out)
    assert result["decision"] == "fell_back" and len(result["segments"]) > 380
    assert any("time budget of 0.3 s exceeded" in w for w in result["warnings"])
    assert {s["decision"] for s in result["segments"]} == {"rewritten", "fell_back"}


def test_quality_best_with_an_unavailable_tier_is_a_clear_error(tmp_path: Path, capsys):
    cfg = tmp_path / "tiers.yaml"
    cfg.write_text("tiers:\n  fast: {adapter: shipped}\n  best: {model: some-1.5b, backend: not-installed}\n")
    assert main(["rewrite", "hello", "--config", str(cfg), "--quality", "best"]) == 1
    err = capsys.readouterr().err
    assert "tier 'best'" in err and "backend 'not-installed' is not installed" in err
    assert main(["rewrite", "hello", "--config", str(cfg), "--quality", "top"]) == 2
    assert "quality 'top' is not one of the configured tiers ['fast', 'best']" in capsys.readouterr().err
