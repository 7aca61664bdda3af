"""Where the shipped defaults live: the rewriter adapter and the risk classifier in srllm/assets."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

ADAPTER_DIR = "rewriter-smollm2-135m"
ADAPTER_ENV = "SRLLM_REWRITER_ADAPTER"


class AssetMissingError(FileNotFoundError):
    """A shipped model that is not in this installation; the message says how to get it."""


def default_adapter() -> Path:
    """The shipped rewriter adapter (``$SRLLM_REWRITER_ADAPTER`` overrides it)."""
    path = Path(os.environ.get(ADAPTER_ENV) or str(resources.files("srllm") / "assets" / ADAPTER_DIR))
    if not (path / "adapter_config.json").is_file():
        raise AssetMissingError(f"{path}: the shipped rewriter adapter is missing (no adapter_config.json); "
                                "train and package it with `make rewriter`, or pass --adapter DIR")
    return path


def adapter_available() -> bool:
    try:
        default_adapter()
    except AssetMissingError:
        return False
    return True


def load_default_classifier(path: str | os.PathLike[str] | None = None, **kwargs: Any) -> Any:
    """The shipped risk classifier (or the one in `path`), with a clear error when it is missing."""
    try:
        from srllm.classify import load_classifier
    except ImportError as exc:
        raise AssetMissingError(f"the risk classifier is not available in this installation: {exc}") from exc
    try:
        return load_classifier(path, **kwargs)
    except (FileNotFoundError, OSError, RuntimeError) as exc:
        raise AssetMissingError(f"the risk classifier could not be loaded: {exc}") from exc


def classifier_available() -> bool:
    try:
        load_default_classifier()
    except AssetMissingError:
        return False
    return True
