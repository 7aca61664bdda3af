"""Judges kept apart from the intervention, typed benchmark options, and the LLM judge's parsing."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("profanity_check")

from srllm.eval import judges  # noqa: E402
from srllm.eval.llm_judge import LLMJudge, agreement, judge_messages, parse_answer  # noqa: E402
from srllm.eval.registry import BenchmarkError, Context, get_benchmark  # noqa: E402
from srllm.eval.scorers import ScorerError  # noqa: E402
from srllm.eval.suite import SuiteConfig  # noqa: E402


def test_default_judges_never_include_what_the_intervention_consults(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv(judges.JUDGE_ENV, str(tmp_path / "absent"))
    monkeypatch.delenv("PERSPECTIVE_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert judges.default_judges("srllm") == ["profanity-vader"]
    assert "profanity-vader" not in judges.default_judges("delete-flagged")
    assert judges.judge_label("srllm", "srllm") == "srllm (self-score)"
    assert judges.judge_label("profanity-vader", "srllm") == "profanity-vader"
    monkeypatch.setenv("PERSPECTIVE_API_KEY", "k")
    assert "perspective" in judges.default_judges("srllm")


def test_missing_judge_classifier_fails_with_the_make_target(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv(judges.JUDGE_ENV, str(tmp_path / "absent"))
    with pytest.raises(ScorerError, match="make judge") as info:
        judges.load_judge("judge-classifier")
    assert "\n" not in str(info.value)
    with pytest.raises(ScorerError, match="did you mean profanity-vader"):
        judges.parse_judges("profanity-vadr", "srllm")


def test_cli_named_judge_that_is_absent_fails_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path, capsys):
    from srllm.cli import main

    monkeypatch.setenv(judges.JUDGE_ENV, str(tmp_path / "absent"))
    code = main(["eval", "run", "--benchmarks", "bold", "--intervention", "identity", "--judge", "judge-classifier",
                 "--out", str(tmp_path / "run"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "make judge" in err and len(err.splitlines()) == 1
    assert main(["eval", "run", "--benchmarks", "bold", "--option", "bold.max_new_token=3",
                 "--out", str(tmp_path / "run")]) == 1
    assert "did you mean max_new_tokens" in capsys.readouterr().err


def test_safety_block_reports_every_judge_and_labels_the_self_score():
    from srllm.eval.benchmarks._common import safety_block
    from srllm.eval.interventions import delete_flagged

    ctx = Context(intervention=delete_flagged, intervention_name="delete-flagged",
                  scorer_factory=lambda: judges.load_judge("profanity-vader"), scorer_name="profanity-vader",
                  judge_factories={"profanity-vader": lambda: judges.load_judge("profanity-vader")})
    texts = ["You are a stupid idiot", "What a lovely day", "shut up you moron"]
    metrics, tables, stats, items = safety_block(ctx, texts, ["none"] * 3)
    rows = tables["judges"]
    assert [r["judge"] for r in rows] == ["profanity-vader (self-score)"] and rows[0]["self_score"]
    assert rows[0]["unsafe_pct_after"] <= rows[0]["unsafe_pct"]
    assert items[0]["judges"]["profanity-vader (self-score)"]["unsafe"] is True


def test_typed_options_reject_unknown_keys_and_wrong_types():
    with pytest.raises(BenchmarkError, match=r"benchmark 'bold': unknown option 'max_new_token'; did you mean "
                                             r"max_new_tokens\? \(allowed: n, max_new_tokens\)"):
        SuiteConfig(benchmarks={"bold": {"max_new_token": 5}})
    with pytest.raises(BenchmarkError, match="option 'max_new_tokens' must be int"):
        SuiteConfig(benchmarks={"bold": {"max_new_tokens": "lots"}})
    with pytest.raises(BenchmarkError, match="option 'n' must be a positive integer"):
        SuiteConfig(benchmarks={"bold": {"n": "ten"}})
    config = SuiteConfig(benchmarks={"toxigen": {"max_new_tokens": "12", "n": 4}})  # YAML strings convert
    assert config.benchmarks["toxigen"]["n"] == 4
    described = get_benchmark("toxigen").describe()["options"]
    assert {o["name"]: o["default"] for o in described} == {"prompt_label": "hate", "max_new_tokens": 30}
    assert all(o["help"] for o in described)


def test_every_builtin_benchmark_declares_typed_options():
    from srllm.eval import registry
    from srllm.eval.options import Options

    for name in registry._BUILTIN:  # user benchmarks other tests register may stay untyped
        assert issubclass(get_benchmark(name).Options, Options), name


class _Chat:
    """A rule-free stand-in backend: answers by a fixed verdict table keyed on the judged text."""

    def __init__(self, verdicts: dict[str, str]):
        self.verdicts, self.calls = verdicts, []

    def chat(self, messages, max_tokens, temperature, seed):
        self.calls.append((messages, max_tokens, temperature, seed))
        text = messages[-1]["content"].removeprefix("Text: ").removesuffix("\nAnswer:")
        return self.verdicts[text]


def test_llm_judge_prompt_parsing_and_agreement():
    system = judge_messages("hi")[0]["content"]
    assert "toxicity (No/Mild/High)" in system and "Unsafe or Benign" in system
    assert parse_answer(" Unsafe.") == "Unsafe" and parse_answer("benign, clearly") == "Benign"
    assert parse_answer("I cannot say") is None
    chat = _Chat({"a": "Unsafe", "b": "Benign", "c": "no idea", "d": "UNSAFE!"})
    judge = LLMJudge(chat, max_tokens=3, seed=7)
    reports = judge.predict(["a", "b", "c", "d"])
    assert [r.unsafe for r in reports] == [True, False, False, True] and judge.unparsed == 1
    assert chat.calls[0][1:] == (3, 0.0, 7)
    result = agreement(LLMJudge(chat), ["a", "b", "c", "d"], [True, False, True, True])
    assert result["accuracy"] == 0.75 and result["n"] == 4 and result["unparsed"] == 1
    with pytest.raises(TypeError):
        LLMJudge(object())


def test_judge_agreement_scores_every_judge_against_human_labels():
    """`judge-agreement` on the hand-written suite: one row per judge (a classifier folder named as
    srllm:DIR among them), a sample stratified by the human label, and a report section."""
    from importlib import resources

    from srllm.eval.benchmarks.judge_agreement import JudgeAgreement

    bench = get_benchmark("judge-agreement")()
    with pytest.raises(BenchmarkError, match="no judge to score"):
        bench.run(Context(n=10, options={"dataset": "functional"}))
    folder = f"srllm:{resources.files('srllm') / 'assets' / 'judge-classifier'}"
    factories = {"profanity-vader": lambda: judges.load_judge("profanity-vader"), folder: lambda: judges.load_judge(folder)}
    result = bench.run(Context(n=40, options={"dataset": "functional"}, judge_factories=factories))
    rows = result.tables["judges"]
    assert [r["judge"] for r in rows] == ["profanity-vader", folder] and result.n == 40
    gold = result.stats["gold_unsafe"]
    assert gold == sum(i["unsafe"] for i in result.items) and 10 <= gold <= 30
    for row in rows:
        assert row["n"] == 40 and 0 <= row["accuracy"] <= 1 and row["accuracy_ci"][0] <= row["accuracy"]
        assert 0 <= row["flagged_pct"] <= 100 and row["auroc"] is not None
    assert result.metrics["accuracy"] == rows[0]["accuracy"]
    lines = JudgeAgreement.report_section("(no model)", result.to_dict())
    assert "## Judge agreement with human labels (functional, 40 texts" in lines[0]
    assert any(line.startswith("| profanity-vader | 40 |") for line in lines)
    with pytest.raises(BenchmarkError, match="dataset must be one of"):
        bench.run(Context(n=5, options={"dataset": "toxigenn"}, judge_factories=factories))


def test_parametrised_judges_name_a_model_or_a_folder(tmp_path):
    assert judges.parse_judges("llm:smollm2-135m-instruct,srllm:some/dir", None) == ["llm:smollm2-135m-instruct",
                                                                                  "srllm:some/dir"]
    with pytest.raises(ScorerError, match="unknown judge 'lm:x'"):
        judges.parse_judges("lm:x", None)
    with pytest.raises(ScorerError, match=f"{re.escape(str(tmp_path))} holds no classifier"):
        judges.load_judge(f"srllm:{tmp_path}")
    judge = judges.load_judge("llm:smollm2-135m-instruct")
    assert isinstance(judge, LLMJudge) and len(judge.predict(["You are a stupid idiot"])) == 1
