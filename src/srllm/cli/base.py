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


#: top-level module -> the extra that installs it (`pip install 'srllm[EXTRA]'`)
EXTRA_OF_MODULE: dict[str, str] = {
    "torch": "train", "transformers": "train", "peft": "train", "trl": "train", "accelerate": "train",
    "datasets": "train", "gguf": "train", "safetensors": "train", "sentencepiece": "train", "bitsandbytes": "train",
    "sklearn": "classify", "onnx": "classify", "onnxruntime": "classify", "onnx_ir": "classify",
    "sacrebleu": "eval", "profanity_check": "eval",
    "fastapi": "serve", "uvicorn": "serve", "httpx": "serve",
}


def missing_extra(exc: ImportError, command: str) -> CommandError | None:
    """A one-line error naming the extra that provides the module `exc` could not import (None when
    the module is not one of srllm's optional dependencies)."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(name)
    if extra is None:
        return None
    return CommandError(f"`srllm {command}` needs the {extra!r} extra (module {name} is missing): "
                        f"pip install 'srllm[{extra}]' (or 'srllm[all]')", exit_code=1)
