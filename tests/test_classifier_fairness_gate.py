"""`srllm train ship-classifier`'s fairness gate: a classifier whose counterfactual spread grew
over the shipped one's is refused unless asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from srllm.classify.predictor import shipped_path as classifier_dir
from srllm.classify.package import (EVALUATION_JSON, SHIPPED_FILES, FairnessGateError, fairness_regressions,
                                    package_classifier)


def _evaluation(path: Path, spreads: dict[str, float]) -> Path:
    result = {"counterfactual": {"axes": {a: {"spread": s} for a, s in spreads.items()}}, "items": [1, 2, 3]}
    path.write_text(json.dumps(result))
    return path


def test_regressions_name_the_axes() -> None:
    new = {"counterfactual": {"axes": {"race": {"spread": 0.30}, "age": {"spread": 0.10}}}}
    old = {"counterfactual": {"axes": {"race": {"spread": 0.20}, "age": {"spread": 0.11}, "gone": {"spread": 0.0}}}}
    assert fairness_regressions(new, old) == ["race: spread 0.300 > 0.200 (+0.02)"]
    assert fairness_regressions(new, old, tolerance=0.2) == []


def test_ship_refuses_a_fairness_regression(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    shipped = classifier_dir()
    for name in SHIPPED_FILES:
        (run / name).write_bytes((shipped / name).read_bytes())
    dest = tmp_path / "dest"
    first = package_classifier(run, dest, _evaluation(tmp_path / "a.json", {"race": 0.2}))
    stored = json.loads((first / EVALUATION_JSON).read_text())
    assert "items" not in stored and stored["counterfactual"]["axes"]["race"]["spread"] == 0.2
    worse = _evaluation(tmp_path / "b.json", {"race": 0.5})
    with pytest.raises(FairnessGateError, match="race: spread 0.500 > 0.200"):
        package_classifier(run, dest, worse)
    assert json.loads((dest / EVALUATION_JSON).read_text()) == stored  # the shipped classifier is untouched
    package_classifier(run, dest, worse, allow_fairness_regression=True)
    assert json.loads((dest / EVALUATION_JSON).read_text())["counterfactual"]["axes"]["race"]["spread"] == 0.5
