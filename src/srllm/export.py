"""Export a fine-tuned model: merge a LoRA adapter into its base model, optionally write a GGUF.

`merge_adapter` loads the base model (through `srllm.models.load_causal_lm`, so srllm's model
names, local folders and GGUF bases all work), applies the adapter with peft, folds the LoRA
weights into the base weights (``merge_and_unload``) and saves a standalone Hugging Face model
folder (safetensors weights, config, tokenizer) with an ``srllm_export.json`` provenance file.

The base model is, in this order: the `base_model` argument; the ``"model"`` of the
``srllm_run.json`` that srllm's trainer writes beside the adapter (an srllm model name such as
``smollm2-135m-instruct``, portable between machines); peft's ``base_model_name_or_path`` from
``adapter_config.json`` (often a cache path of the machine that trained it).

`merged_gguf` does both once per adapter into the model cache (``$SRLLM_CACHE/merged/``), keyed
by the adapter's weights and config, the base model and the GGUF type, for the llama-cpp backend.

`write_gguf` turns a merged Llama-architecture folder (SmolLM2 is ``LlamaForCausalLM``) into a
GGUF file for llama.cpp, in F16 or F32. Weights are renamed with gguf's own tensor-name map and
the query/key projections are permuted as llama.cpp's ``convert_hf_to_gguf.py`` does. The
tokenizer metadata (vocabulary, merges, token types and the pre-tokenizer name, which llama.cpp
otherwise derives from a table of tokenizer hashes that gguf does not ship) is copied from the
GGUF the base model came from, after checking that the vocabulary is the same; so GGUF export
works for bases that were loaded from a GGUF file (srllm's default models, local .gguf files).

torch, transformers, peft and gguf are imported inside functions only.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from srllm.provenance import package_versions, run_metadata, sha256_file

log = logging.getLogger(__name__)

RUN_FILE = "srllm_run.json"
EXPORT_FILE = "srllm_export.json"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")
EXPORT_PACKAGES = ("torch", "transformers", "peft", "safetensors", "gguf")


class ExportError(RuntimeError):
    """An adapter or model folder that cannot be exported; the message says why."""


# --- merging -------------------------------------------------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExportError(f"{path}: cannot read: {exc}") from None
    except ValueError as exc:
        raise ExportError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ExportError(f"{path}: expected a JSON object")
    return data


def inspect_adapter(adapter_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], Path, dict[str, Any] | None]:
    """(adapter_config, weights file, srllm_run.json or None) of a peft LoRA adapter folder."""
    folder = Path(adapter_dir)
    if not folder.is_dir():
        raise ExportError(f"{folder}: no such adapter folder")
    config_file = folder / ADAPTER_CONFIG
    if not config_file.is_file():
        raise ExportError(f"{folder}: not a peft adapter folder (no {ADAPTER_CONFIG})")
    config = _read_json(config_file)
    weights = next((folder / n for n in ADAPTER_WEIGHTS if (folder / n).is_file()), None)
    if weights is None:
        raise ExportError(f"{folder}: no adapter weights ({' or '.join(ADAPTER_WEIGHTS)})")
    run = _read_json(folder / RUN_FILE) if (folder / RUN_FILE).is_file() else None
    return config, weights, run


def base_model_of(adapter_dir: str | os.PathLike[str], base_model: str | None = None) -> tuple[str, str]:
    """(base model name, where it came from: "argument" | RUN_FILE | ADAPTER_CONFIG)."""
    config, _, run = inspect_adapter(adapter_dir)
    if base_model:
        return base_model, "argument"
    if run and isinstance(run.get("model"), str) and run["model"]:
        return run["model"], RUN_FILE
    name = config.get("base_model_name_or_path")
    if isinstance(name, str) and name:
        return name, ADAPTER_CONFIG
    raise ExportError(
        f"{adapter_dir}: cannot tell the base model (no {RUN_FILE} 'model', no base_model_name_or_path "
        f"in {ADAPTER_CONFIG}); pass it with --base-model"
    )


def _check_out(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())) and not overwrite:
        raise ExportError(f"{out_dir}: exists and is not empty; pass --overwrite to replace it")


def _prepare_out(out_dir: Path, overwrite: bool) -> Path:
    _check_out(out_dir, overwrite)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))


def _replace(tmp: Path, out_dir: Path) -> None:
    if out_dir.is_dir():
        shutil.rmtree(out_dir)
    elif out_dir.exists():
        out_dir.unlink()
    os.rename(tmp, out_dir)


def merge_adapter(
    adapter_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    base_model: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
) -> Path:
    """Merge the LoRA adapter in `adapter_dir` into its base model; save to `out_dir`.

    The folder is written beside `out_dir` and renamed into place when complete. The adapter's
    own tokenizer is saved when the adapter folder has one (a trainer that added tokens saves
    it there), else the base model's.
    """
    from srllm.models import ModelError, load_causal_lm, resolve

    adapter = Path(adapter_dir)
    peft_config, weights, _ = inspect_adapter(adapter)
    if str(peft_config.get("peft_type", "LORA")).upper() != "LORA":
        raise ExportError(f"{adapter}: a {peft_config.get('peft_type')} adapter; only LoRA adapters can be merged")
    name, name_source = base_model_of(adapter, base_model)
    out = Path(out_dir)
    _check_out(out, overwrite)  # before the minutes of loading, not after
    try:
        spec = resolve(name, cache_dir, kind="causal-lm")
        model, tokenizer = load_causal_lm(name, cache_dir=cache_dir)
    except ModelError as exc:
        raise ExportError(f"base model {name!r} (from {name_source}): {exc}") from None

    from peft import PeftModel

    if (adapter / "tokenizer_config.json").is_file():
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(adapter)
    try:
        peft_model = PeftModel.from_pretrained(model, adapter)
    except Exception as exc:  # noqa: BLE001 - peft raises many types for a mismatched adapter
        raise ExportError(f"{adapter}: cannot apply this adapter to {name!r}: {exc}") from None
    merged = peft_model.merge_and_unload()
    merged.eval()

    tmp = _prepare_out(out, overwrite)
    try:
        merged.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        record = {
            "adapter_dir": str(adapter.resolve()),
            "adapter_weights": weights.name,
            "adapter_sha256": sha256_file(weights),
            "peft": {k: peft_config.get(k) for k in ("peft_type", "r", "lora_alpha", "target_modules", "lora_dropout")},
            "base_model": name,
            "base_model_from": name_source,
            "base_model_spec": spec.to_dict(),
            "packages": package_versions(EXPORT_PACKAGES),
            "run": run_metadata(),
        }
        text = json.dumps(record, indent=2, sort_keys=True, default=str) + "\n"
        (tmp / EXPORT_FILE).write_text(text, encoding="utf-8")
        _replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("merged %s into %s -> %s", adapter, name, out)
    return out


# --- GGUF ----------------------------------------------------------------------------------------


def _permute_qk(weights: Any, n_head: int) -> Any:
    """HF's rotary layout -> llama.cpp's (as ``LlamaModel.permute`` in convert_hf_to_gguf.py)."""
    return (
        weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def source_gguf(model_dir: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The GGUF file the base of a merged folder came from, or None when it was not a GGUF."""
    from srllm.models import ModelError, resolve

    export = Path(model_dir) / EXPORT_FILE
    if not export.is_file():
        return None
    name = _read_json(export).get("base_model")
    try:
        spec = resolve(name, cache_dir) if isinstance(name, str) else None
    except ModelError:
        return None
    if spec is None or not spec.is_gguf:
        return None
    return Path(spec.path) / (spec.gguf_file or "")


def write_gguf(
    model_dir: str | os.PathLike[str],
    out_file: str | os.PathLike[str],
    tokenizer_gguf: str | os.PathLike[str] | None = None,
    out_type: str = "f16",
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write the Llama-architecture model folder `model_dir` as a GGUF file (`out_type` f16 or f32).

    `tokenizer_gguf` is the GGUF to take the tokenizer metadata from (default: the base model's
    GGUF, from the folder's ``srllm_export.json``).
    """
    import gguf
    import numpy as np
    from safetensors import safe_open
    from transformers import AutoTokenizer

    folder = Path(model_dir)
    if out_type not in ("f16", "f32"):
        raise ExportError(f"out_type must be 'f16' or 'f32', got {out_type!r}")
    cfg = _read_json(folder / "config.json")
    if cfg.get("architectures") != ["LlamaForCausalLM"]:
        raise ExportError(f"{folder}: GGUF export supports LlamaForCausalLM only, not {cfg.get('architectures')}")
    rope = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}
    scaled = rope.get("rope_type", rope.get("type", "default")) != "default"
    if scaled or cfg.get("attention_bias") or cfg.get("mlp_bias"):
        raise ExportError(f"{folder}: rope scaling or attention/MLP biases are not supported by this GGUF writer")
    source = Path(tokenizer_gguf) if tokenizer_gguf else source_gguf(folder, cache_dir)
    if source is None or not source.is_file():
        raise ExportError(
            f"{folder}: GGUF export copies the tokenizer from the base model's GGUF, and none was found "
            f"(the base was not loaded from a .gguf file); use llama.cpp's convert_hf_to_gguf.py instead"
        )
    reader = gguf.GGUFReader(source)
    tok_fields = {k: f for k, f in reader.fields.items() if k.startswith("tokenizer.")}
    hf_tokenizer = AutoTokenizer.from_pretrained(folder)
    tokens = tok_fields["tokenizer.ggml.tokens"].contents()
    if hf_tokenizer.convert_ids_to_tokens(list(range(len(hf_tokenizer)))) != tokens:
        raise ExportError(f"{folder}: the tokenizer's vocabulary differs from the one in {source}")

    n_head, n_kv = cfg["num_attention_heads"], cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
    n_layers, hidden = cfg["num_hidden_layers"], cfg["hidden_size"]
    arch = gguf.MODEL_ARCH.LLAMA
    out = Path(out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(out.with_name(out.name + ".tmp"), gguf.MODEL_ARCH_NAMES[arch])
    head_dim = cfg.get("head_dim") or hidden // n_head
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(folder.name)
    writer.add_block_count(n_layers)
    writer.add_context_length(cfg["max_position_embeddings"])
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(cfg["intermediate_size"])
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_rope_freq_base(float(rope.get("rope_theta", cfg.get("rope_theta", 10000.0))))
    writer.add_layer_norm_rms_eps(float(cfg["rms_norm_eps"]))
    writer.add_vocab_size(cfg["vocab_size"])
    writer.add_rope_dimension_count(head_dim)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if out_type == "f16" else gguf.LlamaFileType.ALL_F32)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    template = getattr(hf_tokenizer, "chat_template", None)
    for key, field in tok_fields.items():
        if key == gguf.Keys.Tokenizer.CHAT_TEMPLATE and isinstance(template, str) and template:
            continue  # the merged folder's own template, below
        sub = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, field.contents(), field.types[0], sub_type=sub)
    if isinstance(template, str) and template:
        writer.add_chat_template(template)

    index = folder / "model.safetensors.index.json"
    files = sorted(set(_read_json(index)["weight_map"].values())) if index.is_file() else ["model.safetensors"]
    names = gguf.TensorNameMap(arch, n_layers)
    tied = cfg.get("tie_word_embeddings", False)
    for file in files:
        with safe_open(folder / file, framework="numpy") as handle:
            for key in handle.keys():  # noqa: SIM118 - safe_open is not a mapping
                if key.endswith("rotary_emb.inv_freq") or (tied and key == "lm_head.weight"):
                    continue
                data = handle.get_tensor(key).astype(np.float32)
                if key.endswith("self_attn.q_proj.weight"):
                    data = _permute_qk(data, n_head)
                elif key.endswith("self_attn.k_proj.weight"):
                    data = _permute_qk(data, n_kv)
                new = names.get_name(key, try_suffixes=(".weight", ".bias"))
                if new is None:
                    raise ExportError(f"{folder}: no GGUF name for tensor {key!r}")
                if out_type == "f16" and data.ndim > 1:
                    data = data.astype(np.float16)
                writer.add_tensor(new, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(out.with_name(out.name + ".tmp"), out)
    return out


# --- the merged GGUF in the cache ------------------------------------------------------------------

#: Bump when `write_gguf` changes what it writes, so old cached GGUFs are not reused.
GGUF_EXPORT_VERSION = 1
#: llama.cpp file types `quantize_gguf` writes (llama_ftype values: LLAMA_FTYPE_MOSTLY_Q8_0, _Q5_0, _Q4_0).
#: Block-32 types only: SmolLM2-135M's rows (576) are not a multiple of the K-quants' 256.
QUANTIZED_TYPES = {"q8_0": 7, "q5_0": 8, "q4_0": 2}
MERGED_GGUF_TYPES = ("f16", "f32", *QUANTIZED_TYPES)


def quantize_gguf(src: str | os.PathLike[str], dest: str | os.PathLike[str], out_type: str = "q8_0",
                  threads: int = 0) -> Path:
    """Quantise the GGUF `src` into `dest` with llama.cpp (``llama_model_quantize``)."""
    try:
        import llama_cpp
    except ImportError:
        raise ExportError(f"quantising to {out_type} needs llama-cpp-python: pip install 'srllm[gguf-runtime]'") from None
    if out_type not in QUANTIZED_TYPES:
        raise ExportError(f"out_type must be one of {list(QUANTIZED_TYPES)}, got {out_type!r}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = QUANTIZED_TYPES[out_type]
    params.nthread = threads
    status = llama_cpp.llama_model_quantize(str(src).encode(), str(dest).encode(), params)
    if status != 0 or not Path(dest).is_file():
        raise ExportError(f"llama.cpp could not quantise {src} to {out_type} (status {status})")
    return Path(dest)


def merged_gguf(
    adapter_dir: str | os.PathLike[str],
    cache_dir: str | os.PathLike[str] | None = None,
    base_model: str | None = None,
    out_type: str = "f16",
) -> Path:
    """The GGUF of `adapter_dir` merged into its base model, built once into the cache.

    `out_type` is f16 or f32 (`write_gguf`), or q8_0: the f16 file quantised by llama.cpp
    (``llama_model_quantize``; needs llama-cpp-python), half the bytes to read per token.

    The cache key is the sha256 of the adapter weights and config, the base model name, `out_type`
    and `GGUF_EXPORT_VERSION`; the folder (GGUF + ``srllm_export.json``) is written beside its final
    place and renamed when complete, under a file lock, so racing processes build it once.
    """
    import hashlib

    from srllm.models import _file_lock, cache_root

    adapter = Path(adapter_dir)
    _, weights, _ = inspect_adapter(adapter)
    name, _ = base_model_of(adapter, base_model)
    key_text = "|".join((sha256_file(weights), sha256_file(adapter / ADAPTER_CONFIG), name, out_type,
                         f"v{GGUF_EXPORT_VERSION}"))
    key = hashlib.sha256(key_text.encode()).hexdigest()[:12]
    root = cache_root(cache_dir) / "merged"
    dest = root / f"{adapter.resolve().name}-{key}"
    gguf = dest / f"model-{out_type}.gguf"
    if gguf.is_file() and (dest / EXPORT_FILE).is_file():
        return gguf
    root.mkdir(parents=True, exist_ok=True)
    with _file_lock(root / f".{dest.name}.lock"):
        if gguf.is_file() and (dest / EXPORT_FILE).is_file():
            return gguf
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=root))
        try:
            if out_type not in MERGED_GGUF_TYPES:
                raise ExportError(f"out_type must be one of {list(MERGED_GGUF_TYPES)}, got {out_type!r}")
            merged = merge_adapter(adapter, tmp / "merged", base_model=base_model, cache_dir=cache_dir)
            if out_type in QUANTIZED_TYPES:
                write_gguf(merged, tmp / "model-f16.gguf", out_type="f16", cache_dir=cache_dir)
                quantize_gguf(tmp / "model-f16.gguf", tmp / gguf.name, out_type)
                (tmp / "model-f16.gguf").unlink()
            else:
                write_gguf(merged, tmp / gguf.name, out_type=out_type, cache_dir=cache_dir)
            record = _read_json(merged / EXPORT_FILE)
            record["gguf"] = {"file": gguf.name, "type": out_type, "sha256": sha256_file(tmp / gguf.name),
                              "export_version": GGUF_EXPORT_VERSION}
            (tmp / EXPORT_FILE).write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n",
                                           encoding="utf-8")
            shutil.rmtree(merged)
            os.chmod(tmp, 0o755)
            if dest.exists():
                shutil.rmtree(dest)
            os.rename(tmp, dest)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    log.info("merged GGUF of %s: %s", adapter, gguf)
    return gguf
