"""Fleiss' kappa, majority-vote gold labels and the `srllm data agree` command."""

from __future__ import annotations

import csv
import json
import math

import pytest

from srllm.cli import main
from srllm.data.agreement import fleiss_kappa_from_labels, majority_vote, run_agreement

#: Fleiss (1971), as on Wikipedia's "Fleiss' kappa" page: 10 subjects x 5 categories, 14 raters.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]
FLEISS_CATEGORIES = ["1", "2", "3", "4", "5"]


def _fleiss_labels() -> list[list[str]]:
    return [[c for c, n in zip(FLEISS_CATEGORIES, row) for _ in range(n)] for row in FLEISS_TABLE]


def _write_csv(path, rows: list[dict]) -> None:
    fields = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_fleiss_worked_example():
    assert round(fleiss_kappa_from_labels(_fleiss_labels(), FLEISS_CATEGORIES), 3) == 0.210


def test_fleiss_worked_example_through_file(tmp_path):
    rows = [{"id": f"s{i}", "annotator": f"r{j}", "score": label}
            for i, labels in enumerate(_fleiss_labels()) for j, label in enumerate(labels)]
    _write_csv(tmp_path / "fleiss.csv", rows)
    result = run_agreement(tmp_path / "fleiss.csv", tmp_path / "out", levels={"score": FLEISS_CATEGORIES})
    assert round(result.kappa["score"], 3) == 0.210
    assert round(result.kappa["overall"], 3) == 0.210
    assert result.items == {"score": 10} and result.raters == {"score": 14}
    saved = json.loads((tmp_path / "out" / "agreement.json").read_text(encoding="utf-8"))
    assert round(saved["kappa"]["score"], 3) == 0.210


def test_unequal_raters_rejected_by_kappa():
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_kappa_from_labels([["No", "No"], ["No"]], ["No", "Yes"])


def test_majority_vote():
    assert majority_vote(["Yes", "Yes", "No"]) == ("Yes", False, False)
    assert majority_vote(["Yes", "No"]) == (None, True, False)
    assert majority_vote(["Yes", "No"], expert="No") == ("No", True, True)
    assert majority_vote(["Yes", "Yes", "No"], expert="No") == ("Yes", False, False)
    assert majority_vote([]) == (None, False, False)
    assert majority_vote([], expert="Yes") == ("Yes", False, True)


def _row(item, annotator, bias, toxicity, **extra):
    return {"id": item, "annotator": annotator, "bias": bias, "toxicity": toxicity, **extra}


def test_perfect_agreement(tmp_path):
    rows = [_row(i, a, b, t) for i, b, t in (("1", "Yes", "High"), ("2", "No", "No"), ("3", "Yes", "Mild"))
            for a in ("ann1", "ann2", "ann3")]
    _write_csv(tmp_path / "labels.csv", rows)
    result = run_agreement(tmp_path / "labels.csv")
    assert result.kappa == {"bias": 1.0, "toxicity": 1.0, "overall": 1.0}
    assert result.ties == {"bias": 0, "toxicity": 0}
    assert result.paths == {"json": tmp_path / "labels.agreement.json", "gold": tmp_path / "labels.gold.csv"}
    assert [g["bias"] for g in result.gold] == ["Yes", "No", "Yes"]


def test_ties_flagged_and_resolved_by_expert(tmp_path):
    rows = [
        _row("a", "ann1", "Yes", "No", text="text a"), _row("a", "ann2", "No", "No", text="text a"),
        _row("b", "ann1", "Yes", "High", text="text b"), _row("b", "ann2", "No", "High", text="text b"),
        _row("b", "boss", "Yes", "Mild", text="text b", expert="yes"),
        _row("c", "ann1", "No", "Mild", text="text c"), _row("c", "ann2", "No", "Mild", text="text c"),
    ]
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = run_agreement(path, tmp_path / "out")
    gold = {g["id"]: g for g in result.gold}
    assert gold["a"]["bias"] is None and gold["a"]["bias_tied"] and not gold["a"]["bias_resolved_by_expert"]
    assert gold["b"]["bias"] == "Yes" and gold["b"]["bias_tied"] and gold["b"]["bias_resolved_by_expert"]
    # no tie on toxicity for b: the expert's "Mild" is not used
    assert gold["b"]["toxicity"] == "High" and not gold["b"]["toxicity_resolved_by_expert"]
    assert gold["c"] == {"id": "c", "text": "text c", "bias": "No", "bias_tied": False,
                         "bias_resolved_by_expert": False, "toxicity": "Mild", "toxicity_tied": False,
                         "toxicity_resolved_by_expert": False}
    assert result.ties == {"bias": 1, "toxicity": 0}
    # expert rows are excluded from kappa: every item has exactly 2 raters, nothing excluded
    assert result.raters == {"bias": 2, "toxicity": 2}
    assert result.items == {"bias": 3, "toxicity": 3}
    assert result.excluded == {"bias": {}, "toxicity": {}}
    expected_bias = fleiss_kappa_from_labels([["Yes", "No"], ["Yes", "No"], ["No", "No"]], ["No", "Yes"])
    assert result.kappa["bias"] == pytest.approx(expected_bias)
    saved = [json.loads(line) for line in (tmp_path / "out" / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    assert saved == result.gold


def test_unequal_rater_counts_reported(tmp_path):
    rows = [_row(i, a, "Yes" if i != "2" else "No", "No") for i in ("1", "2", "3") for a in ("x", "y", "z")]
    rows += [_row("4", "x", "Yes", "No"), _row("4", "y", "No", "No")]
    _write_csv(tmp_path / "labels.csv", rows)
    result = run_agreement(tmp_path / "labels.csv", tmp_path)
    assert result.raters["bias"] == 3
    assert result.items["bias"] == 3
    assert result.excluded["bias"] == {"4": 2}
    assert result.kappa["bias"] == pytest.approx(1.0)
    assert math.isnan(result.kappa["toxicity"])  # all "No": chance agreement is 1, kappa undefined
    assert result.kappa["overall"] == pytest.approx(1.0)
    assert "| bias | 3 | 3 | 1 |" in result.markdown
    assert "Excluded from bias kappa (not 3 raters): 4 (2 raters)" in result.markdown
    assert len(result.gold) == 4  # the excluded item still gets a gold label (tie)
    saved = json.loads(result.paths["json"].read_text(encoding="utf-8"))
    assert saved["excluded"]["bias"] == {"4": 2} and saved["kappa"]["toxicity"] is None


def test_bad_level_names_line_and_column(tmp_path):
    rows = [_row("1", "x", "Yes", "No"), _row("1", "y", "Maybe", "No")]
    _write_csv(tmp_path / "labels.csv", rows)
    with pytest.raises(ValueError) as info:
        run_agreement(tmp_path / "labels.csv")
    message = str(info.value)
    assert "labels.csv:3" in message and "column 'bias'" in message and "'Maybe'" in message
    assert "['No', 'Yes']" in message


def test_bad_inputs(tmp_path):
    path = tmp_path / "labels.csv"
    _write_csv(path, [{"id": "1", "who": "x", "bias": "No"}])
    with pytest.raises(ValueError, match="need columns"):
        run_agreement(path)
    _write_csv(path, [_row("1", "x", "No", "No"), _row("1", "x", "Yes", "No")])
    with pytest.raises(ValueError, match=r"labels.csv:3: annotator 'x' already labelled"):
        run_agreement(path)
    _write_csv(path, [_row("1", "x", "No", "No", expert="perhaps")])
    with pytest.raises(ValueError, match=r"labels.csv:2: column 'expert'"):
        run_agreement(path)


def test_cli_agree(tmp_path, capsys):
    rows = [_row(i, a, b, "No") for i, b in (("1", "Yes"), ("2", "No")) for a in ("x", "y")]
    _write_csv(tmp_path / "labels.csv", rows)
    assert main(["data", "agree", str(tmp_path / "labels.csv"), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "Fleiss' kappa" in printed and "| bias | 2 | 2 | 0 | 1.000 |" in printed
    assert (tmp_path / "out" / "gold.csv").is_file()
    _write_csv(tmp_path / "bad.csv", [_row("1", "x", "Maybe", "No")])
    assert main(["data", "agree", str(tmp_path / "bad.csv")]) == 1
    assert "bad.csv:2" in capsys.readouterr().err
