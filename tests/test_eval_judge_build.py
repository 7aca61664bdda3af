"""`make judge`'s path on a tiny run: filter the corpus to the judge's half of the sources, train a
few steps, ship it with its model card, and judge with it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from srllm.cli import main
from srllm.data.io import read_records, write_records
from srllm.data.schema import CMDRecord
from srllm.eval.judge_build import JudgeBuildError, read_judge_config

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "judge-classifier.yaml"


def _record(i: int, source: str) -> CMDRecord:
    toxic = i % 2 == 0
    word = random.Random(i).choice(["idiot", "moron"]) if toxic else random.Random(i).choice(["friend", "neighbour"])
    return CMDRecord.labelled(id=f"{source}:{i}", text=f"you are such a {word} number {i}", bias="No",
                              toxicity="High" if toxic else "No", sentiment="Negative" if toxic else "Positive",
                              harm="Medium" if toxic else "Low", source=source, source_id=str(i), provenance="public")


def test_judge_config_halves_are_disjoint(tmp_path: Path):
    judge, recipe = read_judge_config(CONFIG)
    assert not set(judge["judge_sources"]) & set(judge["intervention_sources"])
    assert recipe["seed"] != 13  # not the shipped classifier's seed (configs/classifier.yaml)
    bad = tmp_path / "bad.yaml"
    bad.write_text("judge_sources: [wnc]\nintervention_sources: [wnc]\ndest: x\n")
    with pytest.raises(JudgeBuildError, match=r"disjoint; both list \['wnc'\]"):
        read_judge_config(bad)


def test_build_judge_tiny_run_ships_a_judge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    judge, _ = read_judge_config(CONFIG)
    mine, other = judge["judge_sources"][0], judge["intervention_sources"][0]
    write_records([_record(i, mine if i % 3 else other) for i in range(60)], tmp_path / "train.jsonl")
    write_records([_record(100 + i, mine if i % 3 else other) for i in range(18)], tmp_path / "dev.jsonl")
    dest = tmp_path / "judge"
    code = main(["eval", "build-judge", "--config", str(CONFIG), "--train_file", str(tmp_path / "train.jsonl"),
                 "--dev_file", str(tmp_path / "dev.jsonl"), "--output_dir", str(tmp_path / "run"), "--dest", str(dest),
                 "--max_steps", "4", "--eval_steps", "2", "--batch_size", "8", "--max_length", "32", "--threads", "1"])
    assert code == 0
    used = read_records(tmp_path / "run" / "data" / "train.jsonl")
    assert used and {r.source for r in used} == {mine}  # the other half never reaches the judge
    card = (dest / "MODEL_CARD.md").read_text()
    assert "srllm judge classifier" in card and mine in card and other in card
    assert {p.name for p in dest.iterdir()} >= {"classifier.json", "model.onnx", "tokenizer.json", "MODEL_CARD.md"}

    from srllm.eval import judges

    monkeypatch.setenv(judges.JUDGE_ENV, str(dest))
    assert judges.default_judges("srllm")[0] == "judge-classifier"
    reports = judges.load_judge("judge-classifier").predict(["you are such an idiot", "have a nice day"])
    assert len(reports) == 2 and all(0.0 <= r.unsafe_score <= 1.0 for r in reports)


def test_ship_is_the_one_shipping_step(tmp_path: Path):
    from srllm.train.package import ship

    source = tmp_path / "weights.bin"
    source.write_bytes(b"\x00\x01")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "stale.txt").write_text("old")
    ship(dest, {"weights.bin": source, "converted.bin": lambda target: target.write_bytes(b"fp16")},
         {"MODEL_CARD.md": "# card\n"})
    assert sorted(p.name for p in dest.iterdir()) == ["MODEL_CARD.md", "converted.bin", "weights.bin"]
    assert (dest / "converted.bin").read_bytes() == b"fp16" and (dest / "weights.bin").read_bytes() == b"\x00\x01"
