"""kill -9 at random points of a real `srllm classify` batch job (the shipped classifier): after
every kill the rerun resumes, and the final output has each input row exactly once, with the
results of an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import srllm
from srllm.batch import partial_path, run_batch
from srllm.processors import ClassifyProcessor

ROWS = 1600  # enough batches of 8 that kills land mid-run, with the classifier at ~300 texts/s
RUN = "import sys; from srllm.cli import main; sys.exit(main(sys.argv[1:]))"


def _rows_in(partial: Path) -> int:
    return max(0, len(partial.read_bytes().split(b"\n")) - 2) if partial.exists() else 0


def test_kill_9_at_random_points_loses_and_duplicates_nothing(tmp_path):
    rng = random.Random(20261202)
    src = tmp_path / "in.txt"
    lines = [f"Message {i}: " + rng.choice(["have a nice day", "you are a stupid idiot", "the report is late",
                                             "those people are all thieves"]) for i in range(ROWS)]
    src.write_bytes("\n".join(lines).encode() + b"\n\xff broken bytes\n")
    expected = run_batch(src, tmp_path / "reference.jsonl", ClassifyProcessor(explain=False), batch_size=8,
                         progress=False)
    assert expected.rows == ROWS + 1
    out = tmp_path / "out.jsonl"
    argv = [sys.executable, "-c", RUN, "classify", "--input", str(src), "--output", str(out), "--no-explain",
            "--batch-size", "8", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(Path(srllm.__file__).parents[1])}
    mid_run_kills = 0
    for attempt in range(5):
        before = _rows_in(partial_path(out))
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt == 0:  # once while the job starts (models loading, header being written)
            time.sleep(rng.uniform(0.2, 1.5))
        else:  # then at a random point after the job has written rows
            deadline = time.monotonic() + 60
            while proc.poll() is None and _rows_in(partial_path(out)) <= before and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is not None:  # it finished before this kill: the output is complete
            assert proc.returncode == 0
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        mid_run_kills += before < _rows_in(partial_path(out)) < ROWS + 1
    else:
        final = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
    assert mid_run_kills >= 3, f"only {mid_run_kills} kills landed while rows were being written"
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    reference = [json.loads(line) for line in (tmp_path / "reference.jsonl").read_text().splitlines()]
    assert [r["row"] for r in rows] == list(range(ROWS + 1))
    assert [r.get("text") for r in rows] == [r.get("text") for r in reference]
    assert "invalid UTF-8" in rows[-1]["error"]
    for got, want in zip(rows[:-1], reference[:-1]):
        assert got["unsafe"] == want["unsafe"] or abs(got["unsafe_score"] - want["unsafe_score"]) < 1e-3
        assert got["unsafe_score"] == pytest.approx(want["unsafe_score"], abs=1e-3)
    assert not partial_path(out).exists()
