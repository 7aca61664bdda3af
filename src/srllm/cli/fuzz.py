"""`srllm fuzz files`: malformed files through `data validate`, `classify` and `rewrite`."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from srllm.cli.base import Command, CommandError


class FuzzFiles(Command):
    name = "files"
    help = ("write N malformed txt/JSONL/CSV/Parquet files and run them through data validate, classify and "
            "rewrite; exits 1 on any traceback or on output rows != input rows")

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--n", type=int, default=1000, help="number of files (default 1000)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", type=Path, default=Path("build/fuzz-files"), help="work folder (emptied first)")
        parser.add_argument("--no-rewrite", action="store_true", help="skip rewrite (no SmolLM2 load)")
        parser.add_argument("--threads", type=int, default=1)

    def run(self, args: argparse.Namespace) -> int:
        from srllm.fuzz.runner import run_file_fuzz

        if not 1 <= args.n <= 100_000:
            raise CommandError("--n must be between 1 and 100000")
        shutil.rmtree(args.out, ignore_errors=True)
        report = run_file_fuzz(args.n, args.out, seed=args.seed, rewrite=not args.no_rewrite, threads=args.threads,
                               log=lambda line: print(line, file=sys.stderr))
        print(json.dumps(report.to_dict(), indent=2))
        for failure in report.failures[:20]:
            print(failure, file=sys.stderr)
        return 0 if report.ok else 1


FUZZ_COMMANDS: list[type[Command]] = [FuzzFiles]
