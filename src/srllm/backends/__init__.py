"""Generation backends beside transformers (which stays the training path and the fallback).

`llama-cpp`: llama.cpp through llama-cpp-python (`srllm.backends.llamacpp`), for GGUF models; the
extra ``srllm[gguf-runtime]``. `load_rewriter` picks a backend by name, ``auto`` meaning
llama-cpp when it is installed, else transformers.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from typing import Any

BACKENDS = ("auto", "llama-cpp", "transformers")
LLAMA_CPP_HINT = (
    "the GGUF runtime needs llama-cpp-python: pip install 'srllm[gguf-runtime]' (it compiles llama.cpp once, "
    "10-20 min on 2 cores; pip caches the wheel)"
)


class BackendUnavailableError(ImportError):
    """A generation backend whose package is not installed; the message says how to install it."""


def llama_cpp_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def require_llama_cpp() -> None:
    if not llama_cpp_available():
        raise BackendUnavailableError(LLAMA_CPP_HINT)


def load_rewriter(
    backend: str = "auto",
    model: str | None = None,
    adapter: str | os.PathLike[str] | None = None,
    few_shot: Sequence[tuple[str, str]] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    **kwargs: Any,
) -> Any:
    """A rewriter (``rewrite(texts)``, ``candidates(...)``; the llama-cpp one also ``chat(...)``) on
    `backend`: ``llama-cpp`` (`LlamaCppRewriter`), ``transformers`` (`srllm.generate.Rewriter`), or
    ``auto``. Other keyword arguments go to the backend's ``load``."""
    if backend not in BACKENDS:
        raise ValueError(f"backend {backend!r} is not one of {list(BACKENDS)}")
    if backend == "llama-cpp" or (backend == "auto" and llama_cpp_available()):
        require_llama_cpp()
        from srllm.backends.llamacpp import LlamaCppRewriter

        return LlamaCppRewriter.load(model, adapter=adapter, few_shot=few_shot, cache_dir=cache_dir, threads=threads,
                                     **kwargs)
    from srllm.generate import Rewriter

    return Rewriter.load(model, adapter=adapter, few_shot=few_shot, cache_dir=cache_dir, threads=threads, **kwargs)
