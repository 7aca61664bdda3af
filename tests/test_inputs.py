"""The shared input layer: each crash and silent loss a hostile test of main found, reproduced as a
file and checked through the reader, `srllm data validate` and `srllm classify` (the shipped
classifier). On main each of these raised a traceback or changed rows without saying so."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from srllm.cli import main
from srllm.inputs import InputFileError, InputLimits, check_texts, read_rows

GOOD = {"text": "Hello there.", "bias": "No", "toxicity": "No", "sentiment": "Neutral", "harm": "Low",
        "annotation": "Benign", "source": "s", "source_id": "1", "provenance": "public"}


def rows_of(path: Path) -> list:
    return list(read_rows(path))


def classify(tmp_path: Path, src: Path, capsys) -> tuple[int, list[dict], str]:
    out = tmp_path / f"{src.stem}.out.jsonl"
    rc = main(["classify", "--input", str(src), "--output", str(out), "--no-explain", "--no-progress", "--restart"])
    err = capsys.readouterr().err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if rc == 0 else []
    return rc, rows, err


def test_lone_surrogate_is_a_row_error_in_classify(tmp_path, capsys):
    src = tmp_path / "s.jsonl"
    src.write_text('{"text": "hello \\ud800 there"}\n{"text": "fine", "note": "\\udc80"}\n'
                   '{"\\udc80": 1, "text": "key"}\n{"text": "Have a nice day."}\n')
    rc, rows, _ = classify(tmp_path, src, capsys)
    assert rc == 0 and [r["row"] for r in rows] == [0, 1, 2, 3]
    assert "s.jsonl:1: text: lone surrogate U+D800 at character 7" in rows[0]["error"]
    assert "s.jsonl:2: note: lone surrogate U+DC80" in rows[1]["error"]
    assert "s.jsonl:3: \\udc80: the field name holds a lone surrogate" in rows[2]["error"]
    assert "error" not in rows[3] and rows[3]["unsafe"] == "Benign"


def test_csv_field_over_the_csv_module_limit(tmp_path, capsys):
    src = tmp_path / "big.csv"
    src.write_text("id,text\n1," + "a" * 140_000 + "\n2,short text\n")
    rc, rows, _ = classify(tmp_path, src, capsys)
    assert rc == 0 and len(rows) == 2
    assert "big.csv:2: text: 140,000 characters, more than the limit of 10,000" in rows[0]["error"]
    assert "unsafe" in rows[1]
    small = list(read_rows(src, limits=InputLimits(max_field_chars=1000)))
    assert "big.csv:2: <csv>: line longer than 4,002 bytes (the limit is 1,000 characters" in small[0].error
    assert main(["data", "validate", str(src)]) == 1  # a CMD file's rows are incomplete; no _csv.Error
    assert "big.csv:3" in capsys.readouterr().out


def test_deeply_nested_json_in_validate(tmp_path, capsys):
    src = tmp_path / "deep.jsonl"
    src.write_text("[" * 100_000 + "]" * 100_000 + "\n" + json.dumps({**GOOD, "biased_words": [[[["x"]]]] * 1}) + "\n"
                   + '{"text": ' + "[" * 80 + "1" + "]" * 80 + "}\n")
    assert main(["data", "validate", str(src)]) == 1
    out = capsys.readouterr().out
    assert "deep.jsonl:1: <json>: nested too deeply to decode" in out
    assert "deep.jsonl:3: text" in out and "nested deeper than 64 levels" in out


def test_corrupt_parquet_page_and_random_bytes(tmp_path, capsys):
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"text": [f"row {i} is fine." for i in range(10)]}), good, row_group_size=5,
                   compression="none")
    offset = pq.ParquetFile(good).metadata.row_group(1).column(0).data_page_offset
    data = bytearray(good.read_bytes())
    data[offset:offset + 6] = b"\xff" * 6
    page = tmp_path / "page.parquet"
    page.write_bytes(bytes(data))
    rc, rows, _ = classify(tmp_path, page, capsys)
    assert rc == 0 and [r["row"] for r in rows] == list(range(10))
    assert all("unsafe" in r for r in rows[:5])
    assert all("row group 1 cannot be decoded" in r["error"] for r in rows[5:])
    noise = tmp_path / "noise.parquet"
    noise.write_bytes(bytes(range(256)) * 20)
    rc, _, err = classify(tmp_path, noise, capsys)
    assert rc == 1 and f"{noise}: not a readable Parquet file" in err
    assert main(["data", "validate", str(noise)]) == 1
    assert "not a readable Parquet file" in capsys.readouterr().out


def test_invalid_utf8_is_reported_with_file_and_line(tmp_path, capsys):
    txt = tmp_path / "bad.txt"
    txt.write_bytes(b"good line\nbad \xff\xfe line\nlast\n")
    rc, rows, _ = classify(tmp_path, txt, capsys)
    assert rc == 0 and len(rows) == 3
    assert "bad.txt:2: <line>: invalid UTF-8: byte 0xff at byte 5" in rows[1]["error"]
    assert "\ufffd" not in json.dumps(rows, ensure_ascii=False)
    cmd = tmp_path / "bad.jsonl"
    cmd.write_bytes(json.dumps(GOOD).encode() + b"\n" + json.dumps({**GOOD, "id": "x:2"}).encode()[:-2] + b'\xc3"}\n')
    assert main(["data", "validate", str(cmd)]) == 1
    assert f"{cmd}:2: <line>: invalid UTF-8: byte 0xc3" in capsys.readouterr().out


def test_carriage_return_inside_a_txt_line_stays_in_its_row(tmp_path):
    src = tmp_path / "cr.txt"
    src.write_bytes(b"one\rtwo\r\nthree\n")
    assert [r.fields["text"] for r in rows_of(src)] == ["one\rtwo", "three"]


def test_unterminated_quote_and_blank_lines_in_csv(tmp_path):
    src = tmp_path / "q.csv"
    src.write_text('id,text\n1,"hello\n2,world\n\n3,"a ""quoted""\nline"\n')
    rows = rows_of(src)
    assert [r.location.rsplit(":", 1)[1] for r in rows] == ["2", "3", "4", "5-6"]
    assert "unterminated quoted field" in rows[0].error
    assert rows[1].fields == {"id": "2", "text": "world"}
    assert "blank line; expected 2 cell(s)" in rows[2].error
    assert rows[3].fields == {"id": "3", "text": 'a "quoted"\nline'}


def test_validate_rejects_duplicate_and_blank_ids_and_empty_files(tmp_path, capsys):
    src = tmp_path / "ids.jsonl"
    src.write_text("".join(json.dumps({**GOOD, "id": i, "source_id": str(n)}) + "\n"
                           for n, i in enumerate(["x:1", "x:1", "  ", "x:2"])))
    assert main(["data", "validate", str(src)]) == 1
    out = capsys.readouterr().out
    assert f"{src}:2: id: duplicate id 'x:1'; first used at {src}:1" in out
    assert f"{src}:3: id: id is blank" in out
    for suffix in (".jsonl", ".csv", ".parquet"):
        empty = tmp_path / f"empty{suffix}"
        empty.write_bytes(b"")
        assert main(["data", "validate", str(empty)]) == 1
        assert f"{empty}: <file>: empty file; expected at least one row" in capsys.readouterr().out
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,text\n")
    assert main(["data", "validate", str(header_only)]) == 1
    assert "no rows; expected at least one" in capsys.readouterr().out
    with pytest.raises(InputFileError, match="empty file"):
        rows_of(tmp_path / "empty.jsonl")


def test_check_texts_names_each_bad_field_for_the_server():
    problems = check_texts(["fine", "bad \ud800", "", 5, "x" * 11], limits=InputLimits(max_text_chars=10))
    assert [str(p) for p in problems] == [
        "texts[1]: lone surrogate U+D800 at character 5; expected valid Unicode text",
        "texts[2]: text is blank", "texts[3]: must be a string, got int",
        "texts[4]: 11 characters, more than the limit of 10"]
    assert str(check_texts(["a"] * 65)[0]) == "texts: 65 texts, more than the limit of 64 per request"
    assert check_texts(["ok", "also ok"]) == []
