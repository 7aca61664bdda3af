"""`srllm export`: merge a LoRA adapter into its base model and save a standalone model folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from srllm.cli.base import Command, CommandError


class Export(Command):
    name = "export"
    help = "merge a LoRA adapter into its base model and save a standalone model folder (optionally a GGUF too)"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("adapter_dir", type=Path, metavar="ADAPTER_DIR", help="peft LoRA adapter folder")
        parser.add_argument("--out", type=Path, required=True, help="folder for the merged model")
        parser.add_argument("--base-model", default=None,
                            help="base model (srllm name, folder, .gguf or hub id); default: the adapter's "
                                 "srllm_run.json 'model', else adapter_config.json's base_model_name_or_path")
        parser.add_argument("--cache-dir", type=Path, default=None,
                            help="model cache (default: $SRLLM_CACHE, else ~/.cache/srllm)")
        parser.add_argument("--overwrite", action="store_true", help="replace --out when it exists")
        parser.add_argument("--gguf", action="store_true",
                            help="also write OUT/model-<type>.gguf for llama.cpp (Llama-architecture models whose "
                                 "base came from a GGUF, e.g. smollm2-135m-instruct)")
        parser.add_argument("--gguf-type", choices=("f16", "f32"), default="f16", help="GGUF weight type (default f16)")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.export import ExportError, merge_adapter, write_gguf

        try:
            out = merge_adapter(args.adapter_dir, args.out, base_model=args.base_model, cache_dir=args.cache_dir,
                                overwrite=args.overwrite)
            print(f"merged model: {out}")
            if args.gguf:
                gguf = write_gguf(out, out / f"model-{args.gguf_type}.gguf", out_type=args.gguf_type,
                                  cache_dir=args.cache_dir)
                print(f"gguf: {gguf}")
        except ExportError as exc:
            raise CommandError(str(exc), exit_code=1) from None
        return 0


EXPORT_COMMANDS: list[type[Command]] = [Export]
