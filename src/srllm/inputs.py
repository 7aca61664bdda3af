"""One input layer for every reader: plain text, JSONL, CSV and Parquet files, and request texts.

Every row of a file is either read exactly as written or reported with an `error` that names the
file, the line (or Parquet row), the field and what was wrong; nothing is altered or dropped
silently, and one bad row never stops the job:

* bytes that are not UTF-8, lone surrogates (JSON ``"\\ud800"``), fields over the size limit, JSON
  nested deeper than the depth limit, broken JSON, blank lines, CSV rows with the wrong number of
  cells and unterminated CSV quotes become per-row errors (an unterminated quote is reported at the
  line that opened it, and the lines after it are read again as rows of their own);
* lines end at ``\\n`` only, so a ``\\r`` inside a line stays part of its text (``\\r\\n`` endings are
  removed);
* a file that cannot be read at all (missing, unsupported suffix, empty, not Parquet, a CSV without
  a usable header) raises `InputFileError` with the path and the reason.

`check_texts` applies the same text rules to the texts of an HTTP request.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: file suffix -> reader
INPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".txt": "text"}


@dataclass(frozen=True)
class InputLimits:
    """Limits on what is read. Characters, not bytes."""

    #: characters in one text to classify or rewrite (the server's request limit too)
    max_text_chars: int = 10_000
    #: texts in one HTTP request
    max_rows_per_request: int = 64
    #: characters in any one field, CSV cell or line of a file
    max_field_chars: int = 1_000_000
    #: nesting of JSON arrays/objects in one row
    max_json_depth: int = 64

    def __post_init__(self) -> None:
        for name in ("max_text_chars", "max_rows_per_request", "max_field_chars", "max_json_depth"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")


DEFAULT_LIMITS = InputLimits()


class InputFileError(ValueError):
    """A file that cannot be read at all; the message names it and the reason."""


@dataclass(frozen=True)
class RawRow:
    """One row of a file: its 0-based index, where it is, its fields, and the problem if any."""

    index: int
    location: str
    fields: dict[str, Any]
    #: the field at fault (a column name, or <line>, <json>, <csv>, <parquet>) and what was wrong
    field: str | None = None
    problem: str | None = None

    @property
    def error(self) -> str | None:
        return None if self.problem is None else f"{self.location}: {self.field}: {self.problem}"


@dataclass(frozen=True)
class TextProblem:
    """A text of a request that cannot be used: the field (``texts[3]``) and why."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def input_format(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in INPUT_FORMATS:
        raise InputFileError(f"{path}: unsupported input format {suffix!r}; expected one of {sorted(INPUT_FORMATS)}")
    return INPUT_FORMATS[suffix]


# --- checks on values --------------------------------------------------------------------------------


def _surrogate_at(text: str) -> int | None:
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError as exc:
        return exc.start


def string_problem(text: str, limit: int) -> str | None:
    """Why `text` cannot be stored as UTF-8 text within `limit` characters, or None."""
    at = _surrogate_at(text)
    if at is not None:
        return f"lone surrogate U+{ord(text[at]):04X} at character {at + 1}; expected valid Unicode text"
    if len(text) > limit:
        return f"{len(text):,} characters, more than the limit of {limit:,}"
    return None


def text_problem(text: Any, limits: InputLimits = DEFAULT_LIMITS) -> str | None:
    """Why `text` cannot be classified or rewritten (not a string, blank, bad Unicode, too long), or None."""
    if not isinstance(text, str):
        return f"must be a string, got {type(text).__name__}"
    if not text.strip():
        return "text is blank"
    return string_problem(text, limits.max_text_chars)


def _printable(name: str) -> str:
    """`name` with any lone surrogate written as an escape, so an error message can always be written."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def value_problem(fields: dict[str, Any], limits: InputLimits = DEFAULT_LIMITS) -> tuple[str, str] | None:
    """(field, problem) for the first key, string or container in `fields` that breaks the limits,
    or None. Walks nested values iteratively, so depth is checked without recursion."""
    stack: list[tuple[str, Any, int]] = [("", fields, 0)]
    while stack:
        name, value, depth = stack.pop()
        if isinstance(value, str):
            problem = string_problem(value, limits.max_field_chars)
            if problem:
                return _printable(name), problem
        elif isinstance(value, dict):
            if depth > limits.max_json_depth:
                return _printable(name), f"nested deeper than {limits.max_json_depth} levels"
            for key, item in value.items():
                child = f"{name}.{key}" if name else str(key)
                if isinstance(key, str) and _surrogate_at(key) is not None:
                    return _printable(child), "the field name holds a lone surrogate; expected valid Unicode text"
                stack.append((child, item, depth + 1))
        elif isinstance(value, list):
            if depth > limits.max_json_depth:
                return _printable(name), f"nested deeper than {limits.max_json_depth} levels"
            stack.extend((f"{name}[{i}]", item, depth + 1) for i, item in enumerate(value))
    return None


def check_texts(texts: Sequence[Any], *, field: str = "texts",
                limits: InputLimits = DEFAULT_LIMITS) -> list[TextProblem]:
    """Every problem with the texts of one request (count, type, blank, Unicode, length), each naming
    its field, e.g. ``texts[2]: lone surrogate U+D800 at character 7``."""
    if len(texts) > limits.max_rows_per_request:
        return [TextProblem(field, f"{len(texts)} texts, more than the limit of {limits.max_rows_per_request} per request")]
    problems = []
    for i, text in enumerate(texts):
        problem = text_problem(text, limits)
        if problem:
            problems.append(TextProblem(f"{field}[{i}]", problem))
    return problems


def _clean_scalars(fields: dict[str, Any], limits: InputLimits) -> dict[str, Any]:
    """The top-level scalar fields of a bad row that can be written back safely."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if not isinstance(key, str) or _surrogate_at(key) is not None:
            continue
        if isinstance(value, str) and string_problem(value, limits.max_field_chars) is None or value is None or isinstance(value, (bool, int, float)):
            out[key] = value
    return out


def _row(index: int, location: str, fields: dict[str, Any], limits: InputLimits) -> RawRow:
    bad = value_problem(fields, limits)
    if bad is None:
        return RawRow(index, location, fields)
    name, problem = bad
    return RawRow(index, location, _clean_scalars(fields, limits), name, problem)


def _error(index: int, location: str, field: str, problem: str) -> RawRow:
    return RawRow(index, location, {}, field, problem)


# --- lines -------------------------------------------------------------------------------------------


def _physical_lines(path: Path, limits: InputLimits) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text, problem) for each line ending at ``\\n``; a ``\\r\\n`` ending is removed.
    Undecodable or over-long lines give a problem instead of text."""
    max_bytes = 4 * limits.max_field_chars + 2
    with path.open("rb") as handle:
        number = 0
        while True:
            raw = handle.readline(max_bytes)
            if not raw:
                return
            number += 1
            if len(raw) == max_bytes and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line
                    raw = handle.readline(max_bytes)
                yield number, None, f"line longer than {max_bytes:,} bytes"
                continue
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            raw = raw.removesuffix(b"\n").removesuffix(b"\r")
            try:
                yield number, raw.decode("utf-8"), None
            except UnicodeDecodeError as exc:
                yield number, None, f"invalid UTF-8: byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line"


def _read_text(path: Path, text_field: str, limits: InputLimits) -> Iterator[RawRow]:
    for number, line, problem in _physical_lines(path, limits):
        location = f"{path}:{number}"
        if problem:
            yield _error(number - 1, location, "<line>", problem)
        else:
            yield _row(number - 1, location, {text_field: line}, limits)


def _read_jsonl(path: Path, limits: InputLimits) -> Iterator[RawRow]:
    for number, line, problem in _physical_lines(path, limits):
        index, location = number - 1, f"{path}:{number}"
        if problem:
            yield _error(index, location, "<line>", problem)
            continue
        if not line.strip():
            yield _error(index, location, "<line>", "blank line; expected one JSON object per line")
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _error(index, location, "<json>", f"broken JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield _error(index, location, "<json>", f"nested too deeply to decode (limit: {limits.max_json_depth} levels)")
            continue
        if not isinstance(value, dict):
            yield _error(index, location, "<json>", f"expected a JSON object, got {type(value).__name__}")
            continue
        yield _row(index, location, value, limits)


# --- CSV ---------------------------------------------------------------------------------------------


def _parse_csv(record: str) -> list[str]:
    return next(csv.reader([record], strict=True), [])


def _csv_records(path: Path, limits: InputLimits) -> Iterator[tuple[str, str | None, str | None]]:
    """(location, record text, problem) per CSV record; a quoted field may span lines. A quote still
    open at the end of the file or past the field limit is reported at its line; the lines after it
    are read again as records of their own."""
    lines = _physical_lines(path, limits)
    pending: deque[tuple[int, str | None, str | None]] = deque()
    buf: list[tuple[int, str]] = []
    size = quotes = 0
    while True:
        item = pending.popleft() if pending else next(lines, None)
        if item is None:
            if not buf:
                return
            yield f"{path}:{buf[0][0]}", None, "unterminated quoted field (a '\"' opened here is never closed)"
            pending.extend((n, t, None) for n, t in buf[1:])
            buf, size, quotes = [], 0, 0
            continue
        number, text, problem = item
        if problem is not None:
            if buf:  # the record in progress cannot be completed: report it, reread what followed
                yield f"{path}:{buf[0][0]}", None, f"line {number} of this quoted field: {problem}"
                pending.extendleft(reversed([(n, t, None) for n, t in buf[1:]] + [item]))
                buf, size, quotes = [], 0, 0
            else:
                yield f"{path}:{number}", None, problem
            continue
        buf.append((number, text))
        size += len(text) + 1
        quotes += text.count('"')
        if quotes % 2 == 0:
            location = f"{path}:{buf[0][0]}" if len(buf) == 1 else f"{path}:{buf[0][0]}-{number}"
            yield location, "\n".join(t for _, t in buf), None
            buf, size, quotes = [], 0, 0
        elif size > limits.max_field_chars:
            yield f"{path}:{buf[0][0]}", None, (f"quoted field not closed within {limits.max_field_chars:,} "
                                               "characters (unterminated quote?)")
            pending.extendleft(reversed([(n, t, None) for n, t in buf[1:]]))
            buf, size, quotes = [], 0, 0


def _read_csv(path: Path, limits: InputLimits, require: str | None) -> Iterator[RawRow]:
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_field_chars + 1))
    records = _csv_records(path, limits)
    first = next(records, None)
    if first is None:
        return
    location, record, problem = first
    if problem is not None:
        raise InputFileError(f"{location}: the CSV header cannot be read: {problem}")
    try:
        header = _parse_csv(record)
    except csv.Error as exc:
        raise InputFileError(f"{location}: the CSV header is malformed: {exc}") from None
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InputFileError(f"{location}: the CSV header repeats column(s) {duplicated}")
    if require is not None and require not in header:
        raise InputFileError(f"{path}: no {require!r} column in the CSV header {header}")
    for index, (location, record, problem) in enumerate(records):
        if problem is not None:
            yield _error(index, location, "<csv>", problem)
            continue
        if not record.strip():
            yield _error(index, location, "<csv>", f"blank line; expected {len(header)} cell(s)")
            continue
        try:
            cells = _parse_csv(record)
        except csv.Error as exc:
            yield _error(index, location, "<csv>", f"malformed row: {exc}")
            continue
        if len(cells) != len(header):
            yield _error(index, location, "<csv>", f"row has {len(cells)} cell(s), the header has {len(header)}")
            continue
        yield _row(index, location, dict(zip(header, cells)), limits)


# --- Parquet -----------------------------------------------------------------------------------------


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
                yield _error(index + i, f"{path}: row {index + i + 1}", "<parquet>",
                             f"row group {group} cannot be decoded ({_one_line(exc)})")
            index += count
            continue
        for fields in rows:
            yield _row(index, f"{path}: row {index + 1}", fields, limits)
            index += 1


# --- entry points ------------------------------------------------------------------------------------


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
        rows = _read_csv(path, limits, require)
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
