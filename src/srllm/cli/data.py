"""`srllm data ...`: build, validate and describe CMD corpora and the public sources."""

from __future__ import annotations

import argparse
from pathlib import Path

from srllm.cli.base import Command, CommandError
from srllm.cli.preview import Preview


def _data_dir_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of the public data sets (default: $SRLLM_DATA_DIR, else ../shared/data)",
    )


class Build(Command):
    name = "build"
    help = "assemble the CMD training corpus from the TRAIN sources, split it and check contamination"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        _data_dir_arg(parser)
        parser.add_argument("--out", type=Path, required=True, help="output folder")
        parser.add_argument("--seed", type=int, default=13, help="seed for synthetic data and the split")
        parser.add_argument("--format", choices=("jsonl", "csv", "parquet"), action="append", default=[],
                            dest="formats", help="extra file format of the splits (repeatable; JSONL is always written)")
        parser.add_argument("--cap", action="append", default=[], metavar="SOURCE=N",
                            help="keep at most N original rows without a human rewrite from SOURCE (repeatable; "
                            "default davidson=6000 paradetox=6000; SOURCE=none removes that cap)")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.data.build import DEFAULT_CAPS, BuildConfig, ContaminationError, build_corpus
        from srllm.data.registry import DataSourceError, default_data_dir

        caps = dict(DEFAULT_CAPS)
        for item in args.cap:
            source, sep, value = item.partition("=")
            if not sep or not (value.isdigit() or value == "none"):
                raise CommandError(f"--cap {item!r}: expected SOURCE=N (a row count) or SOURCE=none")
            if value == "none":
                caps.pop(source, None)
            else:
                caps[source] = int(value)
        try:
            data_dir = args.data_dir or default_data_dir()
            config = BuildConfig(data_dir=data_dir, out_dir=args.out, seed=args.seed, caps=caps,
                                 formats=tuple(dict.fromkeys(["jsonl", *args.formats])))
            result = build_corpus(config, log=print)
        except ContaminationError as exc:
            raise CommandError(str(exc), exit_code=3) from None
        except (DataSourceError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        print(result.summary())
        return 0


class Validate(Command):
    name = "validate"
    help = "check a CMD file (JSONL/CSV/Parquet) row by row; exits 1 and lists every bad row"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", type=Path)

    def run(self, args: argparse.Namespace) -> int:
        from srllm.data.io import validate_file

        if not args.file.is_file():
            raise CommandError(f"{args.file}: no such file")
        try:
            report = validate_file(args.file)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for problem in report.problems:
            print(problem)
        print(report.summary())
        return 0 if report.ok else 1


class Stats(Command):
    name = "stats"
    help = "the paper's Tables 1 and 2 for a CMD file, as Markdown and JSON, plus a PNG chart"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--out", type=Path, default=None,
                            help="folder for stats.md, stats.json and labels.png (default: beside FILE)")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.data.io import DataFileError
        from srllm.data.stats import run_stats

        try:
            result = run_stats(args.file, args.out)
        except (DataFileError, FileNotFoundError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        print(result.markdown)
        return 0


class Agree(Command):
    name = "agree"
    help = "Fleiss' kappa per category and majority-vote gold labels for a file of several annotators' labels"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="CSV/JSONL: one row per (id, annotator) with category columns")
        parser.add_argument("--out", type=Path, default=None, help="folder for agreement.json and gold labels")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.data.agreement import run_agreement

        try:
            result = run_agreement(args.file, args.out)
        except (ValueError, FileNotFoundError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        print(result.markdown)
        return 0


class Sources(Command):
    name = "sources"
    help = "list the public data sets: role, licence, upstream, and whether the local files verify"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        _data_dir_arg(parser)

    def run(self, args: argparse.Namespace) -> int:
        from srllm.data.registry import DataSourceError, default_data_dir
        from srllm.data.sources import adapters

        try:
            data_dir = args.data_dir or default_data_dir()
        except DataSourceError:
            data_dir = None
        print("| name | role | licence | files | local check | upstream |")
        print("|---|---|---|---|---|---|")
        for name, cls in adapters().items():
            status = "no data dir"
            if data_dir is not None:
                try:
                    cls(data_dir).checksums()
                    status = "ok"
                except DataSourceError as exc:
                    status = f"FAILED: {exc}"
            print(f"| {name} | {cls.spec.role} | {cls.spec.license} | {len(cls.spec.files)} | {status} | {cls.spec.homepage} |")
        return 0


class Download(Command):
    name = "download"
    help = "fetch the public data sets from their pinned upstream URLs and verify their checksums"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--data-dir", type=Path, required=True)
        parser.add_argument("names", nargs="*", help="data sets to fetch (default: all)")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.data.registry import DataSourceError, download
        from srllm.data.sources import adapter_class, names

        try:
            for name in args.names or names():
                for path in download(adapter_class(name).spec, args.data_dir):
                    print(f"ok {path}")
        except (KeyError, DataSourceError, OSError) as exc:
            raise CommandError(str(exc)) from None
        return 0


class Schema(Command):
    name = "schema"
    help = "print the JSON Schema of a CMD record"

    def run(self, args: argparse.Namespace) -> int:
        from srllm.data.schema import json_schema_text

        print(json_schema_text())
        return 0


DATA_COMMANDS: list[type[Command]] = [Build, Validate, Stats, Agree, Sources, Download, Schema, Preview]
