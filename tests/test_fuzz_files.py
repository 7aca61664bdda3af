"""The file fuzz at a small size (the full 1,000 files: `make fuzz`): malformed txt/JSONL/CSV/Parquet
files through `data validate`, `classify` (shipped classifier) and `rewrite` (the real pipeline in a
cheap configuration): no traceback, output rows == input rows, refusals name the file."""

from __future__ import annotations

import random

from srllm.fuzz.files import make_cases
from srllm.fuzz.malformed import TEXTS, bad_bytes, malformed_text
from srllm.fuzz.runner import run_file_fuzz


def test_generators_are_reproducible_and_malformed(tmp_path):
    a = make_cases(30, tmp_path / "a", seed=5)
    b = make_cases(30, tmp_path / "b", seed=5)
    assert [c.path.read_bytes() for c in a] == [c.path.read_bytes() for c in b]
    assert {c.path.suffix for c in a} >= {".txt", ".jsonl", ".csv", ".parquet"}
    rng = random.Random(0)
    for _ in range(50):
        kind, data = bad_bytes(rng)
        assert b"\n" not in data
        try:
            data.decode("utf-8")
            raise AssertionError(f"{kind} bytes decoded")
        except UnicodeDecodeError:
            pass
    assert {malformed_text(rng)[0] for _ in range(300)} == set(TEXTS)


def test_small_file_fuzz_has_no_traceback_and_no_lost_row(tmp_path):
    report = run_file_fuzz(24, tmp_path, seed=11, rewrite=True)
    assert report.failures == []
    assert report.files == 24 and report.rows > 60
    assert report.outcomes["classify:accepted"] + report.outcomes["classify:refused"] == 24
    assert report.outcomes["rewrite:accepted"] == report.outcomes["classify:accepted"]
    assert report.outcomes["validate:rc0"] == 0
