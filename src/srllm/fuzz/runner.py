"""Run the file fuzz: every case through `srllm data validate`, `srllm classify` and `srllm rewrite`.

The commands run in-process through their own argument parser and the same job function the
command line uses (`srllm.cli.batch.run_file_job`); the models load once and are shared by all
cases. Any exception that escapes is a failure with its traceback.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from srllm.cli import build_parser, main
from srllm.cli.base import CommandError
from srllm.cli.batch import run_file_job
from srllm.fuzz.files import Case, make_cases

#: the cheap rewrite: no sampled retries, short generations (benign rows are only classified)
CHEAP_REWRITE = "candidates: 0\nmax_new_tokens: 16\n"


@dataclass
class FuzzReport:
    files: int = 0
    rows: int = 0
    outcomes: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "rows": self.rows, "outcomes": dict(sorted(self.outcomes.items())),
                "kinds": len(self.kinds), "failures": self.failures[:50], "failure_count": len(self.failures),
                "seconds": round(self.seconds, 1), "ok": self.ok}


def count_output_rows(path: Path) -> list[int]:
    """The `row` indexes of an output file, read independently of the writer."""
    if path.suffix == ".jsonl":
        return [json.loads(line)["row"] for line in path.read_text(encoding="utf-8").splitlines()]
    if path.suffix == ".csv":
        csv.field_size_limit(1 << 30)
        with path.open(encoding="utf-8", newline="") as handle:
            return [int(row["row"]) for row in csv.DictReader(handle)]
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=["row"]).column("row").to_pylist()


def _captured(fn: Callable[[], int]) -> tuple[int | None, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            return fn(), out.getvalue()
        except CommandError as exc:
            return -exc.exit_code, str(exc)


def _check_job(case: Case, name: str, argv: list[str], processor: Any, output: Path, report: FuzzReport) -> None:
    args = build_parser().parse_args(argv)
    try:
        rc, text = _captured(lambda: run_file_job(args, processor, desc=name))
    except Exception:  # noqa: BLE001 - any escape is the failure this fuzz looks for
        report.failures.append(f"{case.path} [{name}] traceback:\n{traceback.format_exc()}")
        return
    if rc != 0:
        report.outcomes[f"{name}:refused"] += 1
        if case.rows is not None and not case.may_refuse:
            report.failures.append(f"{case.path} [{name}] refused a readable file: {text.strip()[:300]}")
        elif str(case.path) not in text:
            report.failures.append(f"{case.path} [{name}] refusal does not name the file: {text.strip()[:300]}")
        return
    report.outcomes[f"{name}:accepted"] += 1
    rows = count_output_rows(output)
    if case.rows is None:
        report.failures.append(f"{case.path} [{name}] accepted a file that must be refused ({len(rows)} rows)")
    elif rows != list(range(case.rows)):
        report.failures.append(f"{case.path} [{name}] {case.rows} input rows but output rows {rows[:20]}")


def _check_validate(case: Case, report: FuzzReport) -> None:
    try:
        rc, text = _captured(lambda: main(["data", "validate", str(case.path)]))
    except Exception:  # noqa: BLE001
        report.failures.append(f"{case.path} [validate] traceback:\n{traceback.format_exc()}")
        return
    report.outcomes[f"validate:rc{abs(rc or 0)}"] += 1
    if rc == 0:
        report.failures.append(f"{case.path} [validate] accepted a malformed file: {text.strip()[:300]}")
    elif str(case.path) not in text:
        report.failures.append(f"{case.path} [validate] message does not name the file: {text.strip()[:300]}")


def run_file_fuzz(n: int, folder: Path, *, seed: int = 0, rewrite: bool = True, threads: int | None = 1,
                  log: Callable[[str], None] | None = None) -> FuzzReport:
    """Make `n` malformed files in `folder` and check every command on each."""
    from srllm.processors import ClassifyProcessor, RewriteProcessor

    started = time.perf_counter()
    report = FuzzReport()
    cases = make_cases(n, folder / "inputs", seed)
    outputs = folder / "outputs"
    outputs.mkdir(parents=True, exist_ok=True)
    classify = ClassifyProcessor(threads=threads, explain=False)
    classify.load()
    rewriter = None
    if rewrite:
        config = folder / "cheap-rewrite.yaml"
        config.write_text(CHEAP_REWRITE, encoding="utf-8")
        rewrite_argv = ["rewrite", "--config", str(config), "--threads", str(threads or 1)]
        arguments = vars(build_parser().parse_args([*rewrite_argv, "--input", "x.txt", "--output", "x.jsonl"]))
        rewriter = RewriteProcessor({k: v for k, v in arguments.items() if not k.startswith("_")}, batch_size=16)
        rewriter.load()
    suffixes = (".jsonl", ".csv", ".parquet")
    for i, case in enumerate(cases):
        report.files += 1
        report.rows += case.rows or 0
        report.kinds.update(case.kinds)
        _check_validate(case, report)
        out = outputs / f"classify-{i:05d}{suffixes[i % 3]}"
        _check_job(case, "classify", ["classify", "--input", str(case.path), "--output", str(out), "--no-explain",
                                      "--no-progress", "--restart"], classify, out, report)
        if rewriter is not None:
            out = outputs / f"rewrite-{i:05d}{suffixes[(i + 1) % 3]}"
            _check_job(case, "rewrite", [*rewrite_argv, "--input", str(case.path), "--output", str(out),
                                         "--no-progress", "--restart"], rewriter, out, report)
        if log and (i + 1) % 100 == 0:
            log(f"{i + 1}/{n} files, {len(report.failures)} failures")
    report.seconds = time.perf_counter() - started
    return report
