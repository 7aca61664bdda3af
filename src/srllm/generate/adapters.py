"""A trained adapter's run file, and what it decides when a rewriter loads the adapter."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RUN_FILE = "srllm_run.json"  # written by srllm.train.sft beside (and inside) the adapter folder


def read_run_file(adapter: str | os.PathLike[str]) -> dict[str, Any]:
    """The trainer's `srllm_run.json` of an adapter folder (inside it, else beside it); {} when absent."""
    folder = Path(adapter)
    for candidate in (folder / RUN_FILE, folder.parent / RUN_FILE):
        if candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8"))
    return {}


def resolve_adapter(
    model: str | None, adapter: str | os.PathLike[str] | None, format: str, *, check: bool = True,
) -> tuple[str | None, str, dict[str, Any]]:
    """(base model, prompt format, run file) for loading `model` with `adapter`, shared by every
    backend's ``load``.

    Without an adapter: (`model`, `format`, {}). With one, its run file is read: ``format="auto"``
    becomes the format it was trained with, and the base model defaults to the one it was trained
    on (None when neither says). With `check`, `adapter` must be a peft adapter folder
    (FileNotFoundError) and a `model` other than the one it was trained on is a ValueError.
    """
    if adapter is None:
        return model, format, {}
    if check and not (Path(adapter) / "adapter_config.json").is_file():
        raise FileNotFoundError(f"{adapter}: not a peft adapter folder (no adapter_config.json)")
    run = read_run_file(adapter)
    trained_on = run.get("model")
    if check and model is not None and trained_on and model != trained_on:
        raise ValueError(f"adapter {adapter} was trained on {trained_on!r}, not {model!r}")
    if format == "auto" and run.get("format"):
        format = run["format"]
    return model or trained_on, format, run
