import json

import jsonschema
import pytest

from srllm.cli import main
from srllm.data.io import DataFileError, read_records, validate_file, write_records
from srllm.data.schema import CMDRecord, json_schema


def record(i: int = 0, **overrides) -> CMDRecord:
    fields = dict(
        id=f"toy:{i}", text=f"Some people, like group {i}, are awful.", bias="Yes", toxicity="Mild",
        sentiment="Negative", harm="Low", target_demographic=["religion"], biased_words=["awful"],
        benign_variation="People differ.", source="toy", source_id=str(i), provenance="synthetic",
    )
    fields.update(overrides)
    return CMDRecord.labelled(**fields)


def test_labelled_computes_the_annotation():
    assert record().annotation == "Unsafe"
    assert record(sentiment="Neutral").annotation == "Benign"


def test_annotation_that_contradicts_the_rule_is_rejected():
    data = record().model_dump()
    data["annotation"] = "Benign"
    with pytest.raises(ValueError, match="the taxonomy's rule gives 'Unsafe'"):
        CMDRecord.model_validate(data)


def test_unknown_demographic_and_blank_text_rejected():
    with pytest.raises(ValueError, match="unknown demographic"):
        record(target_demographic=["martians"])
    with pytest.raises(ValueError, match="text is blank"):
        record(text="   ")


def test_json_schema_accepts_a_record_and_rejects_a_bad_level():
    schema = json_schema()
    jsonschema.validate(record().model_dump(mode="json"), schema)
    bad = record().model_dump(mode="json") | {"toxicity": "Severe"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_round_trip_every_format(tmp_path, suffix):
    rows = [record(0), record(1, benign_variation=None, biased_words=[], target_demographic=["none"]),
            record(2, text='quote " and, comma\nnewline', parent_id="toy:0", split="dev")]
    path = tmp_path / f"corpus{suffix}"
    assert write_records(rows, path) == 3
    assert read_records(path) == rows


def test_validate_names_every_bad_row(tmp_path, capsys):
    good = record(0).model_dump(mode="json")
    wrong_level = record(1).model_dump(mode="json") | {"toxicity": "Severe"}
    missing_text = {k: v for k, v in record(2).model_dump(mode="json").items() if k != "text"}
    lines = [json.dumps(good), json.dumps(wrong_level), json.dumps(missing_text), '{"id": "toy:3", "text": ']
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")

    report = validate_file(path)
    assert [p.location for p in report.problems] == [f"{path}:2", f"{path}:3", f"{path}:4"]
    by_line = {p.location: p for p in report.problems}
    assert by_line[f"{path}:2"].field == "toxicity" and "'No', 'Mild' or 'High'" in by_line[f"{path}:2"].message
    assert by_line[f"{path}:3"].field == "text" and "required" in by_line[f"{path}:3"].message.lower()
    assert by_line[f"{path}:4"].field == "<json>" and "broken JSON" in by_line[f"{path}:4"].message

    assert main(["data", "validate", str(path)]) == 1
    out = capsys.readouterr().out
    for line in (2, 3, 4):
        assert f"{path}:{line}:" in out
    assert "3 of 4 rows invalid" in out
    with pytest.raises(DataFileError, match="3 invalid row"):
        read_records(path)


def test_validate_csv_reports_line_numbers(tmp_path, capsys):
    path = tmp_path / "c.csv"
    write_records([record(0), record(1)], path)
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace(",Mild,", ",Severe,")
    path.write_text("\n".join(lines) + "\n")
    assert main(["data", "validate", str(path)]) == 1
    assert f"{path}:3: toxicity:" in capsys.readouterr().out


def test_valid_file_prints_one_line_summary(tmp_path, capsys):
    path = tmp_path / "ok.jsonl"
    write_records([record(0), record(1, sentiment="Positive")], path)
    assert main(["data", "validate", str(path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [f"{path}: 2 valid CMD records (1 Unsafe, 1 Benign)"]


def test_unsupported_format_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "x.txt"
    path.write_text("hello")
    assert main(["data", "validate", str(path)]) == 2
    assert "unsupported file type '.txt'" in capsys.readouterr().err
