"""The `srllm` command line: subcommands are small classes registered in one list.

Heavy imports happen inside `run()`, so `srllm --help` stays fast. Tests call `main(argv)`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from srllm import __version__
from srllm.cli.base import Command, CommandError, missing_extra
from srllm.cli.classify import Classify
from srllm.cli.data import DATA_COMMANDS
from srllm.cli.distill import DISTILL_COMMANDS
from srllm.cli.eval import EVAL_COMMANDS, HUMANEVAL_COMMANDS
from srllm.cli.export import EXPORT_COMMANDS
from srllm.cli.fuzz import FUZZ_COMMANDS
from srllm.cli.models import MODELS_COMMANDS
from srllm.cli.rewrite import REWRITE_COMMANDS
from srllm.cli.serve import SERVE_COMMANDS
from srllm.cli.train import TRAIN_COMMANDS

#: (group, commands); a group of None puts the commands at the top level.
GROUPS: list[tuple[str | None, str, list[type[Command]]]] = [
    ("data", "build, validate and describe CMD corpora", DATA_COMMANDS),
    ("train", "instruction-tune a rewriter (LoRA / QLoRA)", TRAIN_COMMANDS),
    ("eval", "evaluate rewriters and models", EVAL_COMMANDS),
    ("humaneval", "human evaluation: blind annotation sheets and their scores", HUMANEVAL_COMMANDS),
    ("fuzz", "malformed input through the commands (bounded, local)", FUZZ_COMMANDS),
    ("distill", "teacher -> verified rewrite pairs", DISTILL_COMMANDS),
    ("models", "list the known models; join the ones split over several wheels", MODELS_COMMANDS),
    (None, "", [*REWRITE_COMMANDS, Classify, *EXPORT_COMMANDS, *SERVE_COMMANDS]),
]


def version_line() -> str:
    """``srllm VERSION (commit C[, dirty])``: the checkout's commit, or the one the wheel was built from."""
    from srllm.provenance import git_commit

    git = git_commit()
    commit = git.get("commit") or "unknown"
    return f"srllm {__version__} (commit {commit}{', dirty' if git.get('dirty') else ''})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srllm", description="Safe and Responsible LLMs (SR_LLM framework).")
    parser.add_argument("--version", action="version", version=version_line())
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    for group, help_text, commands in GROUPS:
        if group is None:
            sub = groups
        else:
            sub = groups.add_parser(group, help=help_text).add_subparsers(
                dest="command", metavar="SUBCOMMAND", required=True
            )
        for command in commands:
            cmd_parser = sub.add_parser(command.name, help=command.help, description=command.help)
            command.add_arguments(cmd_parser)
            cmd_parser.set_defaults(_command=command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args._command, "accepts_overrides", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.overrides = extra
    try:
        try:
            return int(args._command().run(args) or 0)
        except ImportError as exc:
            hint = missing_extra(exc, " ".join(x for x in (args.group, getattr(args, "command", None)) if x))
            if hint is None:
                raise
            raise hint from None
    except CommandError as exc:
        print(f"srllm: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
