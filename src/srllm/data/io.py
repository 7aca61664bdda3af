"""Read, write and validate CMD files in JSONL, CSV or Parquet.

Every problem is reported with the file, the line (JSONL/CSV) or row (Parquet), the field and
what was expected; nothing is dropped silently. Files are read by the shared input layer
(`srllm.inputs`): bad bytes, lone surrogates, over-long fields, deep JSON, malformed CSV rows are
per-row problems; empty files, duplicate ids and blank ids are rejected too.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from srllm.data.schema import FIELDS, LIST_FIELDS, SPAN_FIELDS, CMDRecord
from srllm.inputs import InputFileError, read_rows

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


class DataFileError(ValueError):
    """A data file that cannot be read as CMD records; `problems` lists each bad row."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{path}: {len(problems)} invalid row(s)\n{shown}{more}")


@dataclass(frozen=True)
class Problem:
    """One bad row: where it is, which field, and what was wrong."""

    location: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.field}: {self.message}"


@dataclass
class ValidationReport:
    path: Path
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    records: list[CMDRecord] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({p.location for p in self.problems if p.field != "<file>"})

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            unsafe = sum(r.annotation == "Unsafe" for r in self.records)
            return f"{self.path}: {self.rows} valid CMD records ({unsafe} Unsafe, {self.rows - unsafe} Benign)"
        if any(p.field == "<file>" for p in self.problems):
            return f"{self.path}: not a valid CMD file ({self.rows} rows read, {len(self.problems)} problems)"
        return f"{self.path}: {self.bad_rows} of {self.rows} rows invalid ({len(self.problems)} problems)"


def file_format(path: str | Path) -> str:
    """The format of `path` from its suffix; a clear error for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: unsupported file type {suffix!r}; expected one of {sorted(FORMATS)}")
    return FORMATS[suffix]


def _decode_csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key is None:  # more cells than header columns
            raise ValueError(f"row has {len(value or [])} cell(s) beyond the header")
        if key in LIST_FIELDS:
            value = value or "[]"
            try:
                out[key] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"column {key!r} must hold a JSON array, got {value!r} ({exc.msg})") from None
        elif value == "" and key in ("benign_variation", "parent_id", "split"):
            out[key] = None
        else:
            out[key] = value
    return out


def iter_rows(path: str | Path) -> Iterator[tuple[str, dict[str, Any] | Problem]]:
    """Yield (location, raw row) for each row, or (location, Problem) for rows that cannot be parsed.

    Reads through the shared input layer (`srllm.inputs`); raises `InputFileError` for a file that
    cannot be read at all (empty, not Parquet, no usable CSV header)."""
    path = Path(path)
    fmt = file_format(path)
    for raw in read_rows(path):
        if raw.error is not None:
            yield raw.location, Problem(raw.location, raw.field or "<row>", raw.problem or "")
            continue
        if fmt == "csv":
            try:
                yield raw.location, _decode_csv_row(raw.fields)
            except ValueError as exc:
                yield raw.location, Problem(raw.location, "<csv>", str(exc))
        else:
            yield raw.location, raw.fields


def _problems_from(location: str, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        name = ".".join(str(part) for part in err["loc"]) or "<record>"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] not in ("missing", "model_type") and "input" in err and name != "<record>":
            message += f" (got {err['input']!r})"
        problems.append(Problem(location, name, message))
    return problems


def validate_file(path: str | Path) -> ValidationReport:
    """Check every row of a CMD file against the schema and ids for uniqueness; collect all problems.

    A file that cannot be read at all (empty, not Parquet, ...) is one problem at ``<file>``."""
    report = ValidationReport(Path(path))
    first_seen: dict[str, str] = {}
    try:
        for location, row in iter_rows(path):
            report.rows += 1
            if isinstance(row, Problem):
                report.problems.append(row)
                continue
            try:
                record = CMDRecord.model_validate(row)
            except ValidationError as exc:
                report.problems.extend(_problems_from(location, exc))
                continue
            if record.id in first_seen:
                report.problems.append(Problem(location, "id", f"duplicate id {record.id!r}; first used at "
                                                               f"{first_seen[record.id]}; ids must be unique"))
                continue
            first_seen[record.id] = location
            report.records.append(record)
    except InputFileError as exc:
        report.problems.append(Problem(str(path), "<file>", str(exc).removeprefix(f"{path}: ")))
    return report


def read_records(path: str | Path) -> list[CMDRecord]:
    """All records of a CMD file; raises DataFileError listing every bad row."""
    report = validate_file(path)
    if not report.ok:
        raise DataFileError(report.path, report.problems)
    return report.records


def _row(record: CMDRecord) -> dict[str, Any]:
    return record.model_dump(mode="json")


def write_records(records: Iterable[CMDRecord], path: str | Path) -> int:
    """Write records in the format named by the suffix; returns the count. Output is deterministic."""
    path = Path(path)
    fmt = file_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [_row(r) for r in records]
    if fmt == "jsonl":
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(FIELDS), lineterminator="\n")
            writer.writeheader()
            for row in rows:
                for key in LIST_FIELDS:
                    row[key] = json.dumps(row[key], ensure_ascii=False)
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        def arrow_type(name: str) -> pa.DataType:
            if name in SPAN_FIELDS:
                return pa.list_(pa.list_(pa.int64()))
            return pa.list_(pa.string()) if name in LIST_FIELDS else pa.string()

        schema = pa.schema([pa.field(name, arrow_type(name)) for name in FIELDS])
        table = pa.Table.from_pylist(rows, schema=schema)
        pq.write_table(table, path, compression="zstd")
    return len(rows)
