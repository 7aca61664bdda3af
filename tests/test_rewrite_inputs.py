"""`srllm rewrite --input` with the real pipeline (shipped classifier, SmolLM2 + adapter, MiniLM) in
a cheap configuration: a JSON lone surrogate, a CSV field over the csv module's limit and an
over-long unsafe line are per-row errors, never a crash or a silent hang; other rows are processed."""

from __future__ import annotations

import json

from srllm.cli import main


def test_rewrite_reports_bad_rows_and_goes_on(tmp_path, capsys):
    config = tmp_path / "cheap.yaml"
    config.write_text("candidates: 0\nmax_new_tokens: 16\n")
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "Have a lovely day."}\n{"text": "bad \\ud800 text"}\n'
                   + json.dumps({"text": "you are a stupid idiot. " * 900}) + "\n{\n")
    out = tmp_path / "out.jsonl"
    base = ["rewrite", "--config", str(config), "--threads", "1", "--no-progress"]
    assert main([*base, "--input", str(src), "--output", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["row"] for r in rows] == [0, 1, 2, 3]
    assert rows[0]["decision"] == "kept" and "error" not in rows[0]
    assert "in.jsonl:2: text: lone surrogate U+D800 at character 5" in rows[1]["error"]
    assert "in.jsonl:3: text: 21,600 characters, more than the limit of 10,000" in rows[2]["error"]
    assert "in.jsonl:4: <json>: broken JSON" in rows[3]["error"]
    assert "4 rows" in capsys.readouterr().out

    big = tmp_path / "big.csv"
    big.write_text("text\n" + "a" * 140_000 + "\nThe report is on time.\n")
    assert main([*base, "--input", str(big), "--output", str(tmp_path / "big.out.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "big.out.jsonl").read_text().splitlines()]
    assert "big.csv:2: text: 140,000 characters, more than the limit of 10,000" in rows[0]["error"]
    assert len(rows) == 2 and rows[1]["decision"] == "kept"
