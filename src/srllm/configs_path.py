"""Where the shipped configs (suites, training recipes) are: ``srllm/configs``, a link to the
repository's configs/ folder that the wheel carries as package data. A neutral module."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def configs_dir() -> Path:
    return Path(str(resources.files("srllm") / "configs"))


def config_file(name: str) -> Path:
    """The shipped config called `name` (e.g. ``eval-paper.yaml``); FileNotFoundError lists the shipped ones."""
    folder = configs_dir()
    path = folder / name
    if not path.is_file():
        shipped = sorted(p.name for p in folder.glob("*.yaml")) if folder.is_dir() else []
        raise FileNotFoundError(f"{name} is not a shipped config (shipped: {', '.join(shipped) or 'none'})")
    return path
