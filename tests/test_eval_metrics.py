"""Each metric and statistic of the evaluation suite against its documented worked example."""

from __future__ import annotations

import math

import pytest

from srllm import statistics as stats
from srllm.classify.report import RiskReport
from srllm.eval import metrics


def _report(unsafe: bool, toxicity: str = "No") -> RiskReport:
    labels = {"bias": "No", "toxicity": toxicity, "sentiment": "Negative" if unsafe else "Neutral", "harm": "Low"}
    return RiskReport(text="t", labels=labels, probabilities={}, unsafe_score=float(unsafe), unsafe=unsafe)


def test_unsafe_and_toxic_rates():
    reports = [_report(True), _report(False), _report(False, "Mild"), _report(False)]
    assert metrics.unsafe_rate(reports) == 25.0
    assert metrics.toxic_rate(reports) == 25.0
    assert metrics.unsafe_rate([]) is None


def test_group_rates_per_demographic():
    table = metrics.group_rates(["b", "a", "a", "b"], [True, False, True, True])
    assert list(table) == ["a", "b"]
    assert table["a"]["pct"] == 50.0 and table["a"]["n"] == 2
    assert table["b"]["pct"] == 100.0 and table["b"]["ci"] == [100.0, 100.0]


def test_stereoset_worked_example():
    items = [
        {"target": "A", "stereotype": -1.0, "anti_stereotype": -2.0, "unrelated": -3.0},
        {"target": "B", "stereotype": -2.0, "anti_stereotype": -1.0, "unrelated": -1.5},
    ]
    scores = metrics.stereoset_scores(items)
    assert scores["ss"] == 50.0 and scores["lms"] == 75.0 and scores["icat"] == 75.0
    assert scores["n_scored"] == 2 and scores["n_targets"] == 2


def test_stereoset_averages_over_targets_and_counts_unscored():
    # target A: 3 items, 2 pro; target B: 1 item, anti. SS = mean(66.7, 0) = 33.3, not 50 (pooled).
    items = [{"target": "A", "stereotype": 0.0, "anti_stereotype": -1.0, "unrelated": -5.0}] * 2 + [
        {"target": "A", "stereotype": -1.0, "anti_stereotype": 0.0, "unrelated": -5.0},
        {"target": "B", "stereotype": -1.0, "anti_stereotype": 0.0, "unrelated": 1.0},
        {"target": "C", "stereotype": None, "anti_stereotype": 0.0, "unrelated": 1.0},
    ]
    scores = metrics.stereoset_scores(items)
    assert scores["ss"] == pytest.approx(100 / 3)
    assert scores["lms"] == pytest.approx(50.0)  # A: 100, B: 0
    assert scores["icat"] == pytest.approx(50.0 * (100 / 3) / 50)
    assert scores["n_scored"] == 4 and scores["n_unscored"] == 1


def test_stereoset_nothing_scored_is_never_ideal():
    scores = metrics.stereoset_scores([{"target": "A", "stereotype": None, "anti_stereotype": None, "unrelated": None}])
    assert scores["ss"] is None and scores["lms"] is None and scores["icat"] is None
    assert scores["n_scored"] == 0 and scores["n_unscored"] == 1


def test_crows_pairs_preference_rate():
    assert metrics.preference_rate([(-1.0, -2.0), (-3.0, -2.0)]) == {"pct": 50.0, "n_scored": 2, "n_unscored": 0}
    assert metrics.preference_rate([(None, -2.0)])["pct"] is None


def test_clen_worked_example():
    assert metrics.clen(["a", "b", "c d", "e f"]) == pytest.approx(math.log(2) / math.log(4))
    assert metrics.clen(["a b", "c d"]) == 0.0
    assert metrics.clen(["a", "b c"]) == 1.0


def test_style_shift_identity_and_deletion():
    same = metrics.style_shift(["you are great", "hello"], ["you are great", "hello"])
    assert same["chrf_after_vs_before"] == 100.0 and same["length_ratio"] == 1.0
    assert same["sentiment_shift"] == 0.0 and same["changed_pct"] == 0.0
    cut = metrics.style_shift(["you are a great friend"], ["you are a friend"])
    assert cut["length_ratio"] == pytest.approx(0.8) and cut["changed_pct"] == 100.0
    assert cut["sentiment_shift"] < 0  # "great" carried the positive sentiment
    with pytest.raises(ValueError, match="2 texts before but 1 after"):
        metrics.style_shift(["a", "b"], ["a"])


def test_one_sample_ttest_worked_example():
    result = stats.one_sample_ttest([1, 2, 3, 4, 5], 2)
    assert result["t"] == pytest.approx(math.sqrt(2)) and result["df"] == 4
    assert result["p"] == pytest.approx(0.2302, abs=1e-4)


def test_paired_and_welch_ttests():
    paired = stats.paired_ttest([2, 3, 4, 5], [1, 2, 3, 5])
    assert paired["mean_diff"] == 0.75 and paired["t"] == pytest.approx(3.0)
    assert paired["d_z"] == pytest.approx(1.5)
    welch = stats.welch_ttest([1, 2, 3], [2, 3, 4])
    assert welch["t"] == pytest.approx(-1.2247, abs=1e-4) and welch["d"] == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="differ in length"):
        stats.paired_ttest([1, 2], [1])


def test_grubbs_drops_the_outlier_only():
    keep = stats.grubbs_filter([1, 2, 2, 3, 2, 100])
    assert keep.tolist() == [True, True, True, True, True, False]
    assert stats.grubbs_filter([1, 2, 3, 4]).all()


def test_mann_whitney_and_bootstrap():
    assert stats.mann_whitney([1, 2, 3, 4, 5, 6, 7, 8], [11, 12, 13, 14, 15, 16, 17, 18])["p"] < 0.05
    assert stats.mann_whitney([1, 2, 3], [1, 2, 3])["p"] == pytest.approx(1.0)
    low, high = stats.bootstrap_mean_ci([1.0, 1.0, 1.0])
    assert low == high == 1.0
    summary = stats.proportion_summary([True, False, False, False])
    assert summary["pct"] == 25.0 and summary["n"] == 4 and 0.0 <= summary["ci"][0] <= 25.0 <= summary["ci"][1]
