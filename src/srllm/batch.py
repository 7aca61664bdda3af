"""Batch jobs over large files: read texts, process them in batches, write results incrementally,
resume after an interruption without losing or duplicating a row.

Inputs are JSONL, CSV, Parquet or plain text (``.txt``: one text per line), read by the shared
input layer (`srllm.inputs`). Every input row gets exactly one output row, in input order, carrying
its 0-based ``row`` index, the input's other fields and the processor's result fields. A row that
cannot be processed (undecodable bytes, a lone surrogate, a text over the limit, broken JSON, a
malformed CSV row, ...) is written with an ``error`` field naming the file, line, field and problem;
it is never dropped.

Progress goes to ``OUTPUT.partial.jsonl`` after every batch (flushed and fsync'd). Its first line
records the input's fingerprint (path, size, sha256) and the options that change results; a rerun
resumes only when both match (a torn last line is discarded and redone), else it stops with an error
that says to pass ``restart=True`` (``--restart``) to start fresh. When every row is done the partial
file is converted to the output's format (JSONL, CSV or Parquet) and removed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from srllm.batch_output import OUTPUT_FORMATS, output_format, write_rows
from srllm.inputs import (
    DEFAULT_LIMITS,
    INPUT_FORMATS,
    InputFileError,
    InputLimits,
    fingerprint,
    input_format,
    read_rows,
    text_problem,
)

__all__ = [
    "INPUT_FORMATS",
    "OUTPUT_FORMATS",
    "BatchInputError",
    "BatchSummary",
    "InputRow",
    "iter_input",
    "job_key",
    "output_row",
    "partial_path",
    "process_rows",
    "run_batch",
]

#: A processor takes a batch of texts and returns one flat dict of result fields per text.
Processor = Callable[[list[str]], list[dict[str, Any]]]
#: Exceptions of a processor that depend on the input: the batch is retried text by text and the
#: texts that still fail get an `error`; any other exception stops the job (the partial file stays).
INPUT_EXCEPTIONS = (ValueError, TypeError, UnicodeError)
_HEADER = "srllm_partial"
_VERSION = 2


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


def iter_input(path: str | os.PathLike[str], text_field: str = "text",
               limits: InputLimits = DEFAULT_LIMITS) -> Iterator[InputRow]:
    """Yield every row of an input file; rows that cannot be used carry an `error`."""
    try:
        fmt = input_format(path)
        for raw in read_rows(path, text_field=text_field, require=text_field if fmt in ("csv", "parquet") else None,
                             limits=limits):
            if raw.error is not None:
                yield InputRow(raw.index, raw.location, raw.fields, None, raw.error)
            elif text_field not in raw.fields:
                yield InputRow(raw.index, raw.location, raw.fields, None,
                               f"{raw.location}: {text_field}: missing; the row has fields {sorted(raw.fields)}")
            else:
                text = raw.fields[text_field]
                problem = text_problem(text, limits)
                if problem:
                    yield InputRow(raw.index, raw.location, raw.fields, None, f"{raw.location}: {text_field}: {problem}")
                else:
                    yield InputRow(raw.index, raw.location, raw.fields, text)
    except InputFileError as exc:
        raise BatchInputError(str(exc)) from None


def partial_path(output: Path) -> Path:
    return output.with_name(output.name + ".partial.jsonl")


def job_key(print_: dict[str, Any], options: dict[str, Any] | None, text_field: str,
            keep_fields: Sequence[str] | None, limits: InputLimits) -> dict[str, Any]:
    """What a partial result must match to be resumed: the input's fingerprint and the options."""
    opts = {"text_field": text_field, "keep_fields": list(keep_fields) if keep_fields is not None else None,
            "limits": asdict(limits), **(options or {})}
    key = {"input": {k: print_[k] for k in ("path", "size", "sha256")}, "options": opts}
    return json.loads(json.dumps(key, default=str, sort_keys=True))


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    for section in ("input", "options"):
        a, b = old.get(section) or {}, new.get(section) or {}
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                out.append(f"{section} {name}: {a.get(name)!r} then, {b.get(name)!r} now")
    return out


def _open_partial(partial: Path, key: dict[str, Any]) -> int:
    """Rows already done in a partial file whose header matches `key`; a new partial file (header
    only) when there is none. A torn last line is truncated so appends stay valid."""
    if partial.exists():
        with partial.open("rb") as handle:
            first = handle.readline()
        if first.endswith(b"\n"):  # a header torn by a kill means no row was written yet
            try:
                header = json.loads(first).get(_HEADER)
            except (json.JSONDecodeError, AttributeError):
                header = None
            if not isinstance(header, dict) or header.get("version") != _VERSION:
                raise BatchInputError(f"{partial}: not a partial result of this version of srllm; "
                                      "rerun with --restart to discard it and start fresh")
            diff = _differences(header, key)
            if diff:
                raise BatchInputError(f"{partial}: was written for a different input or options ({'; '.join(diff)}); "
                                      "rerun with --restart to discard it and start fresh")
            return _count_rows(partial, len(first))
    with partial.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps({_HEADER: {"version": _VERSION, **key}}, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return 0


def _count_rows(partial: Path, header_bytes: int) -> int:
    done, good_bytes = 0, header_bytes
    with partial.open("rb") as handle:
        handle.seek(header_bytes)
        for line in handle:
            if not line.endswith(b"\n"):
                break
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                break
            if row.get("row") != done:
                raise BatchInputError(f"{partial}: line {done + 2} holds row {row.get('row')}, expected {done}; "
                                      "rerun with --restart to discard it and start fresh")
            done += 1
            good_bytes += len(line)
    if good_bytes != partial.stat().st_size:
        with partial.open("r+b") as handle:
            handle.truncate(good_bytes)
    return done


def _partial_rows(partial: Path) -> Iterator[dict[str, Any]]:
    with partial.open(encoding="utf-8") as handle:
        next(handle)  # the header
        for line in handle:
            yield json.loads(line)


def _estimate_rows(input: Path, lines: int) -> int | None:
    """The progress bar's total: exact for Parquet, the line count for text and JSONL, an upper
    bound for CSV (a quoted field may span lines)."""
    fmt = INPUT_FORMATS.get(input.suffix.lower())
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(input).metadata.num_rows
        except (OSError, pa.ArrowException):  # an unreadable file is reported by the reader
            return None
    with input.open("rb") as handle:
        handle.seek(max(0, input.stat().st_size - 1))
        last = handle.read(1)
    total = lines + (1 if last and last != b"\n" else 0)
    return max(0, total - 1) if fmt == "csv" else total


def process_rows(process: Processor, rows: list[InputRow]) -> list[dict[str, Any]]:
    """Results for `rows`; on an input-dependent exception, text by text (failures become errors)."""
    try:
        results = process([r.text for r in rows])
    except INPUT_EXCEPTIONS:
        if len(rows) == 1:
            raise
        results = []
        for r in rows:
            try:
                results.extend(process([r.text]))
            except INPUT_EXCEPTIONS as exc:
                results.append({"error": f"{r.location}: processing failed: {type(exc).__name__}: {exc}"})
    if len(results) != len(rows):
        raise RuntimeError(f"processor returned {len(results)} results for {len(rows)} texts")
    return results


def output_row(item: InputRow, result: dict[str, Any] | None, keep_fields: Sequence[str] | None) -> dict[str, Any]:
    """The output row of one input row: its index, its fields (an input field named ``row`` is kept as
    ``input_row``), then the result fields or the error."""
    fields = item.fields if keep_fields is None else {k: item.fields.get(k) for k in keep_fields}
    out: dict[str, Any] = {"row": item.row}
    for key, value in fields.items():
        out["input_row" if key == "row" else key] = value
    if item.error is not None:
        out["error"] = item.error
    else:
        out.update(result or {})
    return out


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
    options: dict[str, Any] | None = None,
    restart: bool = False,
    limits: InputLimits = DEFAULT_LIMITS,
) -> BatchSummary:
    """Run `process` over every text of `input` and write one result row per input row to `output`.

    `options` are the settings that change results (model, thresholds, ...): a partial result is
    resumed only when they and the input's fingerprint match. `restart` discards an earlier output
    or partial result. `keep_fields` limits which input fields are copied (default: all); result
    fields override input fields of the same name.
    """
    input, output = Path(input), Path(output)
    if output_format(output) is None:
        raise BatchInputError(f"{output}: unsupported output format {output.suffix!r}; expected one of {sorted(OUTPUT_FORMATS)}")
    partial = partial_path(output)
    if restart:
        for path in (output, partial):
            path.unlink(missing_ok=True)
    if output.exists() and not partial.exists():
        raise BatchInputError(f"{output}: already exists and has no partial file to resume; "
                              "rerun with --restart to overwrite it, or choose another output")
    if not input.is_file():
        raise BatchInputError(f"{input}: no such input file")
    print_ = fingerprint(input)
    key = job_key(print_, options, text_field, keep_fields, limits)
    output.parent.mkdir(parents=True, exist_ok=True)
    resumed = _open_partial(partial, key)
    rows = processed = errors = 0

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc=desc, unit="row", initial=resumed, total=_estimate_rows(input, print_["lines"]))

    try:
        with partial.open("a", encoding="utf-8") as sink:
            pending: list[InputRow] = []

            def flush() -> None:
                nonlocal processed, errors
                good = [r for r in pending if r.error is None]
                by_row = dict(zip((r.row for r in good), process_rows(process, good) if good else []))
                for r in pending:
                    out = output_row(r, by_row.get(r.row), keep_fields)
                    errors += "error" in out
                    sink.write(json.dumps(out, ensure_ascii=False, default=str) + "\n")
                sink.flush()
                os.fsync(sink.fileno())
                processed += len(pending)
                if bar is not None:
                    bar.update(len(pending))
                pending.clear()

            for item in iter_input(input, text_field, limits):
                rows += 1
                if item.row < resumed:
                    continue
                pending.append(item)
                if len(pending) >= batch_size:
                    flush()
            if pending:
                flush()
    except BatchInputError:
        if resumed == 0 and processed == 0:
            partial.unlink(missing_ok=True)
        raise
    finally:
        if bar is not None:
            bar.close()
    if resumed > rows:
        raise BatchInputError(f"{partial}: holds {resumed} rows but {input} has only {rows}; "
                              "rerun with --restart to start fresh")
    write_rows(_partial_rows(partial), output)
    partial.unlink()
    return BatchSummary(input, output, rows, processed, resumed, errors)
