"""Human-evaluation sheets (export -> fill -> score) and run comparison, on model-free runs of the
suite (the counterfactual set and ToxiGen rewrites need a scorer and an intervention, no model)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from srllm.cli import main
from srllm.eval.humaneval import SheetError, export_sheets, score_sheets
from srllm.eval.suite import SuiteConfig, run_suite


def _run(out: Path, intervention: str, data_dir: Path) -> Path:
    config = SuiteConfig(benchmarks={"toxigen-rewrite": {"n": 8}, "counterfactual": {"n": 40}}, scorer="profanity-vader",
                         intervention=intervention)
    run_suite(config, out, data_dir=data_dir, progress=False)
    return out


@pytest.fixture(scope="module")
def runs(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("runs")
    return _run(root / "identity", "identity", real_data_dir), _run(root / "delete", "delete-flagged", real_data_dir)


def test_model_free_run_folder(runs: tuple[Path, Path]):
    data = json.loads((runs[1] / "results.json").read_text())
    assert data["errors"] == [] and set(data["results"]["(no model)"]) == {"toxigen-rewrite", "counterfactual"}
    cf = data["results"]["(no model)"]["counterfactual"]
    assert cf["n"] == 40 and cf["metrics"]["items"] == 40  # 2 base sentences x 20 variants
    identity = json.loads((runs[0] / "results.json").read_text())["results"]["(no model)"]
    assert identity["toxigen-rewrite"]["metrics"]["unsafe_pct_after"] == identity["toxigen-rewrite"]["metrics"]["unsafe_pct"]
    assert identity["counterfactual"]["metrics"]["rewritten_pct"] == 0.0
    judges = identity["toxigen-rewrite"]["tables"]["judges"]  # MBIAS is judged by every judge, like ours
    assert len(judges) >= 2 and all(0 <= row["mbias_unsafe_pct"] <= 100 for row in judges)
    assert "Table 5" in (runs[1] / "report.md").read_text()


def test_compare_two_runs(runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["eval", "compare", str(runs[0]), str(runs[1]), "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "compare.json").read_text())
    rows = {(r["benchmark"], r["metric"]): r for r in result["rows"]}
    same = rows[("toxigen-rewrite", "unsafe_pct")]
    assert same["diff"] == 0 and same["test"] == "McNemar exact" and same["p"] == 1.0
    after = rows[("toxigen-rewrite", "unsafe_pct_after")]
    assert after["test"] == "McNemar exact" and after["higher_is_better"] is False
    assert "| toxigen-rewrite | unsafe_pct |" in capsys.readouterr().out


def test_compare_needs_run_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["eval", "compare", str(tmp_path), str(tmp_path)]) == 1
    assert "not a run folder" in capsys.readouterr().err


def _fill(sheet: Path, scores: dict[str, tuple[str, str]]) -> None:
    with open(sheet, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["safety"], row["language"] = scores.get(row["code"], ("", ""))
    with open(sheet, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_humaneval_export_and_score(runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "sheets"
    assert main(["humaneval", "export", str(runs[1]), "--out", str(out), "--annotators", "2", "--n", "5"]) == 0
    with open(out / "key.csv", newline="", encoding="utf-8") as handle:
        key = list(csv.DictReader(handle))
    systems = {row["system"] for row in key}
    assert systems == {"(no model)+delete-flagged"} and len(key) == 5
    sheets = [out / "sheet_annotator1.csv", out / "sheet_annotator2.csv"]
    texts = [[r["text"] for r in csv.DictReader(open(s, newline="", encoding="utf-8"))] for s in sheets]
    header = open(sheets[0], encoding="utf-8").readline().strip()
    assert header == "code,text,safety,language,comment"  # blind: no system column
    assert sorted(texts[0]) == sorted(texts[1])
    # both annotators agree exactly: safety 5 for all but one item, language 4 / 2 alternating
    codes = sorted(row["code"] for row in key)
    scores = {c: ("5" if k else "1", "4" if k % 2 else "2") for k, c in enumerate(codes)}
    for sheet in sheets:
        _fill(sheet, scores)
    result = score_sheets(out / "key.csv", sheets)
    system = result["systems"]["(no model)+delete-flagged"]
    assert system["safety"]["mean"] == pytest.approx((1 + 5 * 4) / 5) and system["safety"]["rated_items"] == 5
    assert system["language"]["mean"] == pytest.approx((2 * 3 + 4 * 2) / 5)
    assert result["agreement"]["safety"]["fleiss_kappa"] == pytest.approx(1.0)
    assert result["agreement"]["language"]["mean_weighted_cohen_kappa"] == pytest.approx(1.0)
    assert main(["humaneval", "score", *map(str, sheets), "--key", str(out / "key.csv"), "--out", str(tmp_path)]) == 0
    assert "Fleiss kappa" in (tmp_path / "humaneval.md").read_text()


def test_humaneval_bad_sheet_names_row_and_column(runs: tuple[Path, Path], tmp_path: Path):
    info = export_sheets([runs[1]], tmp_path, annotators=1, n=3)
    sheet = info["sheets"][0]
    code = next(csv.DictReader(open(sheet, newline="", encoding="utf-8")))["code"]
    _fill(sheet, {code: ("7", "3")})
    with pytest.raises(SheetError, match=r"row 2, column safety: '7' is not a score 1-5"):
        score_sheets(info["key"], [sheet])
    with pytest.raises(SheetError, match="no such key file"):
        score_sheets(tmp_path / "nokey.csv", [sheet])
