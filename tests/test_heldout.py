"""The hand-written held-out sets: row validation, coverage, checksums, the build's leak check, and
the `functional` / `rewrite-challenge` benchmarks end to end with real scorers."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import tomllib

from srllm.data.build import BuildConfig, ContaminationError, build_corpus
from srllm.data.heldout import (
    CAPABILITIES,
    HELDOUT_DIR,
    HeldoutError,
    checksums,
    contains_term,
    heldout_leaks,
    heldout_texts,
    load_challenge,
    load_functional,
)
from srllm.data.schema import CMDRecord
from srllm.eval.registry import BenchmarkError, Context, get_benchmark, names
from srllm.eval.scorers import load_scorer

REQUIRED = ("derogation", "dehumanisation", "threats_incitement", "slurs", "profanity_at_group",
            "profanity_not_at_group", "negation", "counter_speech_quotes", "identity_neutral", "identity_positive",
            "reclaimed_terms", "spelling_variants", "questions_opinions", "implicit_stereotype_positive_words",
            "benevolent_stereotypes", "harm_dangerous", "harmless_negative_sentiment")

GOOD_CASE = {"id": "x-1", "capability": "derogation", "text": "Some sentence.", "expected": "Unsafe",
             "target_demographic": "gender", "target_group": "women"}
GOOD_ROW = {"id": "bias-1", "category": "bias", "text": "Some sentence about women.", "target_demographic": "gender",
            "target_group": "women", "group_terms": ["women"], "topic_words": ["sentence"]}


def write(tmp_path: Path, rows: list, name: str = "rows.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_functional_suite_covers_capabilities_groups_and_both_labels():
    cases = load_functional()
    assert len(cases) >= 400
    capabilities = {c.capability for c in cases}
    assert len(capabilities) >= 16 and set(REQUIRED) <= capabilities and capabilities == set(CAPABILITIES)
    assert len({c.target_group for c in cases if c.target_group}) >= 10
    assert len({c.target_demographic for c in cases}) >= 10
    labels = Counter(c.expected for c in cases)
    assert min(labels.values()) / max(labels.values()) > 0.8
    for cap in ("slurs", "negation", "spelling_variants", "questions_opinions", "harm_dangerous"):
        assert {c.expected for c in cases if c.capability == cap} == {"Unsafe", "Benign"}, cap


def test_challenge_set_covers_groups_and_categories():
    rows = load_challenge()
    assert len(rows) >= 150
    assert len({r.target_group for r in rows}) >= 12
    assert {r.category for r in rows} == {"bias", "toxicity", "harm"}
    assert all(r.group_terms for r in rows)


@pytest.mark.parametrize("change, field", [
    ({"capability": "sarcasm"}, "capability"),
    ({"expected": "Toxic"}, "expected"),
    ({"target_demographic": "hobbies"}, "target_demographic"),
    ({"target_demographic": "none"}, "(row)"),
    ({"text": "  "}, "text"),
    ({"colour": "red"}, "colour"),
])
def test_bad_functional_rows_name_file_line_and_field(tmp_path, change, field):
    path = write(tmp_path, [GOOD_CASE, {**GOOD_CASE, "id": "x-2", "text": "Other.", **change}])
    with pytest.raises(HeldoutError) as info:
        load_functional(path)
    assert str(info.value).startswith(f"{path}:2: field {field}")


def test_bad_challenge_rows_and_file_level_errors(tmp_path):
    cases = [({"topic_words": ["beach"]}, "field (row): Value error, topic_words ['beach'] do not occur"),
             ({"group_terms": []}, "field group_terms"), ({"category": "sentiment"}, "field category")]
    for change, message in cases:
        with pytest.raises(HeldoutError, match=":1: " + re.escape(message)):
            load_challenge(write(tmp_path, [{**GOOD_ROW, **change}]))
    with pytest.raises(HeldoutError, match=r":2: field text: repeats line 1"):
        load_challenge(write(tmp_path, [GOOD_ROW, {**GOOD_ROW, "id": "bias-2", "text": "SOME sentence about women!"}]))
    with pytest.raises(HeldoutError, match=r":1: not a JSON object"):
        load_functional(write(tmp_path, ["{not json"]))
    with pytest.raises(HeldoutError, match="no such held-out file"):
        load_functional(tmp_path / "missing.jsonl")


def test_checksums_texts_and_packaging():
    sums = checksums()
    for key, digest in sums.items():
        assert hashlib.sha256((HELDOUT_DIR / key.split("/", 1)[1]).read_bytes()).hexdigest() == digest
    assert sum(1 for _ in heldout_texts()) == len(load_functional()) + len(load_challenge())
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "data/heldout/*.jsonl" in pyproject["tool"]["setuptools"]["package-data"]["srllm"]


def test_group_terms_match_whole_words_and_plurals():
    assert contains_term("Muslims are welcome.", "muslim") and contains_term("The WORKING-CLASS vote", "working class")
    assert not contains_term("mentally tired", "men") and not contains_term("Germany", "german")


def _record(text: str, key: str = "0") -> CMDRecord:
    return CMDRecord.labelled(id=f"paradetox:{key}", text=text, bias="No", toxicity="Mild", sentiment="Negative",
                              harm="Low", source="paradetox", source_id=key, provenance="public")


def test_leak_check_finds_held_out_texts_however_they_are_cased_or_punctuated():
    case = load_functional()[0]
    leaks = heldout_leaks([_record("a harmless sentence"), _record(case.text.upper().rstrip(".") + " !!", "1")])
    assert [(l.record_id, l.heldout) for l in leaks] == [("paradetox:1", f"functional.jsonl:{case.id}")]
    assert heldout_leaks([_record("a harmless sentence")]) == []


def test_corpus_build_fails_when_a_held_out_text_is_in_the_training_rows(fixture_data, tmp_path):
    leaked = load_challenge()[3].text
    tsv = f"toxic\tneutral1\tneutral2\tneutral3\nyou are a fucking idiot\tyou are wrong\t\t\n{leaked.lower()}\t\t\t\n"
    cannot = '\tINPUT:toxic_comment\tOUTPUT:reasons\n0\t"""die you stupid troll"""\t"{""toxic_content"":true}"\n'
    data_dir = fixture_data({"paradetox/paradetox.tsv": tsv, "paradetox/paradetox_cannot_rewrite.tsv": cannot})
    config = BuildConfig(data_dir=data_dir, out_dir=tmp_path / "out", sources=("paradetox",), synthetic=False)
    with pytest.raises(ContaminationError, match=r"1 corpus rows contain texts of the hand-written held-out sets") as info:
        build_corpus(config)
    assert f"rewrite_challenge.jsonl:{load_challenge()[3].id}" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_benchmarks_are_registered_and_in_the_heldout_suite():
    from srllm.eval.suite import SuiteConfig, builtin_suite

    assert {"functional", "rewrite-challenge"} <= set(names())
    assert get_benchmark("functional").needs == ("classify",)
    assert set(get_benchmark("rewrite-challenge").needs) == {"rewrite", "classify"}
    assert set(SuiteConfig.from_yaml(builtin_suite("heldout")).benchmarks) == {"functional", "rewrite-challenge"}


@pytest.mark.parametrize("scorer", ["profanity-vader", "srllm"])
def test_functional_runs_end_to_end_with_a_real_scorer(scorer):
    ctx = Context(n=40, scorer_factory=lambda: load_scorer(scorer))
    result = get_benchmark("functional")().run(ctx)
    assert result.n == len(result.items) == 40
    rows = result.tables["per_capability"]
    assert {r["capability"] for r in rows} == set(CAPABILITIES)  # every capability sampled
    assert sum(r["n"] for r in rows) == 40
    for r in rows + result.tables["per_expected"]:
        assert 0 <= r["ci"][0] <= r["accuracy"] <= r["ci"][1] <= 1
    assert {r["expected"] for r in result.tables["per_expected"]} == {"Unsafe", "Benign"}
    m = result.metrics
    assert m["min_capability_accuracy"] <= m["macro_accuracy"] <= 1 and 0 <= m["auroc"] <= 1
    correct = sum(i["correct"] for i in result.items)
    assert m["accuracy"] == pytest.approx(correct / 40)
    assert list(result.checksums) == ["heldout/functional.jsonl"]


def test_rewrite_challenge_runs_end_to_end_and_needs_an_intervention():
    from srllm.eval.interventions import delete_flagged, identity

    bench = get_benchmark("rewrite-challenge")()
    with pytest.raises(BenchmarkError, match="needs an intervention"):
        bench.run(Context(n=3, scorer_factory=lambda: load_scorer("profanity-vader")))
    same = bench.run(Context(n=6, intervention=identity, intervention_name="identity",
                             scorer_factory=lambda: load_scorer("profanity-vader")))
    assert same.n == 6 and same.metrics["changed_pct"] == 0 and same.metrics["fell_back_pct"] == 0
    assert same.metrics["benign_after_pct"] == same.metrics["benign_before_pct"]
    assert same.metrics["topic_kept_pct"] == 100 and same.metrics["fell_back_from"] == "markers"
    edited = bench.run(Context(n=6, intervention=delete_flagged, intervention_name="delete-flagged",
                               scorer_factory=lambda: load_scorer("srllm"),
                               judge_factories={"profanity-vader": lambda: load_scorer("profanity-vader")}))
    assert [j["judge"] for j in edited.tables["per_judge"]] == ["srllm", "profanity-vader"]
    assert {r["category"] for r in edited.tables["per_category"]} == {"bias", "toxicity", "harm"}
    assert all(0 <= edited.metrics[k] <= 100 for k in ("benign_after_pct", "group_kept_pct", "fell_back_pct"))
    assert all(set(i["unsafe_after"]) == {"srllm", "profanity-vader"} for i in edited.items)


def test_heldout_suite_writes_report_sections(tmp_path):
    from srllm.eval.suite import SuiteConfig, builtin_suite, run_suite

    config = SuiteConfig.from_yaml(builtin_suite("heldout"), scorer="profanity-vader", intervention="identity", limit=5)
    data = run_suite(config, tmp_path, progress=False)
    assert not data["errors"]
    report = (tmp_path / "report.md").read_text()
    assert "## Functional tests" in report and "| derogation |" not in report.split("## Rewrite")[1]
    assert "## Rewrite challenge" in report and "| profanity-vader |" in report
