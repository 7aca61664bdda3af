"""`srllm rewrite`: the safety intervention on one text or on a file of texts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from srllm.cli.base import Command, CommandError
from srllm.cli.batch import add_batch_arguments, run_file_job

#: --backend -> Rewriter.load(quantize=...) for a plain transformers Rewriter (None: no --backend given, fp32)
BACKENDS = {None: None, "transformers": None, "transformers-int8": "int8"}
MODEL_DEFAULTS = {"encoder": "minilm-l6-v2"}


def add_pipeline_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that build a pipeline (shared with `srllm eval rewrite`)."""
    parser.add_argument("--config", type=Path, default=None,
                        help="YAML file of pipeline settings, tiers and models (model, adapter, classifier, encoder, "
                             "backend); flags override it")
    parser.add_argument("--quality", default=None, metavar="TIER",
                        help="the tier tried first: fast (the shipped student adapter) or best (the 1.5B model, "
                             "few-shot); a text no rewrite of a tier passes escalates to the next tier (default fast)")
    parser.add_argument("--adapter", default=None, help="LoRA adapter folder of the first tier (default: the tier's)")
    parser.add_argument("--model", default=None, help="base model of the first tier (default: the tier's)")
    parser.add_argument("--classifier", default=None, help="classifier folder (default: the shipped one)")
    parser.add_argument("--encoder", default="minilm-l6-v2", help="sentence encoder for similarity")
    parser.add_argument("--rewrite-benign", action="store_true", default=None, help="rewrite text judged benign too")
    parser.add_argument("--min-similarity", type=float, default=None, help="least similarity to the input (0.6)")
    parser.add_argument("--candidates", type=int, default=None, help="sampled retries when the greedy rewrite fails (3)")
    parser.add_argument("--fallback", choices=("mask", "remove"), default=None, help="conservative edit (mask)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the sampled retries (0)")
    parser.add_argument("--backend", default=None,
                        help="generation backend of the first tier: transformers (fp32), transformers-int8 "
                             "(dynamic int8, CPU), or another registered one (default: the tier's)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the cores allowed)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="model cache (default $SRLLM_CACHE)")


def pipeline_config(args: argparse.Namespace) -> Any:
    """The PipelineConfig from --config and the flags; errors name the bad setting."""
    from srllm.rewrite import PipelineConfig
    from srllm.rewrite.config import read_pipeline_file

    data: dict[str, Any] = {}
    if args.config is not None:
        try:
            config, models = read_pipeline_file(args.config)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for key, value in models.items():  # which models: a flag given on the command line wins
            if getattr(args, key, None) in (None, MODEL_DEFAULTS.get(key)):
                setattr(args, key, value)
        data.update(config.to_dict())
    from srllm.rewrite.tiers import backends

    if getattr(args, "backend", None) is not None and args.backend not in backends():
        raise CommandError(f"{args.config or '--backend'}: backend {args.backend!r} is not one of {backends()}")
    for key in ("rewrite_benign", "min_similarity", "candidates", "fallback", "seed", "quality"):
        if getattr(args, key, None) is not None:
            data[key] = getattr(args, key)
    try:
        return PipelineConfig.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise CommandError(f"{args.config or 'flags'}: {exc}") from None


def load_pipeline(args: argparse.Namespace, batch_size: int = 16) -> Any:
    from srllm.models import ModelError
    from srllm.rewrite import SafetyPipeline, TierUnavailableError
    from srllm.rewrite.assets import AssetMissingError

    config = pipeline_config(args)
    try:
        return SafetyPipeline.load(config, classifier=args.classifier, model=args.model, adapter=args.adapter,
                                   backend=args.backend, encoder=args.encoder, cache_dir=args.cache_dir,
                                   threads=args.threads, batch_size=batch_size)
    except (AssetMissingError, ModelError, TierUnavailableError, FileNotFoundError, ValueError, ImportError) as exc:
        raise CommandError(str(exc), exit_code=1) from None


def highlight(text: str, spans: list[Any], color: bool) -> str:
    """`text` with each flagged span marked: bold red on a terminal, else [brackets]."""
    out, at = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < at:
            continue
        word = text[span.start : span.end]
        out += [text[at : span.start], f"\033[1;31m{word}\033[0m" if color else f"[{word}]"]
        at = span.end
    return "".join(out + [text[at:]])


def _risk_line(risk: dict[str, Any] | None) -> str:
    if risk is None:
        return "-"
    verdict = "UNSAFE" if risk["unsafe"] else "benign"
    labels = " · ".join(f"{k} {v}" for k, v in risk["labels"].items())
    return f"{verdict} (unsafe score {risk['unsafe_score']:.2f}) — {labels}"


def format_result(result: Any, color: bool = False) -> str:
    """A readable report of one `RewriteResult`."""
    lines = [f"input     : {result.input}", f"risk      : {_risk_line(result.risk_before)}"]
    if result.spans:
        lines.append(f"flagged   : {highlight(result.input, result.spans, color)}")
    how = f" ({result.tier} tier)" if result.tier else f" ({result.fallback})" if result.fallback else ""
    lines.append(f"decision  : {result.decision}{how} — {'; '.join(r for r in result.reasons if r)}")
    if result.fallback == "unchanged" and result.output == result.input:
        lines.append("rewrite   : none passed; the text is returned unchanged (the caller decides)")
    elif result.decision != "kept":
        lines.append(f"rewrite   : {result.output}")
        sim = f" · similarity {result.similarity:.2f}" if result.similarity is not None else ""
        after = _risk_line(result.risk_after) if result.risk_after else "nothing of the text kept to score"
        lines.append(f"after     : {after}{sim}")
    for warning in result.warnings:
        lines.append(f"note      : {warning}")
    lines.append(f"time      : {result.timings.get('total_s', 0.0):.2f} s")
    return "\n".join(lines)


class Rewrite(Command):
    name = "rewrite"
    help = ("detect unsafe text and rewrite it into a benign variation that keeps the meaning "
            "(re-scored, retried, or conservatively masked)")

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("texts", nargs="*", default=[], metavar="text",
                            help="one or more texts (or use --input FILE, or '-' for stdin)")
        parser.add_argument("--input-lines", type=Path, default=None, metavar="FILE",
                            help="a text file whose lines are rewritten and printed like texts given as arguments")
        parser.add_argument("--json", action="store_true", help="print the full result as JSON")
        parser.add_argument("--input", type=Path, default=None, help="JSONL/CSV/Parquet/.txt file of texts")
        parser.add_argument("--output", type=Path, default=None, help="JSONL/CSV/Parquet output (resumable)")
        parser.add_argument("--text-field", default="text", help="the input's text column (default text)")
        parser.add_argument("--batch-size", type=int, default=16, help="texts per generation batch (default 16)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        add_batch_arguments(parser)
        add_pipeline_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        if args.batch_size < 1:
            raise CommandError("--batch-size must be positive")
        given = [bool(args.texts), args.input is not None, args.input_lines is not None]
        if sum(given) != 1:
            raise CommandError("give texts, or --input-lines FILE, or --input FILE (with --output FILE)")
        if args.input is not None:
            return self._batch(args)
        if args.input_lines is not None:
            if not args.input_lines.is_file():
                raise CommandError(f"{args.input_lines}: no such file")
            texts = [line for line in args.input_lines.read_text(encoding="utf-8").splitlines() if line.strip()]
        else:
            texts = [sys.stdin.read() if t == "-" else t for t in args.texts]
        pipeline_config(args)  # config errors before any model loads
        pipe = load_pipeline(args, args.batch_size)
        from srllm.rewrite import InputError

        try:
            results = pipe.run_many(texts)
        except InputError as exc:
            raise CommandError(str(exc)) from None
        for result in results:
            if args.json:
                print(json.dumps(result.to_dict(), ensure_ascii=False, indent=None if len(results) > 1 else 2))
            else:
                print(format_result(result, color=sys.stdout.isatty()) + ("\n" if len(results) > 1 else ""))
        return 0

    def _batch(self, args: argparse.Namespace) -> int:
        from srllm.batch import BatchInputError, iter_input
        from srllm.cli.batch import limits_from
        from srllm.processors import RewriteProcessor

        if args.output is None:
            raise CommandError("--input needs --output FILE (.jsonl, .csv or .parquet)")
        pipeline_config(args)
        try:
            next(iter(iter_input(args.input, args.text_field, limits_from(args))), None)  # file errors before models load
        except BatchInputError as exc:
            raise CommandError(str(exc)) from None
        arguments = {k: v for k, v in vars(args).items() if not k.startswith("_") and k != "overrides"}
        processor = RewriteProcessor(arguments, args.batch_size)
        if not args.ray:
            processor.load()
        return run_file_job(args, processor, desc="rewrite", stream=sys.stdout)


REWRITE_COMMANDS: list[type[Command]] = [Rewrite]
