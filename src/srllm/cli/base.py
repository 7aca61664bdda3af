"""The shape every subcommand has."""

from __future__ import annotations

import argparse
from typing import ClassVar


class CommandError(RuntimeError):
    """An error to print as one line and exit with `exit_code` (no traceback)."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


class Command:
    name: ClassVar[str]
    help: ClassVar[str]
    #: True when the command takes free `--key value` overrides (passed as args.overrides)
    accepts_overrides: ClassVar[bool] = False

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Declare the command's flags."""

    def run(self, args: argparse.Namespace) -> int:
        raise NotImplementedError
