"""The systems of the rewrite-pair evaluation: names, and the generator systems built from them.

``copy-input`` (the input unchanged: the floor) and ``reference`` (the reference itself: the
ceiling) are measured by the evaluator; ``zero-shot`` / ``few-shot`` prompt the base model and
``adapter`` loads a trained LoRA adapter on it (``srllm.generate.Rewriter``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

COPY_INPUT = "copy-input"
REFERENCE = "reference"
BUILTIN_SYSTEMS = (COPY_INPUT, REFERENCE)
GENERATOR_SYSTEMS = ("zero-shot", "few-shot", "adapter")
DEFAULT_SYSTEMS = ("zero-shot", "few-shot", "adapter", COPY_INPUT, REFERENCE)

System = Callable[[list[str]], list[str]]


def parse_systems(systems: str | Sequence[str] | None, adapters: Sequence[str] = ()) -> list[str]:
    """System names from a comma-separated string or a list; None means the defaults (``adapter``
    only when adapters are given). Unknown names raise ValueError with the allowed ones."""
    if systems is None:
        names = [n for n in DEFAULT_SYSTEMS if n != "adapter" or adapters]
    else:
        names = [s.strip() for s in (systems.split(",") if isinstance(systems, str) else systems) if s.strip()]
    unknown = [n for n in names if n not in DEFAULT_SYSTEMS]
    if unknown:
        raise ValueError(f"unknown system(s) {unknown}; expected some of {list(DEFAULT_SYSTEMS)}")
    if "adapter" in names and not adapters:
        raise ValueError("system 'adapter' needs at least one adapter folder (--adapter DIR)")
    return list(dict.fromkeys(names))


def adapter_names(adapters: Sequence[str]) -> list[str]:
    """``adapter`` for one adapter folder; ``adapter:<folder>`` (made unique) for several."""
    if len(adapters) == 1:
        return ["adapter"]
    names: list[str] = []
    for path in adapters:
        p = Path(path)
        base = f"adapter:{p.name if p.name != 'adapter' else p.parent.name + '/' + p.name}"
        name, k = base, 2
        while name in names:
            name, k = f"{base}#{k}", k + 1
        names.append(name)
    return names


def build_systems(
    names: Sequence[str],
    *,
    model: str | None = None,
    adapters: Sequence[str] = (),
    cache_dir: Any = None,
    batch_size: int = 16,
    max_new_tokens: int = 64,
    format: str = "auto",
    progress: bool = False,
    threads: int | None = None,
) -> dict[str, System]:
    """The generator systems among `names` as Rewriters (the built-in ones are not built here).
    zero-shot and few-shot share one base model; each adapter is loaded on its own base."""
    from srllm.generate import FEW_SHOT, Rewriter

    systems: dict[str, System] = {}
    settings = {"batch_size": batch_size, "max_new_tokens": max_new_tokens, "threads": threads}
    if "zero-shot" in names or "few-shot" in names:
        base = Rewriter.load(model, format=format, cache_dir=cache_dir, **settings)
        if "zero-shot" in names:
            systems["zero-shot"] = base.with_few_shot(None, progress="zero-shot" if progress else False, name="zero-shot")
        if "few-shot" in names:
            systems["few-shot"] = base.with_few_shot(FEW_SHOT, progress="few-shot" if progress else False, name="few-shot")
    if "adapter" in names:
        for name, path in zip(adapter_names(adapters), adapters):
            systems[name] = Rewriter.load(model, adapter=path, format=format, cache_dir=cache_dir,
                                          progress=name if progress else False, name=name, **settings)
    return systems
