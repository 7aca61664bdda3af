"""Batch jobs over large files: read texts, process them in batches, write results incrementally,
resume after an interruption without losing or duplicating a row.

Inputs are JSONL, CSV, Parquet or plain text (``.txt``: one text per line). Every input row gets
exactly one output row, in input order, carrying its 0-based ``row`` index, the input's other
fields and the processor's result fields. A row that cannot be processed (missing or non-string
text, broken JSON) is written with an ``error`` field naming the file, line and problem; it is
never dropped.

Progress goes to ``OUTPUT.partial.jsonl`` after every batch (flushed and fsync'd). A rerun with the
same input and output reads that file, keeps the rows it holds (a torn last line is discarded and
redone), and continues from the first missing row. When every row is done the partial file is
converted to the output's format (JSONL, CSV or Parquet) and removed.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".txt": "text"}
OUTPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}

#: A processor takes a batch of texts and returns one flat dict of result fields per text.
Processor = Callable[[list[str]], list[dict[str, Any]]]


class BatchInputError(ValueError):
    """An input or output file that cannot be used; the message names it and what was expected."""


@dataclass(frozen=True)
class InputRow:
    row: int
    location: str
    fields: dict[str, Any]
    text: str | None
    error: str | None = None


@dataclass
class BatchSummary:
    input: Path
    output: Path
    rows: int
    processed: int
    resumed: int
    errors: int

    def __str__(self) -> str:
        return (f"{self.rows} rows -> {self.output} ({self.processed} processed now, {self.resumed} kept "
                f"from an earlier run, {self.errors} with errors)")


def _format(path: Path, table: dict[str, str], what: str) -> str:
    fmt = table.get(path.suffix.lower())
    if fmt is None:
        raise BatchInputError(f"{path}: unsupported {what} format {path.suffix!r}; expected one of {sorted(table)}")
    return fmt


def iter_input(path: str | os.PathLike[str], text_field: str = "text") -> Iterator[InputRow]:
    """Yield every row of an input file; rows that cannot be used carry an `error`."""
    path = Path(path)
    if not path.is_file():
        raise BatchInputError(f"{path}: no such input file")
    fmt = _format(path, INPUT_FORMATS, "input")

    def make(row: int, location: str, fields: dict[str, Any]) -> InputRow:
        text = fields.get(text_field)
        if text_field not in fields:
            return InputRow(row, location, fields, None, f"{location}: no {text_field!r} field (fields: {sorted(fields)})")
        if not isinstance(text, str):
            return InputRow(row, location, fields, None,
                            f"{location}: field {text_field!r} must be a string, got {type(text).__name__}")
        return InputRow(row, location, fields, text)

    if fmt == "text":
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for number, line in enumerate(handle):
                yield make(number, f"{path}:{number + 1}", {text_field: line.rstrip("\r\n")})
    elif fmt == "jsonl":
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle):
                location = f"{path}:{number + 1}"
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield InputRow(number, location, {}, None, f"{location}: broken JSON: {exc.msg} at column {exc.colno}")
                    continue
                if not isinstance(value, dict):
                    yield InputRow(number, location, {}, None, f"{location}: expected a JSON object, got {type(value).__name__}")
                    continue
                yield make(number, location, value)
    elif fmt == "csv":
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or text_field not in reader.fieldnames:
                raise BatchInputError(f"{path}: no {text_field!r} column in the CSV header {reader.fieldnames}")
            for number, fields in enumerate(reader):
                yield make(number, f"{path}:{reader.line_num}", dict(fields))
    else:
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        if text_field not in parquet.schema_arrow.names:
            raise BatchInputError(f"{path}: no {text_field!r} column (columns: {parquet.schema_arrow.names})")
        number = 0
        for batch in parquet.iter_batches(batch_size=1024):
            for fields in batch.to_pylist():
                yield make(number, f"{path}: row {number + 1}", fields)
                number += 1


def partial_path(output: Path) -> Path:
    return output.with_name(output.name + ".partial.jsonl")


def _read_partial(partial: Path) -> int:
    """Rows already done in a partial file; truncate a torn last line so appends stay valid."""
    if not partial.exists():
        return 0
    done = 0
    good_bytes = 0
    with partial.open("rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                break
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                break
            if row.get("row") != done:
                raise BatchInputError(f"{partial}: line {done + 1} holds row {row.get('row')}, expected {done}; "
                                      "the partial file does not belong to this input; remove it to start over")
            done += 1
            good_bytes += len(line)
    if good_bytes != partial.stat().st_size:
        with partial.open("r+b") as handle:
            handle.truncate(good_bytes)
    return done


def _finish(partial: Path, output: Path) -> None:
    fmt = _format(output, OUTPUT_FORMATS, "output")
    if fmt == "jsonl":
        os.replace(partial, output)
        return
    rows = [json.loads(line) for line in partial.read_text(encoding="utf-8").splitlines()]
    tmp = output.with_name(output.name + ".tmp")
    if fmt == "csv":
        columns: list[str] = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                                 for k, v in row.items()})
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        flat = [{k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v for k, v in row.items()}
                for row in rows]
        pq.write_table(pa.Table.from_pylist(flat), tmp)
    os.replace(tmp, output)
    partial.unlink()


def run_batch(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    process: Processor,
    *,
    text_field: str = "text",
    batch_size: int = 32,
    progress: bool = True,
    keep_fields: Sequence[str] | None = None,
    desc: str = "rows",
) -> BatchSummary:
    """Run `process` over every text of `input` and write one result row per input row to `output`.

    `keep_fields` limits which input fields are copied to the output (default: all). Result fields
    override input fields of the same name.
    """
    input, output = Path(input), Path(output)
    _format(output, OUTPUT_FORMATS, "output")
    if output.exists() and not partial_path(output).exists():
        raise BatchInputError(f"{output}: already exists and has no partial file to resume; remove it or choose another")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(output)
    resumed = _read_partial(partial)
    rows = processed = errors = 0

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc=desc, unit="row", initial=resumed)

    with partial.open("a", encoding="utf-8") as sink:
        pending: list[InputRow] = []

        def flush() -> None:
            nonlocal processed, errors
            good = [r for r in pending if r.error is None]
            results = process([r.text for r in good]) if good else []
            if len(results) != len(good):
                raise RuntimeError(f"processor returned {len(results)} results for {len(good)} texts")
            by_row = {r.row: res for r, res in zip(good, results)}
            for r in pending:
                fields = r.fields if keep_fields is None else {k: r.fields.get(k) for k in keep_fields}
                out = {"row": r.row, **fields}
                if r.error is not None:
                    out["error"] = r.error
                    errors += 1
                else:
                    out.update(by_row[r.row])
                sink.write(json.dumps(out, ensure_ascii=False, default=str) + "\n")
            sink.flush()
            os.fsync(sink.fileno())
            processed += len(pending)
            if bar is not None:
                bar.update(len(pending))
            pending.clear()

        for item in iter_input(input, text_field):
            rows += 1
            if item.row < resumed:
                continue
            pending.append(item)
            if len(pending) >= batch_size:
                flush()
        if pending:
            flush()
    if bar is not None:
        bar.close()
    if resumed > rows:
        raise BatchInputError(f"{partial}: holds {resumed} rows but {input} has only {rows}; remove it to start over")
    _finish(partial, output)
    return BatchSummary(input, output, rows, processed, resumed, errors)
