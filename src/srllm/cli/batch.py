"""The file-job flags shared by `srllm classify` and `srllm rewrite`, and the one function that runs a
file job in-process (`srllm.batch`) or on Ray Data (`srllm.ray_batch`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from srllm.cli.base import CommandError
from srllm.inputs import DEFAULT_LIMITS, InputLimits


def add_batch_arguments(parser: argparse.ArgumentParser) -> None:
    """--restart, --max-chars, --no-progress and the Ray Data flags (the caller adds --input/--output)."""
    parser.add_argument("--restart", action="store_true",
                        help="discard an earlier (partial) output of --output and start fresh")
    parser.add_argument("--max-chars", type=int, default=DEFAULT_LIMITS.max_text_chars,
                        help=f"longest text in characters; longer ones get a per-row error "
                             f"(default {DEFAULT_LIMITS.max_text_chars:,})")
    if not any(a.dest == "no_progress" for a in parser._actions):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    ray = parser.add_argument_group("Ray Data (scale out: --output is then a folder of part files)")
    ray.add_argument("--ray", action="store_true", help="run on Ray Data map_batches (local or a cluster)")
    ray.add_argument("--ray-address", default=None, help="Ray cluster address (default: start a local Ray)")
    ray.add_argument("--ray-cpus", type=int, default=None, help="CPUs of the local Ray instance")
    ray.add_argument("--ray-actors", type=int, default=1, help="model replicas (Ray actors) (default 1)")
    ray.add_argument("--partition-rows", type=int, default=1000, help="rows per output part file (default 1000)")
    ray.add_argument("--output-format", choices=("parquet", "jsonl"), default="parquet",
                     help="format of the part files (default parquet)")


def limits_from(args: argparse.Namespace) -> InputLimits:
    try:
        return InputLimits(max_text_chars=args.max_chars)
    except ValueError as exc:
        raise CommandError(f"--max-chars: {exc}") from None


def run_file_job(args: argparse.Namespace, processor: Any, *, desc: str, stream: Any = None) -> int:
    """Run `processor` (a `srllm.processors` object) over --input into --output; prints the summary."""
    from srllm.batch import BatchInputError, run_batch

    if args.batch_size < 1:
        raise CommandError("--batch-size must be positive")
    limits = limits_from(args)
    try:
        if args.ray:
            from srllm.ray_batch import run_ray_batch

            summary = run_ray_batch(args.input, args.output, processor, text_field=args.text_field,
                                    batch_size=args.batch_size, partition_rows=args.partition_rows,
                                    output_format=args.output_format, concurrency=args.ray_actors,
                                    options=processor.options(), restart=args.restart, limits=limits,
                                    address=args.ray_address, num_cpus=args.ray_cpus)
        else:
            summary = run_batch(args.input, args.output, processor, text_field=args.text_field,
                                batch_size=args.batch_size, progress=not args.no_progress, desc=desc,
                                options=processor.options(), restart=args.restart, limits=limits)
    except BatchInputError as exc:
        raise CommandError(str(exc), exit_code=1) from None
    print(summary, file=stream or sys.stderr)
    return 0
