"""`srllm eval ...`: evaluate rewriters and models (the benchmark suite), compare runs;
`srllm humaneval ...`: blind annotation sheets and their scores."""

from __future__ import annotations

import argparse
from pathlib import Path

from srllm.cli.base import Command, CommandError


class RewritePairs(Command):
    name = "rewrite-pairs"
    help = ("rewrite held-out test pairs with each system and score them against the references "
            "(chrF, embedding similarity, copy rate, bootstrap CIs, paired tests)")

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--test", type=Path, required=True, help="CMD test split (JSONL/CSV/Parquet)")
        parser.add_argument("--n", type=int, default=200, help="pairs to sample, stratified by source (default 200)")
        parser.add_argument("--seed", type=int, default=0, help="seed of the sample and the bootstrap")
        parser.add_argument("--model", default=None,
                            help="base model of zero-shot / few-shot (default smollm2-135m-instruct; an adapter "
                                 "defaults to the model it was trained on)")
        parser.add_argument("--adapter", action="append", default=[], dest="adapters", metavar="DIR",
                            help="a trained LoRA adapter folder (repeatable)")
        parser.add_argument("--systems", default=None,
                            help="comma-separated: zero-shot,few-shot,adapter,copy-input,reference "
                                 "(default: all; adapter only with --adapter). copy-input and reference are "
                                 "always measured")
        parser.add_argument("--format", choices=("auto", "chat", "llama2"), default="auto",
                            help="prompt format (auto: the adapter's, else the tokenizer's default)")
        parser.add_argument("--out", type=Path, default=Path("runs/eval/rewrite-pairs"),
                            help="folder for rewrite_pairs.{json,md,items.jsonl}")
        parser.add_argument("--batch-size", type=int, default=16)
        parser.add_argument("--max-new-tokens", type=int, default=64)
        parser.add_argument("--encoder", default="minilm-l6-v2", help="sentence encoder for similarity ('none' to skip)")
        parser.add_argument("--threads", type=int, default=None,
                            help="torch CPU threads for generation (default: the cores this process may use)")
        parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
        parser.add_argument("--cache-dir", type=Path, default=None, help="model cache (default $SRLLM_CACHE)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.data.io import DataFileError
        from srllm.eval.rewrite_pairs import evaluate_rewrites, parse_systems
        from srllm.models import ModelError

        if not args.test.is_file():
            raise CommandError(f"{args.test}: no such file")
        if args.n < 1 or args.batch_size < 1 or args.max_new_tokens < 1 or args.resamples < 1:
            raise CommandError("--n, --batch-size, --max-new-tokens and --resamples must be positive")
        for adapter in args.adapters:
            if not (Path(adapter) / "adapter_config.json").is_file():
                raise CommandError(f"{adapter}: not a peft adapter folder (no adapter_config.json)")
        try:
            systems = parse_systems(args.systems, args.adapters)
            result = evaluate_rewrites(
                args.test, systems, n=args.n, seed=args.seed, model=args.model, adapters=args.adapters,
                cache_dir=args.cache_dir, batch_size=args.batch_size, max_new_tokens=args.max_new_tokens,
                format=args.format, threads=args.threads, encoder=None if args.encoder.lower() == "none" else args.encoder,
                resamples=args.resamples, out_dir=args.out, progress=not args.no_progress, log=print,
            )
        except (DataFileError, ModelError, ValueError, FileNotFoundError, ImportError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        print(result.markdown())
        print(f"wrote {result.paths['json']}, {result.paths['markdown']} and {result.paths['items']}")
        return 0


class RewriteSafety(Command):
    name = "rewrite"
    help = ("evaluate the safety pipeline on held-out ParaDetox rows and the ToxiGen hate rows, side by side with "
            "copy-input, delete-flagged, zero-shot and MBIAS (unsafe rates, STA, SIM, FL, J, bootstrap CIs)")

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        from srllm.cli.rewrite import add_pipeline_arguments

        parser.add_argument("--test", type=Path, default=None, help="corpus test split (build/corpus/test.jsonl)")
        parser.add_argument("--data-dir", type=Path, default=None, help="raw data (default $SRLLM_DATA_DIR)")
        parser.add_argument("--sets", default="paradetox,toxigen", help="comma-separated: paradetox,toxigen")
        parser.add_argument("--systems", default=None,
                            help="comma-separated: srllm,copy-input,delete-flagged,zero-shot,mbias,reference (default all)")
        parser.add_argument("--n", type=int, default=200, help="ParaDetox rows to sample (default 200)")
        parser.add_argument("--n-toxigen", type=int, default=None, help="ToxiGen hate rows to sample (default all 406)")
        parser.add_argument("--eval-seed", type=int, default=0, help="seed of the samples and the bootstrap")
        parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
        parser.add_argument("--batch-size", type=int, default=16)
        parser.add_argument("--out", type=Path, default=Path("runs/eval/rewrite"), help="folder for rewrite_safety.*")
        add_pipeline_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        from srllm.cli.rewrite import load_pipeline
        from srllm.data.io import DataFileError
        from srllm.eval.rewrite_safety import SETS, SYSTEMS, evaluate_safety

        sets = [s.strip() for s in args.sets.split(",") if s.strip()]
        systems = [s.strip() for s in args.systems.split(",") if s.strip()] if args.systems else list(SYSTEMS)
        bad = [s for s in sets if s not in SETS] + [s for s in systems if s not in SYSTEMS]
        if bad:
            raise CommandError(f"unknown set(s)/system(s) {bad}; sets: {list(SETS)}, systems: {list(SYSTEMS)}")
        if "paradetox" in sets and (args.test is None or not args.test.is_file()):
            raise CommandError(f"{args.test}: the paradetox set needs the corpus test split (--test FILE)")
        if min(args.n, args.n_toxigen or 1, args.batch_size, args.resamples) < 1:
            raise CommandError("--n, --n-toxigen, --batch-size and --resamples must be positive")
        pipeline = load_pipeline(args, args.batch_size)
        zero_shot = None
        if "zero-shot" in systems:
            from srllm.cli.rewrite import BACKENDS
            from srllm.generate import Rewriter

            zero_shot = Rewriter.load(args.model, cache_dir=args.cache_dir, threads=args.threads,
                                      batch_size=args.batch_size, max_new_tokens=pipeline.config.max_new_tokens,
                                      quantize=BACKENDS[args.backend])
        try:
            result = evaluate_safety(pipeline, test_file=args.test, data_dir=args.data_dir, sets=sets, systems=systems,
                                     zero_shot=zero_shot, n=args.n, n_toxigen=args.n_toxigen, seed=args.eval_seed,
                                     resamples=args.resamples, out_dir=args.out, log=print)
        except (DataFileError, ValueError, FileNotFoundError, KeyError, ImportError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        print(result.markdown())
        print(f"wrote {result.paths['json']}, {result.paths['markdown']} and {result.paths['items']}")
        return 0


from srllm.cli.classify import EvalClassifier  # noqa: E402


class Run(Command):
    name = "run"
    help = "run an evaluation suite (default: the paper's) and write a run folder with results, report and plots"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--suite", default="paper", help="a shipped suite (configs/eval-<suite>.yaml; default paper)")
        parser.add_argument("--config", type=Path, default=None, help="a suite YAML file (overrides --suite)")
        parser.add_argument("--model", action="append", default=None, dest="models", metavar="NAME",
                            help="model to evaluate (repeatable; default: the suite's, smollm2-135m-instruct)")
        parser.add_argument("--intervention", default=None,
                            help="none | srllm | identity | delete-flagged | module:function (default: the suite's)")
        parser.add_argument("--scorer", default=None,
                            help="srllm | srllm:DIR (the classifier in DIR) | profanity-vader | perspective | openai-moderation "
                                 "(default: the suite's)")
        parser.add_argument("--judge", action="append", default=None, dest="judges", metavar="NAME",
                            help="who scores the intervention's outputs (repeatable or comma-separated): judge-classifier, "
                                 "profanity-vader, perspective, openai-moderation, llm, srllm; default auto: every "
                                 "independent judge available, never the classifier the intervention consults")
        parser.add_argument("--benchmarks", default=None,
                            help="comma-separated benchmarks to run: a subset of the suite's, or any registered one "
                                 "(rewrite-pairs, rewrite-safety, classifier, ...) with its default options")
        parser.add_argument("--benchmark-file", action="append", default=[], type=Path,
                            help="a Python file defining extra Benchmark classes (repeatable)")
        parser.add_argument("--option", action="append", default=[], metavar="BENCH.KEY=VALUE",
                            help="set a benchmark option, e.g. cmd-test.test_file=build/corpus/test.jsonl (repeatable)")
        parser.add_argument("--limit", type=int, default=None, help="at most this many items per benchmark (quick run)")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
        parser.add_argument("--data-dir", type=Path, default=None, help="data folder (default $SRLLM_DATA_DIR / ../shared/data)")
        parser.add_argument("--out", type=Path, default=None, help="run folder (default runs/eval/<suite>-<time>)")
        parser.add_argument("--no-progress", action="store_true")

    def run(self, args: argparse.Namespace) -> int:
        import time

        import yaml

        from srllm.eval.interventions import InterventionError
        from srllm.eval.registry import BenchmarkError, load_benchmark_file
        from srllm.eval.scorers import ScorerError
        from srllm.eval.suite import SuiteConfig, builtin_suite, parse_names, run_suite

        try:
            for path in args.benchmark_file:
                load_benchmark_file(path)
            path = args.config or builtin_suite(args.suite)
            overrides = {"models": args.models, "intervention": args.intervention, "scorer": args.scorer,
                         "limit": args.limit, "seed": args.seed, "judges": args.judges, "batch_size": args.batch_size, "threads": args.threads,
                         "benchmark_files": [str(p) for p in args.benchmark_file] or None}
            config = SuiteConfig.from_yaml(path, **overrides)
            subset = parse_names(args.benchmarks)
            if subset:  # a registered benchmark outside the suite joins it with its default options
                from srllm.eval.registry import get_benchmark

                for name in subset:
                    get_benchmark(name)  # unknown -> "did you mean"
                config.benchmarks = {b: config.benchmarks.get(b, {}) for b in subset}
            for option in args.option:
                key, sep, value = option.partition("=")
                bench, dot, field = key.partition(".")
                if not sep or not dot or not field:
                    raise BenchmarkError(f"--option {option!r}: expected BENCHMARK.KEY=VALUE")
                if bench not in config.benchmarks:
                    raise BenchmarkError(f"--option {option!r}: {bench!r} is not in suite {config.name!r}")
                config.benchmarks[bench][field] = yaml.safe_load(value)
                config.check_options(bench)
            out = args.out or Path("runs/eval") / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"
            data = run_suite(config, out, data_dir=args.data_dir, progress=not args.no_progress, log=print)
        except (BenchmarkError, ScorerError, InterventionError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        print(f"wrote {out}/results.json, {out}/report.md and {out}/plots/ in {data['wall_s']:.0f} s")
        return 1 if data["errors"] else 0


class BuildJudge(Command):
    name = "build-judge"
    help = ("train the independent judge classifier on a disjoint half of the TRAIN sources and ship it with its "
            "model card (what `make judge` runs); --key value overrides the recipe")
    accepts_overrides = True

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--config", type=Path, default=Path("configs/judge-classifier.yaml"))

    def run(self, args: argparse.Namespace) -> int:
        from srllm.data.io import DataFileError
        from srllm.eval.judge_build import JudgeBuildError, build_judge
        from srllm.train.config import ConfigError

        if not args.config.is_file():
            raise CommandError(f"{args.config}: no such judge config")
        try:
            build_judge(args.config, args.overrides)
        except (JudgeBuildError, ConfigError, DataFileError, FileNotFoundError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        return 0


class Compare(Command):
    name = "compare"
    help = "put two run folders side by side, with significance tests on the items"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("run_a", type=Path)
        parser.add_argument("run_b", type=Path)
        parser.add_argument("--out", type=Path, default=None, help="write the comparison (Markdown + JSON) here")

    def run(self, args: argparse.Namespace) -> int:
        import json

        from srllm.eval.compare import compare_markdown, compare_runs
        from srllm.eval.registry import BenchmarkError

        try:
            result = compare_runs(args.run_a, args.run_b)
        except BenchmarkError as exc:
            raise CommandError(str(exc), exit_code=1) from None
        text = compare_markdown(result)
        print(text)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "compare.md").write_text(text, encoding="utf-8")
            (args.out / "compare.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
        return 0


class List(Command):
    name = "list"
    help = "list the registered benchmarks with their version, needs, metrics and default sizes"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--benchmark-file", action="append", default=[], type=Path)

    def run(self, args: argparse.Namespace) -> int:
        from srllm.eval.registry import BenchmarkError, get_benchmark, load_benchmark_file, names

        try:
            for path in args.benchmark_file:
                load_benchmark_file(path)
        except BenchmarkError as exc:
            raise CommandError(str(exc), exit_code=1) from None
        for name in names():
            d = get_benchmark(name).describe()
            metrics = ", ".join(f"{m}{' (ideal %g)' % d['ideal'][m] if h is None else ' (higher better)' if h else ' (lower better)'}"
                                for m, h in d["metrics"].items())
            print(f"{name} v{d['version']}: {d['description']}\n  needs {', '.join(d['needs'])}; default n "
                  f"{d['default_n'] or 'all'}, seed {d['seed']}; data {', '.join(d['datasets']) or '-'}\n  metrics: {metrics}")
            if d["options"]:
                print("  options: " + "; ".join(f"{o['name']} ({o['type']}, default {o['default']!r}): {o['help']}"
                                                for o in d["options"]))
        return 0


class HumanExport(Command):
    name = "export"
    help = "write blind, shuffled annotation sheets (safety and language 1-5) of the outputs in run folders"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("runs", type=Path, nargs="+", help="run folders of `srllm eval run`")
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--annotators", type=int, default=3)
        parser.add_argument("--n", type=int, default=100, help="outputs per system")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--benchmarks", default=None, help="comma-separated benchmarks to draw from")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.eval.humaneval import SheetError, export_sheets
        from srllm.eval.registry import BenchmarkError
        from srllm.eval.suite import parse_names

        try:
            info = export_sheets(args.runs, args.out, args.annotators, args.n, args.seed, parse_names(args.benchmarks))
        except (SheetError, BenchmarkError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        print(f"{info['items']} outputs of {', '.join(info['systems'])}: {len(info['sheets'])} sheets in {args.out} "
              f"(keep {info['key'].name} from the annotators)")
        return 0


class HumanScore(Command):
    name = "score"
    help = "aggregate filled annotation sheets: mean scores, one-sample t-tests, inter-rater agreement"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("sheets", type=Path, nargs="+", help="filled sheet CSVs (one per annotator)")
        parser.add_argument("--key", type=Path, required=True, help="key.csv written by `srllm humaneval export`")
        parser.add_argument("--out", type=Path, default=None, help="write humaneval.json and humaneval.md here")

    def run(self, args: argparse.Namespace) -> int:
        import json

        from srllm.eval.humaneval import SheetError, score_markdown, score_sheets

        try:
            result = score_sheets(args.key, args.sheets)
        except SheetError as exc:
            raise CommandError(str(exc), exit_code=1) from None
        text = score_markdown(result)
        print(text)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "humaneval.md").write_text(text, encoding="utf-8")
            (args.out / "humaneval.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
        return 0


EVAL_COMMANDS: list[type[Command]] = [RewritePairs, RewriteSafety, EvalClassifier, Run, Compare, List, BuildJudge]
HUMANEVAL_COMMANDS: list[type[Command]] = [HumanExport, HumanScore]
