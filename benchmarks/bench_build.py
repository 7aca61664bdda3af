"""Benchmark `srllm data build`: wall time per stage and peak memory (RSS) on this machine.

    python benchmarks/bench_build.py [--data-dir DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from srllm.data.build import BuildConfig, build_corpus
from srllm.data.registry import default_data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="srllm-bench-"))
    start = last = time.perf_counter()

    def log(message: str) -> None:
        nonlocal last
        now = time.perf_counter()
        print(f"[{now - start:6.1f}s +{now - last:5.1f}s] {message}")
        last = now

    result = build_corpus(BuildConfig(data_dir=args.data_dir or default_data_dir(), out_dir=out), log=log)
    wall = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = len(result.records)
    print(f"build: {rows} records in {wall:.1f} s ({rows / wall:.0f} records/s), peak RSS {peak_mib:.0f} MiB -> {out}")


if __name__ == "__main__":
    main()
