"""Write result rows (dicts) as JSONL, CSV or Parquet, atomically (a temporary file, then a rename).

Columns whose values do not share one type (an input column that holds numbers in some rows and
text in others), nested values, and integers too large for Parquet are stored as JSON text, so any
row that could be read can be written.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

OUTPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def output_format(path: Path) -> str | None:
    return OUTPUT_FORMATS.get(path.suffix.lower())


def _json_cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, (list, dict)) else value


def _parquet_column(values: list[Any]) -> Any:
    import pyarrow as pa

    kinds = {type(v) for v in values if v is not None}
    if len(kinds) <= 1 and not kinds & {list, dict}:
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
    return pa.array([None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
                     for v in values], type=pa.string())


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def write_rows(rows: Iterable[dict[str, Any]], path: str | os.PathLike[str]) -> int:
    """Write `rows` to `path` in the format its suffix names; returns the count."""
    path = Path(path)
    fmt = output_format(path)
    if fmt is None:
        raise ValueError(f"{path}: unsupported output format {path.suffix!r}; expected one of {sorted(OUTPUT_FORMATS)}")
    rows = list(rows)
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "jsonl":
        with tmp.open("w", encoding="utf-8", newline="\n") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    elif fmt == "csv":
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=_columns(rows))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _json_cell(v) for k, v in row.items()})
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = _columns(rows)
        table = pa.table({c: _parquet_column([row.get(c) for row in rows]) for c in columns}) if columns else pa.table({})
        pq.write_table(table, tmp)
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return len(rows)
