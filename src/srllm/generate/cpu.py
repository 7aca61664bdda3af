"""CPU settings of a rewriter: how many threads, and dynamic int8 quantisation."""

from __future__ import annotations

import os
from typing import Any


def _cpu_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


QUANTIZE = ("int8",)


def quantize_int8(model: Any, quantize: str, device: str, merged: bool = True) -> Any:
    """`model` with dynamic int8 Linear layers (``torch.ao.quantization.quantize_dynamic``), all but
    the output projection (tied to the embeddings; quantising its 49k rows costs the most quality)."""
    import torch

    if quantize not in QUANTIZE:
        raise ValueError(f"quantize {quantize!r} is not one of {list(QUANTIZE)}")
    if device != "cpu":
        raise ValueError(f"quantize={quantize!r} is a CPU backend; device is {device!r}")
    if not merged:
        raise ValueError("quantize needs the adapter merged into the weights (merge=True)")
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    spec = {name: default_dynamic_qconfig for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and module is not output}
    return quantize_dynamic(model, spec, dtype=torch.qint8)
