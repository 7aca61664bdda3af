"""`srllm eval ...`: evaluate rewriters."""

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
            from srllm.generate import Rewriter

            from srllm.cli.rewrite import BACKENDS

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

EVAL_COMMANDS: list[type[Command]] = [RewritePairs, RewriteSafety, EvalClassifier]
