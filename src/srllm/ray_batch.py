"""`srllm classify` / `srllm rewrite` on Ray Data: the same processor (`srllm.processors`) run by
`Dataset.map_batches` on a pool of Ray actors, locally or on a cluster.

The driver reads the input through the shared input layer (so every row is checked exactly as in
the single-process path) and cuts it into partitions of `partition_rows` rows. Each partition is
written, once complete, as ``OUTPUT_DIR/part-00000.parquet`` (or ``.jsonl``) by a rename, so a
killed job leaves only whole partitions. ``OUTPUT_DIR/_srllm_job.json`` records the input's
fingerprint and the options; a rerun with the same ones skips the partitions already written, and
one with different ones is refused (``restart=True`` starts fresh). The rows, their order within a
partition and their fields are those of `srllm.batch.run_batch`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from srllm.batch import (
    BatchInputError,
    BatchSummary,
    InputRow,
    Processor,
    iter_input,
    job_key,
    output_row,
    process_rows,
)
from srllm.batch_output import write_rows
from srllm.inputs import DEFAULT_LIMITS, InputLimits, fingerprint

MANIFEST = "_srllm_job.json"
PART_FORMATS = ("parquet", "jsonl")


class _Predict:
    """A Ray Data actor: holds one processor (its models load once per actor)."""

    def __init__(self, processor: Processor):
        self.processor = processor

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        rows = [InputRow(int(r), loc, {}, text) for r, loc, text in zip(batch["row"], batch["location"], batch["text"])]
        results = process_rows(self.processor, rows)
        return {"row": [int(r) for r in batch["row"]],
                "result": [json.dumps(res, ensure_ascii=False, default=str) for res in results]}


def part_path(output_dir: Path, part: int, fmt: str) -> Path:
    return output_dir / f"part-{part:05d}.{fmt}"


def _check_manifest(output_dir: Path, key: dict[str, Any], restart: bool, fmt: str) -> None:
    manifest = output_dir / MANIFEST
    parts = sorted(output_dir.glob("part-*")) if output_dir.is_dir() else []
    if restart:
        for path in parts:
            path.unlink()
        manifest.unlink(missing_ok=True)
    elif manifest.exists():
        old = json.loads(manifest.read_text(encoding="utf-8"))
        if old != key:
            diff = [f"{section} {name}" for section in ("input", "options")
                    for name in sorted(set(old.get(section, {})) | set(key[section]))
                    if old.get(section, {}).get(name) != key[section].get(name)]
            raise BatchInputError(f"{output_dir}: holds partitions of a different input or options "
                                  f"({', '.join(diff)} differ); rerun with --restart to discard them and start fresh")
    elif parts:
        raise BatchInputError(f"{output_dir}: holds part files but no {MANIFEST}; rerun with --restart to "
                              "discard them, or choose another output folder")
    output_dir.mkdir(parents=True, exist_ok=True)
    tmp = manifest.with_name(MANIFEST + ".tmp")
    tmp.write_text(json.dumps(key, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, manifest)


def _partitions(items: Iterator[InputRow], size: int) -> Iterator[tuple[int, list[InputRow]]]:
    part, chunk = 0, []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield part, chunk
            part, chunk = part + 1, []
    if chunk:
        yield part, chunk


def _run_window(window: list[tuple[int, list[InputRow]]], processor: Processor, batch_size: int,
                concurrency: int) -> dict[int, dict[str, Any]]:
    """Results (row -> result fields) of the good rows of `window`, computed by Ray Data."""
    import ray.data

    good = [{"row": r.row, "location": r.location, "text": r.text} for _, rows in window for r in rows
            if r.error is None]
    if not good:
        return {}
    ds = ray.data.from_items(good).map_batches(
        _Predict, fn_constructor_args=(processor,), batch_size=batch_size, batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=concurrency))
    results: dict[int, dict[str, Any]] = {}
    for batch in ds.iter_batches(batch_format="numpy", batch_size=None):
        for row, result in zip(batch["row"], batch["result"]):
            results[int(row)] = json.loads(result)
    if len(results) != len(good):
        raise RuntimeError(f"Ray returned {len(results)} results for {len(good)} texts")
    return results


def run_ray_batch(
    input: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    processor: Processor,
    *,
    text_field: str = "text",
    batch_size: int = 32,
    partition_rows: int = 1000,
    window_partitions: int = 8,
    output_format: str = "parquet",
    concurrency: int = 1,
    options: dict[str, Any] | None = None,
    restart: bool = False,
    limits: InputLimits = DEFAULT_LIMITS,
    address: str | None = None,
    num_cpus: int | None = None,
) -> BatchSummary:
    """Process every row of `input` on Ray Data and write one part file per `partition_rows` rows.

    Uses the running Ray instance if there is one, else ``ray.init(address, num_cpus)``.
    `window_partitions` partitions are handed to Ray at a time (this bounds the driver's memory)."""
    import ray

    if output_format not in PART_FORMATS:
        raise BatchInputError(f"output format {output_format!r} is not one of {list(PART_FORMATS)}")
    if partition_rows < 1 or batch_size < 1 or window_partitions < 1 or concurrency < 1:
        raise BatchInputError("partition_rows, batch_size, window_partitions and concurrency must be positive")
    input, output_dir = Path(input), Path(output_dir)
    if not input.is_file():
        raise BatchInputError(f"{input}: no such input file")
    key = job_key(fingerprint(input), {**(options or {}), "partition_rows": partition_rows,
                                       "output_format": output_format}, text_field, None, limits)
    _check_manifest(output_dir, key, restart, output_format)
    if not ray.is_initialized():
        ray.init(address=address, num_cpus=num_cpus, include_dashboard=False, logging_level="warning")

    rows = processed = resumed = errors = 0
    window: list[tuple[int, list[InputRow]]] = []

    def flush() -> None:
        nonlocal processed, errors
        results = _run_window(window, processor, batch_size, concurrency)
        for part, items in window:
            out = [output_row(r, results.get(r.row), None) for r in items]
            errors += sum("error" in row for row in out)
            write_rows(out, part_path(output_dir, part, output_format))
            processed += len(items)
        window.clear()

    for part, items in _partitions(iter_input(input, text_field, limits), partition_rows):
        rows += len(items)
        if part_path(output_dir, part, output_format).exists():
            resumed += len(items)
            continue
        window.append((part, items))
        if len(window) >= window_partitions:
            flush()
    if window:
        flush()
    return BatchSummary(input, output_dir, rows, processed, resumed, errors)
