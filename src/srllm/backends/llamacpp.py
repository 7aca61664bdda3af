"""Rewriting with llama.cpp (llama-cpp-python) on GGUF models: the fast CPU runtime.

`LlamaCppRewriter` has the interface of `srllm.generate.Rewriter` (``rewrite(texts)``,
``candidates(texts, n, temperature=, top_p=, seed=)``, ``prompt(text)``, ``last_stats``), so the
safety pipeline can use it as a tier, plus ``chat(messages, max_tokens, temperature, seed)`` for
free-form use (an LLM judge). Prompts are the same strings as in the transformers backend: the
model's chat template from the GGUF (`GGUFChatTemplate`) rendered by `srllm.generate.few_shot_prompt`,
tokenised without an added BOS (the strings carry their special tokens).

The prompt prefix every text shares (system prompt, few-shot turns, the instruction: the longest
common token prefix of two prompts) is evaluated once and its KV cache saved
(``Llama.save_state``); each text then evaluates only its own tokens. llama-cpp-python also reuses
the longest matching prefix of the previous call, so the saved state is loaded only when something
else (``chat``) replaced it. Decoding is greedy (``temp=0``) for ``rewrite``; ``candidates`` samples
with ``top_p`` and a seed per candidate. Texts run one at a time (llama.cpp's high-level API has
one sequence); a lock makes one rewriter safe to share between threads.

Models: a GGUF known to `srllm.models` (the packaged SmolLM2 Q4_1, the joined Qwen2.5-Coder-1.5B),
a local ``.gguf``, or a LoRA adapter, merged and written as a GGUF once into the cache
(`srllm.export.merged_gguf`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from srllm.backends import require_llama_cpp
from srllm.backends.chat_template import GGUFChatTemplate
from srllm.generate import DEFAULT_MAX_NEW_TOKENS, cut_at_stop, resolve_adapter
from srllm.generate.cpu import _cpu_threads
from srllm.generate.recipe import PromptRecipe, check_sampling
from srllm.taxonomy import INSTRUCTION, SYSTEM_PROMPT

log = logging.getLogger(__name__)

DEFAULT_N_CTX = 2048
DEFAULT_GGUF_TYPE = "q8_0"  # of an adapter's merged GGUF: 3x faster than fp32 transformers here, 15 of 16 outputs the same (f16: 1.9x, all the same)
EXTRA_BUFFERS_ENV = "SRLLM_LLAMA_EXTRA_BUFFERS"
_OPEN_LOCK = threading.Lock()


def _extra_buffers_default() -> bool:
    """Whether to let llama.cpp use its extra weight buffers (repacking, AMX). A build compiled with
    AMX (``-march=native`` on a CPU that reports it) crashed here in ``ldtilecfg`` under a VM that
    does not run AMX, so such builds get them off unless ``SRLLM_LLAMA_EXTRA_BUFFERS=1``; a build
    without AMX keeps them (repacked Q4 weights are faster)."""
    import llama_cpp

    env = os.environ.get(EXTRA_BUFFERS_ENV, "").strip().lower()
    if env:
        return env in {"1", "true", "yes", "on"}
    info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    return "AMX_INT8 = 1" not in info


def open_llama(path: str | os.PathLike[str], n_ctx: int = DEFAULT_N_CTX, n_threads: int | None = None,
               seed: int = 0, extra_buffers: bool | None = None, logits_all: bool = False) -> Any:
    """A `llama_cpp.Llama` on the GGUF `path` (quiet, `n_threads` for prompt and generation;
    `logits_all` keeps every position's logits in ``scores``, n_ctx x vocabulary floats)."""
    import llama_cpp.llama_cpp as low
    from llama_cpp import Llama

    extra = _extra_buffers_default() if extra_buffers is None else extra_buffers
    n_threads = n_threads or _cpu_threads()
    kwargs = {"n_ctx": n_ctx, "n_threads": n_threads, "n_threads_batch": n_threads, "seed": seed, "verbose": False,
              "logits_all": logits_all}
    if extra:
        return _closing(Llama(str(path), **kwargs))
    default_params = low.llama_model_default_params

    def without_extra_buffers() -> Any:
        params = default_params()
        params.use_extra_bufts = False
        return params

    with _OPEN_LOCK:  # Llama() takes its model parameters from this function; no argument sets the field
        low.llama_model_default_params = without_extra_buffers
        try:
            return _closing(Llama(str(path), **kwargs))
        finally:
            low.llama_model_default_params = default_params


def _closing(llm: Any) -> Any:
    """Free the model before the interpreter tears down llama_cpp's module globals (else its
    ``__del__`` raises at exit); the finalizer holds the model's exit stack, not the model."""
    stack = getattr(llm, "_stack", None)
    if stack is not None:
        weakref.finalize(llm, stack.close)
    return llm
_PROBES = ("x", "Y 1")  # two texts that share no first token: their prompts' common prefix is the fixed part


def gguf_path(model: str | None = None, adapter: str | os.PathLike[str] | None = None,
              cache_dir: str | os.PathLike[str] | None = None, gguf_type: str = DEFAULT_GGUF_TYPE) -> Path:
    """The GGUF file for `model` (a known GGUF model or a local .gguf) or for `adapter` merged
    into its base (built once into the cache, as `gguf_type`)."""
    from srllm.models import DEFAULT_GENERATOR, ModelError, resolve

    if adapter is not None:
        from srllm.export import merged_gguf

        return merged_gguf(adapter, cache_dir=cache_dir, base_model=model, out_type=gguf_type)
    spec = resolve(model or DEFAULT_GENERATOR, cache_dir, kind="causal-lm")
    if not spec.is_gguf:
        raise ModelError(f"{spec.name!r} is not a GGUF model; the llama-cpp backend needs a .gguf file "
                         "(or use the transformers backend)")
    return Path(spec.path) / (spec.gguf_file or "")


class LlamaCppRewriter(PromptRecipe):
    """A llama.cpp model and a prompt recipe; see the module docstring."""

    backend = "llama-cpp"

    def __init__(
        self,
        llm: Any,
        format: str = "auto",
        system: str = SYSTEM_PROMPT,
        instruction: str = INSTRUCTION,
        few_shot: Sequence[tuple[str, str]] | None = None,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        name: str | None = None,
        batch_size: int = 1,
    ):
        self.llm = llm
        self.tokenizer = GGUFChatTemplate.from_llama(llm, name or "")
        self._set_recipe(self.tokenizer, format, system, instruction, few_shot, max_new_tokens, name)
        self.batch_size = batch_size  # accepted for interface parity; llama.cpp runs one text at a time
        special = set(self.tokenizer.all_special_tokens)
        self._textual_stops = [s for s in self.stops if s not in special]
        self._lock = threading.Lock()
        self._prefix: list[int] | None = None
        self._prefix_state: Any = None

    @classmethod
    def load(
        cls,
        model: str | None = None,
        adapter: str | os.PathLike[str] | None = None,
        format: str = "auto",
        few_shot: Sequence[tuple[str, str]] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        threads: int | None = None,
        n_ctx: int = DEFAULT_N_CTX,
        seed: int = 0,
        extra_buffers: bool | None = None,
        gguf_type: str = DEFAULT_GGUF_TYPE,
        **kwargs: Any,
    ) -> LlamaCppRewriter:
        """Load `model` (default: the adapter's GGUF, else smollm2-135m-instruct) in llama.cpp with
        `threads` threads (default: the cores this process may use). With an adapter,
        ``format="auto"`` is the format it was trained with. Other keyword arguments go to
        `LlamaCppRewriter()`."""
        require_llama_cpp()
        # Not checked here: merged_gguf checks the folder, and merges into `model` when one is given.
        base, format, _ = resolve_adapter(model, adapter, format, check=False)
        path = gguf_path(model, adapter, cache_dir, gguf_type)
        n_threads = threads or _cpu_threads()
        started = time.perf_counter()
        llm = open_llama(path, n_ctx=n_ctx, n_threads=n_threads, seed=seed, extra_buffers=extra_buffers)
        rewriter = cls(llm, format=format, few_shot=few_shot, name=kwargs.pop("name", None) or (model or path.stem),
                       **kwargs)
        rewriter.info = {"backend": cls.backend, "model": base, "gguf": str(path),
                         "adapter": str(adapter) if adapter is not None else None, "format": rewriter.format,
                         "few_shot": len(rewriter.few_shot), "threads": n_threads, "n_ctx": n_ctx,
                         "load_s": round(time.perf_counter() - started, 2)}
        return rewriter

    def with_few_shot(self, few_shot: Sequence[tuple[str, str]] | None, **kwargs: Any) -> LlamaCppRewriter:
        """Another rewriter on the same loaded model with other few-shot examples (or prompts)."""
        settings = dict(format=self.format, system=self.system, instruction=self.instruction,
                        max_new_tokens=self.max_new_tokens, name=self.name)
        settings.update(kwargs)
        other = type(self)(self.llm, few_shot=few_shot, **settings)
        other._lock = self._lock  # one model, one lock
        other.info = {**self.info, "few_shot": len(other.few_shot)}
        return other

    # --- prompts ---------------------------------------------------------------------------------

    def tokens(self, prompt: str) -> list[int]:
        return self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def prefix_tokens(self) -> list[int]:
        """The tokens every prompt starts with: the common prefix of two prompts' tokens."""
        if self._prefix is None:
            a, b = (self.tokens(self.prompt(p)) for p in _PROBES)
            n = 0
            while n < min(len(a), len(b)) and a[n] == b[n]:
                n += 1
            self._prefix = a[:n]
        return self._prefix

    def _use_prefix_cache(self) -> None:
        """Make the model's context start with the shared prefix: evaluate and save it once, and
        load the saved state when another prompt replaced it."""
        prefix = self.prefix_tokens()
        llm = self.llm
        if not prefix:
            llm.reset()
            return
        if llm.n_tokens >= len(prefix) and llm.input_ids[: len(prefix)].tolist() == prefix:
            # Keep the prefix, drop what the last call added: each text's own tokens are then always
            # evaluated the same way (one batch after the prefix), so outputs do not depend on order.
            llm.n_tokens = len(prefix)
        elif self._prefix_state is None:
            llm.reset()
            llm.eval(prefix)
            state = llm.save_state()
            # Sampling reads the context's own logits (logits_all=False), never `scores`: keep one
            # row (load_state broadcasts it) instead of a prefix-length copy of the vocabulary.
            state.scores = state.scores[:1].copy()
            self._prefix_state = state
        else:
            llm.load_state(self._prefix_state)

    # --- generation ------------------------------------------------------------------------------

    def _generate(self, tokens: list[int], max_new_tokens: int, temperature: float, top_p: float,
                  seed: int | None) -> tuple[str, dict[str, Any]]:
        """One completion of `tokens`: (text cut at the end of the turn, counts and timings)."""
        import llama_cpp

        llm = self.llm
        if len(tokens) + max_new_tokens > llm.n_ctx():
            raise ValueError(f"prompt of {len(tokens)} tokens + {max_new_tokens} new tokens exceeds the context "
                             f"window of {llm.n_ctx()} tokens; pass a shorter text or a larger n_ctx")
        cached = 0
        for a, b in zip(llm.input_ids[: llm.n_tokens].tolist(), tokens):
            if a != b:
                break
            cached += 1
        cached = min(cached, len(tokens) - 1)
        if seed is not None:
            llm.set_seed(seed)
        sampling = ({"temp": 0.0, "top_k": 1, "top_p": 1.0, "min_p": 0.0} if temperature <= 0 else
                    {"temp": temperature, "top_k": 0, "top_p": top_p, "min_p": 0.0})
        out: list[int] = []
        stopped = False
        started = time.perf_counter()
        first = None
        for token in llm.generate(tokens, repeat_penalty=1.0, reset=True, **sampling):
            if first is None:
                first = time.perf_counter()
            if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
                stopped = True
                break
            out.append(token)
            if self._textual_stops:
                tail = llm.detokenize(out[-8:], special=True).decode("utf-8", errors="ignore")
                if any(s in tail for s in self._textual_stops):
                    stopped = True
                    break
            if len(out) >= max_new_tokens:
                break
        ended = time.perf_counter()
        text = llm.detokenize(out, special=True).decode("utf-8", errors="replace")
        stopped = stopped or any(s in text for s in self.stops)
        first = first or ended
        return self._strip_special(cut_at_stop(text, self.stops)), {
            "prompt_tokens": len(tokens), "prompt_tokens_evaluated": len(tokens) - cached,
            "generated_tokens": len(out) + (1 if stopped else 0), "truncated": not stopped,
            "prompt_s": first - started, "decode_s": ended - first, "seconds": ended - started,
        }

    def _run(self, prompts: Sequence[str], max_new_tokens: int | None, temperature: float = 0.0, top_p: float = 1.0,
             seeds: Sequence[int | None] | None = None, use_prefix: bool = True) -> list[str]:
        max_new_tokens = max_new_tokens or self.max_new_tokens
        if max_new_tokens < 1:
            raise ValueError("max_new_tokens must be positive")
        seeds = seeds or [None] * len(prompts)
        outputs: list[str] = []
        totals = {"prompt_tokens": 0, "prompt_tokens_evaluated": 0, "generated_tokens": 0, "truncated": 0,
                  "prompt_s": 0.0, "decode_s": 0.0}
        latencies: list[float] = []
        started = time.perf_counter()
        with self._lock:
            for prompt, seed in zip(prompts, seeds):
                begun = time.perf_counter()
                if use_prefix:
                    self._use_prefix_cache()
                else:
                    self.llm.reset()
                text, stats = self._generate(self.tokens(prompt), max_new_tokens, temperature, top_p, seed)
                outputs.append(text)
                stats.pop("seconds")
                latencies.append(time.perf_counter() - begun)  # with the prefix, when it was evaluated now
                for key in totals:
                    totals[key] += stats[key]
        seconds = time.perf_counter() - started
        decode_tokens = totals["generated_tokens"] - len(prompts)  # the first token of each comes with the prompt
        self.last_stats = {
            "texts": len(prompts), **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in totals.items()},
            "seconds": round(seconds, 3), "latencies_s": [round(x, 3) for x in latencies],
            "tokens_per_s": round(totals["generated_tokens"] / seconds, 2) if seconds > 0 else None,
            "decode_tokens_per_s": round(decode_tokens / totals["decode_s"], 2) if totals["decode_s"] > 0 else None,
            "prompt_tokens_per_s": (round(totals["prompt_tokens_evaluated"] / totals["prompt_s"], 2)
                                    if totals["prompt_s"] > 0 else None),
            "max_new_tokens": max_new_tokens, "backend": self.backend,
            "decoding": "greedy" if temperature <= 0 else f"sampled (temperature {temperature}, top_p {top_p})",
        }
        return outputs

    def rewrite(self, texts: Sequence[str], batch_size: int | None = None, max_new_tokens: int | None = None,
                progress: bool | str | None = None) -> list[str]:
        """The greedy rewrite of each text, in order (`batch_size` and `progress` are accepted for
        interface parity with `srllm.generate.Rewriter`)."""
        return self._run([self.prompt(t) for t in texts], max_new_tokens)

    def candidates(self, texts: Sequence[str], n: int = 4, *, temperature: float = 0.8, top_p: float = 0.95,
                   seed: int = 0, batch_size: int | None = None, max_new_tokens: int | None = None) -> list[list[str]]:
        """`n` sampled rewrites of each text; candidate k of a text uses seed ``seed + k``, so the same
        call gives the same candidates."""
        check_sampling(n, temperature, top_p)
        prompts = [self.prompt(t) for t in texts for _ in range(n)]
        seeds = [seed + k for _ in texts for k in range(n)]
        out = self._run(prompts, max_new_tokens, temperature, top_p, seeds)
        return [out[i * n : (i + 1) * n] for i in range(len(texts))]

    def chat(self, messages: list[dict[str, str]], max_tokens: int = 256, temperature: float = 0.0,
             seed: int = 0) -> str:
        """The assistant's reply to `messages` (role/content dicts) under the model's chat template;
        greedy when `temperature` is 0, else sampled with `seed`."""
        if not messages or any(not isinstance(m, dict) or "role" not in m or "content" not in m for m in messages):
            raise ValueError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
        prompt = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return self._run([prompt], max_tokens, temperature, 1.0 if temperature <= 0 else 0.95, [seed],
                         use_prefix=False)[0]
