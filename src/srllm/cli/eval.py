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


from srllm.cli.classify import EvalClassifier  # noqa: E402

EVAL_COMMANDS: list[type[Command]] = [RewritePairs, EvalClassifier]
