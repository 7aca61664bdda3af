"""The txt, JSONL and Parquet readers, `read_rows` (any format) and `fingerprint`."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from srllm.inputs.checks import DEFAULT_LIMITS, InputFileError, InputLimits, RawRow, error_row, input_format, make_row
from srllm.inputs.csvfile import read_csv
from srllm.inputs.lines import physical_lines


def _read_text(path: Path, text_field: str, limits: InputLimits) -> Iterator[RawRow]:
    for number, line, problem in physical_lines(path, limits):
        location = f"{path}:{number}"
        if problem:
            yield error_row(number - 1, location, "<line>", problem)
        else:
            yield make_row(number - 1, location, {text_field: line}, limits)


def _read_jsonl(path: Path, limits: InputLimits) -> Iterator[RawRow]:
    for number, line, problem in physical_lines(path, limits):
        index, location = number - 1, f"{path}:{number}"
        if problem:
            yield error_row(index, location, "<line>", problem)
            continue
        if not line.strip():
            yield error_row(index, location, "<line>", "blank line; expected one JSON object per line")
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield error_row(index, location, "<json>", f"broken JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield error_row(index, location, "<json>", f"nested too deeply to decode (limit: {limits.max_json_depth} levels)")
            continue
        if not isinstance(value, dict):
            yield error_row(index, location, "<json>", f"expected a JSON object, got {type(value).__name__}")
            continue
        yield make_row(index, location, value, limits)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _read_parquet(path: Path, limits: InputLimits, require: str | None) -> Iterator[RawRow]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise InputFileError(f"{path}: not a readable Parquet file ({_one_line(exc)})") from None
    if require is not None and require not in names:
        raise InputFileError(f"{path}: no {require!r} column (columns: {names})")
    index = 0
    for group in range(parquet.num_row_groups):
        count = parquet.metadata.row_group(group).num_rows
        try:
            rows = parquet.read_row_group(group).to_pylist()
            if len(rows) != count:
                raise ValueError(f"{len(rows)} rows decoded, the metadata says {count}")
        except (OSError, pa.ArrowException, ValueError, UnicodeDecodeError) as exc:
            for i in range(count):
                yield error_row(index + i, f"{path}: row {index + i + 1}", "<parquet>",
                             f"row group {group} cannot be decoded ({_one_line(exc)})")
            index += count
            continue
        for fields in rows:
            yield make_row(index, f"{path}: row {index + 1}", fields, limits)
            index += 1


def read_rows(path: str | os.PathLike[str], *, text_field: str = "text", require: str | None = None,
              limits: InputLimits = DEFAULT_LIMITS) -> Iterator[RawRow]:
    """Every row of a txt/JSONL/CSV/Parquet file, in order, each read or reported.

    `text_field` names the field of a ``.txt`` line; `require` is a column a CSV or Parquet file
    must have. Raises `InputFileError` for a file that cannot be read at all, or has no rows."""
    path = Path(path)
    fmt = input_format(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such input file")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: empty file; expected at least one row")
    if fmt == "text":
        rows = _read_text(path, text_field, limits)
    elif fmt == "jsonl":
        rows = _read_jsonl(path, limits)
    elif fmt == "csv":
        rows = read_csv(path, limits, require)
    else:
        rows = _read_parquet(path, limits, require)
    count = 0
    for row in rows:
        count += 1
        yield row
    if count == 0:
        raise InputFileError(f"{path}: no rows; expected at least one")


def fingerprint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """What identifies an input's contents: its resolved path, size and sha256, plus its line count
    (``lines``, the progress bar's estimate of the rows)."""
    path = Path(path)
    digest, lines, size = hashlib.sha256(), 0, 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
            size += len(chunk)
    return {"path": str(path.resolve()), "size": size, "sha256": digest.hexdigest(), "lines": lines}
