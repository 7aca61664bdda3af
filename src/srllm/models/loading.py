"""Loading causal LMs, tokenizers and encoders by name, and mean-pooled sentence embeddings.

torch and transformers are imported inside functions only.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from typing import Any

from srllm.models.cache import ALLOW_DOWNLOADS_ENV, downloads_allowed
from srllm.models.conversion import _torch_dtype, convert_gguf
from srllm.models.registry import DEFAULT_ENCODER, DEFAULT_GENERATOR, ModelError, ModelNotFoundError, ModelSpec
from srllm.models.resolution import resolve


def _require_transformers() -> None:
    missing = [m for m in ("torch", "transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise ModelError(f"loading models needs {', '.join(missing)}: pip install 'srllm[train]'")


def _hub_kwargs(spec: ModelSpec) -> dict[str, Any]:
    if spec.source != "hub":
        return {}
    return {"revision": spec.revision, "local_files_only": not downloads_allowed()}


def _loading_error(spec: ModelSpec, exc: Exception) -> ModelError:
    where = spec.cache_path or spec.path
    return ModelNotFoundError(
        f"cannot load {spec.name!r} ({spec.source}, {where}): {exc}. For a hub id, allow downloads with "
        f"{ALLOW_DOWNLOADS_ENV}=1 or pass a local folder."
    )


def load_causal_lm(
    name: str = DEFAULT_GENERATOR,
    cache_dir: str | os.PathLike[str] | None = None,
    dtype: Any = None,
    **model_kwargs: Any,
) -> tuple[Any, Any]:
    """(model, tokenizer) of a causal LM; `dtype` defaults to torch.float32.

    GGUF models are converted into the cache on first use (the returned model is the one just
    converted, unless `model_kwargs` such as a `quantization_config` ask for a different load) and
    read from the cache afterwards. `model_kwargs` go to `from_pretrained`.
    """
    _require_transformers()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = resolve(name, cache_dir, kind="causal-lm")
    torch_dtype = _torch_dtype(dtype)
    if spec.is_gguf:
        converted = convert_gguf(spec, torch_dtype)
        if converted is not None and not model_kwargs:
            return converted
        path, kwargs = spec.cache_path, {"local_files_only": True}
    else:
        path, kwargs = spec.path, _hub_kwargs(spec)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype, **kwargs, **model_kwargs)
    except OSError as exc:
        raise _loading_error(spec, exc) from exc
    model.eval()
    return model, tokenizer


def load_tokenizer(name: str = DEFAULT_GENERATOR, cache_dir: str | os.PathLike[str] | None = None) -> Any:
    """Only the tokenizer (cheap): from the cache when converted, else straight from the GGUF."""
    _require_transformers()
    from transformers import AutoTokenizer

    spec = resolve(name, cache_dir)
    try:
        if spec.is_gguf:
            if spec.is_cached:
                return AutoTokenizer.from_pretrained(spec.cache_path, local_files_only=True)
            return AutoTokenizer.from_pretrained(spec.path, gguf_file=spec.gguf_file)
        return AutoTokenizer.from_pretrained(spec.path, **_hub_kwargs(spec))
    except OSError as exc:
        raise _loading_error(spec, exc) from exc


def load_encoder(name: str = DEFAULT_ENCODER, cache_dir: str | os.PathLike[str] | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) of an encoder (AutoModel), in eval mode."""
    _require_transformers()
    from transformers import AutoModel, AutoTokenizer

    spec = resolve(name, cache_dir, kind="encoder")
    kwargs = _hub_kwargs(spec)
    try:
        tokenizer = AutoTokenizer.from_pretrained(spec.path, **kwargs)
        model = AutoModel.from_pretrained(spec.path, **kwargs)
    except OSError as exc:
        raise _loading_error(spec, exc) from exc
    model.eval()
    return model, tokenizer


def embed_sentences(
    model: Any, tokenizer: Any, sentences: Sequence[str], batch_size: int = 32, max_length: int = 256,
    normalize: bool = True,
) -> Any:
    """Mean-pooled (and L2-normalised) sentence embeddings, as sentence-transformers computes them
    for all-MiniLM-L6-v2; a float tensor of shape (len(sentences), hidden size)."""
    import torch

    chunks = []
    with torch.inference_mode():
        for start in range(0, len(sentences), batch_size):
            batch = tokenizer(
                list(sentences[start : start + batch_size]), padding=True, truncation=True,
                max_length=max_length, return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1) if normalize else pooled)
    if not chunks:
        return torch.empty(0, model.config.hidden_size)
    return torch.cat(chunks)
