"""Batch jobs: every input row gets one output row, in order; resume after a crash loses and
duplicates nothing; bad rows are reported, not dropped."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from srllm.batch import BatchInputError, partial_path, run_batch


def upper(texts: list[str]) -> list[dict]:
    return [{"upper": t.upper(), "n": len(t)} for t in texts]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_jsonl_rows_keep_order_fields_and_errors(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "a", "id": 1}\n{broken\n{"id": 3}\n{"text": 5}\n{"text": "e"}\n')
    summary = run_batch(src, tmp_path / "out.jsonl", upper, batch_size=2, progress=False)
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert [r["row"] for r in rows] == [0, 1, 2, 3, 4]
    assert rows[0] == {"row": 0, "text": "a", "id": 1, "upper": "A", "n": 1}
    assert "in.jsonl:2: <json>: broken JSON" in rows[1]["error"]
    assert "in.jsonl:3: text: missing" in rows[2]["error"]
    assert "must be a string, got int" in rows[3]["error"]
    assert rows[4]["upper"] == "E"
    assert (summary.rows, summary.errors) == (5, 3)
    assert not partial_path(tmp_path / "out.jsonl").exists()


def test_resume_after_an_interruption_loses_and_duplicates_nothing(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("".join(f"line {i}\n" for i in range(50)))
    out = tmp_path / "out.csv"
    calls = []

    def crashing(texts):
        calls.append(len(texts))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return upper(texts)

    with pytest.raises(KeyboardInterrupt):
        run_batch(src, out, crashing, batch_size=8, progress=False)
    partial = partial_path(out)
    assert len(partial.read_text().splitlines()) == 1 + 16  # the header (input fingerprint), then the rows
    with partial.open("a") as handle:  # a torn line, as after a kill during a write
        handle.write('{"row": 16, "text": "li')
    summary = run_batch(src, out, upper, batch_size=8, progress=False)
    assert (summary.resumed, summary.processed, summary.rows) == (16, 34, 50)
    frame = pd.read_csv(out)
    assert frame["row"].tolist() == list(range(50))
    assert frame["upper"].tolist() == [f"LINE {i}" for i in range(50)]


def test_parquet_round_trip_and_refusals(tmp_path):
    src = tmp_path / "in.parquet"
    pd.DataFrame({"text": ["x", "yy"], "label": [0, 1]}).to_parquet(src)
    run_batch(src, tmp_path / "out.parquet", upper, progress=False, keep_fields=["label"])
    frame = pd.read_parquet(tmp_path / "out.parquet")
    assert frame.to_dict("records") == [{"row": 0, "label": 0, "upper": "X", "n": 1},
                                        {"row": 1, "label": 1, "upper": "YY", "n": 2}]
    with pytest.raises(BatchInputError, match="already exists"):
        run_batch(src, tmp_path / "out.parquet", upper, progress=False)
    with pytest.raises(BatchInputError, match="unsupported output format '.xlsx'"):
        run_batch(src, tmp_path / "out.xlsx", upper, progress=False)
    bad = tmp_path / "bad.csv"
    bad.write_text("body\nhello\n")
    with pytest.raises(BatchInputError, match="no 'text' column"):
        run_batch(bad, tmp_path / "o.jsonl", upper, progress=False)


def _interrupted(src, out, options=None, rows_before_crash=16):
    calls = []

    def crashing(texts):
        calls.append(len(texts))
        if sum(calls) > rows_before_crash:
            raise KeyboardInterrupt
        return upper(texts)

    with pytest.raises(KeyboardInterrupt):
        run_batch(src, out, crashing, batch_size=8, progress=False, options=options)


def test_a_partial_from_another_input_or_other_options_is_refused(tmp_path):
    """The resume bug of main: a partial output written for another file was reused, so rows carried
    another file's text. Now the partial records the input's fingerprint and the options."""
    src, out = tmp_path / "in.txt", tmp_path / "out.jsonl"
    src.write_text("".join(f"first file {i}\n" for i in range(50)))
    _interrupted(src, out, options={"model": "a"})
    src.write_text("".join(f"second file {i}\n" for i in range(50)))  # same path and size, other rows
    with pytest.raises(BatchInputError, match=r"different input or options \(input sha256: .*--restart"):
        run_batch(src, out, upper, batch_size=8, progress=False, options={"model": "a"})
    summary = run_batch(src, out, upper, batch_size=8, progress=False, options={"model": "a"}, restart=True)
    assert (summary.resumed, summary.processed) == (0, 50)
    assert [r["text"] for r in read_jsonl(out)] == [f"second file {i}" for i in range(50)]

    out2 = tmp_path / "out2.jsonl"
    _interrupted(src, out2, options={"model": "a"})
    with pytest.raises(BatchInputError, match=r"options model: 'a' then, 'b' now"):
        run_batch(src, out2, upper, batch_size=8, progress=False, options={"model": "b"})
    with pytest.raises(BatchInputError, match="already exists.*--restart"):
        run_batch(src, out, upper, progress=False)
    header = json.loads(partial_path(out2).read_text().splitlines()[0])["srllm_partial"]
    assert header["input"]["size"] == src.stat().st_size and len(header["input"]["sha256"]) == 64


def test_an_input_dependent_failure_becomes_a_row_error(tmp_path):
    def picky(texts):
        if any("boom" in t for t in texts):
            raise ValueError("cannot handle boom")
        return upper(texts)

    src = tmp_path / "in.txt"
    src.write_text("a\nboom\nc\n")
    summary = run_batch(src, tmp_path / "o.jsonl", picky, progress=False)
    rows = read_jsonl(tmp_path / "o.jsonl")
    assert [r.get("upper") for r in rows] == ["A", None, "C"]
    assert "in.txt:2: processing failed: ValueError: cannot handle boom" in rows[1]["error"]
    assert summary.errors == 1
