"""The CSV reader: records that may span lines, unterminated quotes reported and resynchronised."""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from srllm.inputs.checks import InputFileError, InputLimits, RawRow, error_row, make_row
from srllm.inputs.lines import physical_lines


def _parse_csv(record: str, width: int | None) -> tuple[list[str] | None, str | None]:
    """(cells, None) or (None, problem) for one record; `width` is the header's cell count."""
    if width is not None and not record.strip():
        return None, f"blank line; expected {width} cell(s)"
    try:
        cells = next(csv.reader([record], strict=True), [])
    except csv.Error as exc:
        return None, f"malformed row: {exc}"
    if width is not None and len(cells) != width:
        return None, f"row has {len(cells)} cell(s), the header has {width}"
    return cells, None


class _CSVRecords:
    """(location, cells, problem) per CSV record; a quoted field may span lines. A record that spans
    lines but does not parse into the header's cells, or whose quote stays open to the end of the file
    or past the field limit, is an unterminated quote: it is reported at the line that opened it, and
    the lines after that line are read again as records of their own."""

    def __init__(self, path: Path, limits: InputLimits):
        self.path, self.limits = path, limits
        self.lines = physical_lines(path, limits)
        self.pending: deque[tuple[int, str | None, str | None]] = deque()
        self.width: int | None = None  # set once the header is read

    def _next_line(self) -> tuple[int, str | None, str | None] | None:
        return self.pending.popleft() if self.pending else next(self.lines, None)

    def _reread(self, lines: list[tuple[int, str]], *extra: tuple[int, str | None, str | None]) -> None:
        self.pending.extendleft(reversed([(n, t, None) for n, t in lines] + list(extra)))

    def __iter__(self) -> Iterator[tuple[str, list[str] | None, str | None]]:
        buf: list[tuple[int, str]] = []
        size = quotes = 0
        unterminated = "unterminated quoted field (a '\"' opened here is never closed)"
        while True:
            item = self._next_line()
            if item is None:
                if not buf:
                    return
                yield f"{self.path}:{buf[0][0]}", None, unterminated
                self._reread(buf[1:])
                buf, size, quotes = [], 0, 0
                continue
            number, text, problem = item
            if problem is not None:
                if buf:  # the record in progress cannot be completed: report it, reread what followed
                    yield f"{self.path}:{buf[0][0]}", None, f"line {number} of this quoted field: {problem}"
                    self._reread(buf[1:], item)
                    buf, size, quotes = [], 0, 0
                else:
                    yield f"{self.path}:{number}", None, problem
                continue
            buf.append((number, text))
            size += len(text) + 1
            quotes += text.count('"')
            if quotes % 2 == 0:
                cells, problem = _parse_csv("\n".join(t for _, t in buf), self.width)
                if problem is not None and len(buf) > 1:
                    yield f"{self.path}:{buf[0][0]}", None, unterminated
                    self._reread(buf[1:])
                else:
                    location = f"{self.path}:{buf[0][0]}" if len(buf) == 1 else f"{self.path}:{buf[0][0]}-{number}"
                    yield location, cells, problem
                buf, size, quotes = [], 0, 0
            elif size > self.limits.max_field_chars:
                yield f"{self.path}:{buf[0][0]}", None, (f"quoted field not closed within "
                                                        f"{self.limits.max_field_chars:,} characters (unterminated quote?)")
                self._reread(buf[1:])
                buf, size, quotes = [], 0, 0


def read_csv(path: Path, limits: InputLimits, require: str | None) -> Iterator[RawRow]:
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_field_chars + 1))
    reader = _CSVRecords(path, limits)
    records = iter(reader)
    first = next(records, None)
    if first is None:
        return
    location, header, problem = first
    if header is None:
        raise InputFileError(f"{location}: the CSV header cannot be read: {problem}")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InputFileError(f"{location}: the CSV header repeats column(s) {duplicated}")
    if require is not None and require not in header:
        raise InputFileError(f"{path}: no {require!r} column in the CSV header {header}")
    reader.width = len(header)
    for index, (location, cells, problem) in enumerate(records):
        if cells is None:
            yield error_row(index, location, "<csv>", problem or "unreadable row")
        else:
            yield make_row(index, location, dict(zip(header, cells)), limits)
