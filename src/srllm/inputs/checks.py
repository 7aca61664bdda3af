"""Limits, the rules every text and field must meet, and the row and problem types of the input layer."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def make_row(index: int, location: str, fields: dict[str, Any], limits: InputLimits) -> RawRow:
    bad = value_problem(fields, limits)
    if bad is None:
        return RawRow(index, location, fields)
    name, problem = bad
    return RawRow(index, location, _clean_scalars(fields, limits), name, problem)


def error_row(index: int, location: str, field: str, problem: str) -> RawRow:
    return RawRow(index, location, {}, field, problem)
