"""`srllm data preview`: show instruction examples exactly as the trainer sees them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from srllm.cli.base import Command, CommandError

OPEN, CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧ around the tokens that count in the loss
DIM, BOLD, RESET = "\x1b[2m", "\x1b[1m", "\x1b[0m"


class Preview(Command):
    name = "preview"
    help = (
        "render N instruction examples of a CMD file as the trainer sees them (the token sequence decoded), "
        f"with the tokens that count in the loss in {OPEN} {CLOSE}"
    )

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--input", type=Path, required=True, help="CMD file (JSONL/CSV/Parquet)")
        parser.add_argument("--n", type=int, default=3, help="number of examples (rows with a benign_variation)")
        parser.add_argument("--model", default="smollm2-135m-instruct",
                            help="model whose tokenizer (and chat template) to use: known name, folder or hub id")
        parser.add_argument("--format", choices=("auto", "llama2", "chat"), default="auto",
                            help="llama2: the paper's Llama-2 template; chat: the model's own chat template; "
                                 "auto: chat when the model has a non-Llama-2 chat template (default)")
        parser.add_argument("--max-length", type=int, default=512, help="maximum tokens per example (default 512)")
        parser.add_argument("--cache-dir", type=Path, default=None,
                            help="model cache (default: $SRLLM_CACHE, else ~/.cache/srllm)")
        parser.add_argument("--tokens", action="store_true", help="also list every token: position, id, label, text")
        parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                            help="dim the prompt and bold the loss part (auto: when stdout is a terminal)")

    def run(self, args: argparse.Namespace) -> int:
        from srllm import prompts
        from srllm.data.io import DataFileError, read_records
        from srllm.models import ModelError, load_tokenizer

        if args.n < 1:
            raise CommandError("--n must be at least 1")
        if not args.input.is_file():
            raise CommandError(f"{args.input}: no such file")
        try:
            pairs = prompts.instruction_pairs(read_records(args.input))
        except (DataFileError, ValueError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        if not pairs:
            raise CommandError(f"{args.input}: no row has a benign_variation, so there is no instruction pair", 1)
        try:
            tokenizer = load_tokenizer(args.model, args.cache_dir)
        except ModelError as exc:
            raise CommandError(str(exc)) from None
        fmt = prompts.default_format(tokenizer) if args.format == "auto" else args.format
        color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())

        shown = pairs[: args.n]
        failed = 0
        print(f"{args.input}: {len(pairs)} instruction pair(s); showing {len(shown)} in the {fmt!r} format "
              f"with the tokenizer of {args.model}, max_length {args.max_length}")
        for number, (record, variation) in enumerate(shown, 1):
            print(f"\n=== example {number} of {len(shown)}: {record.id} ===")
            try:
                prompt, completion = prompts.sft_pair(tokenizer, record.text, variation, fmt)
                example = prompts.tokenize_for_sft(tokenizer, prompt, completion, args.max_length)
            except ValueError as exc:  # SFTLengthError, control tags in the text, template problems
                failed += 1
                print(f"cannot build this example: {exc}")
                continue
            print(_render(tokenizer, example, color))
            n_loss = sum(label != prompts.IGNORE_INDEX for label in example["labels"])
            n_total = len(example["input_ids"])
            print(f"--- {n_total} tokens: {n_total - n_loss} prompt (label -100), {n_loss} in the loss "
                  f"{OPEN}{CLOSE}; max_length {args.max_length}")
            if args.tokens:
                for position, (token, label) in enumerate(zip(example["input_ids"], example["labels"])):
                    piece = tokenizer.decode([token], skip_special_tokens=False)
                    print(f"{position:5d} {token:7d} {label:7d} {piece!r}")
        return 1 if failed else 0


def _render(tokenizer, example: dict[str, list[int]], color: bool) -> str:
    from srllm.prompts import loss_spans

    out = []
    for in_loss, ids in loss_spans(example["input_ids"], example["labels"]):
        text = tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        if in_loss:
            out.append(f"{BOLD}{OPEN}{text}{CLOSE}{RESET}" if color else f"{OPEN}{text}{CLOSE}")
        else:
            out.append(f"{DIM}{text}{RESET}" if color else text)
    return "".join(out)
