"""A causal LM as the suite uses it: token log-likelihoods of whole sentences, and greedy
continuations of raw prompts; both batched (texts sorted by length to waste little padding).

Log-likelihood of a sentence ``w_1..w_n`` = ``sum_i log p(w_i | <bos>, w_<i)``: every token is
conditioned on the tokenizer's BOS token (EOS when it has none), so the first word is scored too.
Perplexity = ``exp(-loglik / n)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Likelihood:
    """Sum of token log-probabilities of one text and its token count."""

    logprob: float
    tokens: int

    @property
    def mean(self) -> float:
        return self.logprob / self.tokens if self.tokens else float("nan")

    @property
    def perplexity(self) -> float:
        return math.exp(-self.mean) if self.tokens else float("nan")


def _progress_bar(enabled: bool, total: int, desc: str) -> Any:
    """A tqdm bar over `total` texts, or None when progress is off."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="text", leave=False)


class CausalLM:
    """A model and its tokenizer; `name` is what loaded it."""

    def __init__(self, model: Any, tokenizer: Any, name: str = "model", batch_size: int = 16,
                 progress: bool = False, score_batch_size: int = 64):
        self.model, self.tokenizer, self.name = model, tokenizer, name
        self.batch_size = batch_size
        self.score_batch_size = score_batch_size
        self.progress = progress
        self.stats: dict[str, float] = {"generated_tokens": 0, "generate_s": 0.0, "scored_tokens": 0, "score_s": 0.0}

    @classmethod
    def load(cls, name: str | None = None, cache_dir: Any = None, threads: int | None = None, **kwargs: Any) -> CausalLM:
        """Load `name` (default smollm2-135m-instruct) with `srllm.models.load_causal_lm`."""
        import torch

        from srllm.models import DEFAULT_GENERATOR, load_causal_lm

        if threads:
            torch.set_num_threads(threads)
        name = name or DEFAULT_GENERATOR
        model, tokenizer = load_causal_lm(name, cache_dir=cache_dir)
        return cls(model, tokenizer, name=name, **kwargs)

    def _prefix(self) -> list[int]:
        tok = self.tokenizer
        token = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        return [] if token is None else [int(token)]

    def _bar(self, total: int, desc: str) -> Any:
        return _progress_bar(self.progress, total, desc)

    def loglikelihoods(self, texts: Sequence[str], desc: str = "log-likelihood") -> list[Likelihood | None]:
        """One Likelihood per text (None for an empty text)."""
        import torch

        prefix = self._prefix()
        encoded = [self.tokenizer(t, add_special_tokens=False)["input_ids"] if t and t.strip() else [] for t in texts]
        out: list[Likelihood | None] = [None] * len(texts)
        order = sorted((i for i in range(len(texts)) if encoded[i]), key=lambda i: -len(encoded[i]))
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else (prefix or [0])[0]
        started, bar = time.perf_counter(), self._bar(len(order), desc)
        device = next(self.model.parameters()).device
        with torch.inference_mode():
            for start in range(0, len(order), self.score_batch_size):
                batch = order[start:start + self.score_batch_size]
                rows = [prefix + encoded[i] for i in batch]
                width = max(len(r) for r in rows)
                ids = torch.full((len(rows), width), pad, dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for k, row in enumerate(rows):
                    ids[k, :len(row)] = torch.tensor(row)
                    mask[k, :len(row)] = 1
                logits = self.model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits[:, :-1].float()
                target = ids[:, 1:].to(device)
                picked = logits.gather(-1, target.unsqueeze(-1)).squeeze(-1)
                token_lp = (picked - torch.logsumexp(logits, dim=-1)) * mask[:, 1:].to(device)
                skip = len(prefix) - 1 if prefix else 0  # with no prefix the first token is not scored
                for k, i in enumerate(batch):
                    n = len(rows[k]) - 1 - skip
                    out[i] = Likelihood(float(token_lp[k, skip:].sum()), n)
                    self.stats["scored_tokens"] += n
                if bar is not None:
                    bar.update(len(batch))
        if bar is not None:
            bar.close()
        self.stats["score_s"] += time.perf_counter() - started
        return out

    def generate(self, prompts: Sequence[str], max_new_tokens: int = 30, stop_at_newline: bool = True,
                 desc: str = "generate") -> list[str]:
        """Greedy continuation of each raw prompt (no chat template), cut at the first newline."""
        import torch

        tok = self.tokenizer
        encoded = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
        order = sorted(range(len(prompts)), key=lambda i: (-len(encoded[i]), i))
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        outputs = [""] * len(prompts)
        started, bar = time.perf_counter(), self._bar(len(order), desc)
        device = next(self.model.parameters()).device
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                width = max(len(encoded[i]) for i in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for k, i in enumerate(batch):  # left padding: each row continues as if alone
                    ids[k, width - len(encoded[i]):] = torch.tensor(encoded[i])
                    mask[k, width - len(encoded[i]):] = 1
                # stop_strings: a row stops at its first newline (after some text), so short lines cost less
                stops = {"stop_strings": ["\n"], "tokenizer": tok} if stop_at_newline else {}
                out = self.model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), do_sample=False,
                                          max_new_tokens=max_new_tokens, pad_token_id=pad, num_beams=1,
                                          temperature=None, top_p=None, top_k=None, **stops)
                for k, i in enumerate(batch):
                    new = out[k, width:].tolist()
                    self.stats["generated_tokens"] += sum(t != pad for t in new)
                    text = tok.decode(new, skip_special_tokens=True)
                    if stop_at_newline:
                        text = text.lstrip("\n").split("\n", 1)[0]
                    outputs[i] = text.strip()
                if bar is not None:
                    bar.update(len(batch))
        if bar is not None:
            bar.close()
        self.stats["generate_s"] += time.perf_counter() - started
        return outputs


class GGUFCausalLM:
    """`CausalLM.loglikelihoods` for a GGUF model in llama.cpp (the joined Qwen2.5-Coder-1.5B has no
    transformers weights here). One text at a time: ``<bos> + tokens`` is evaluated with every
    position's logits kept, and each token is scored given the ones before it, as in `CausalLM`.
    Texts longer than the context (`n_ctx` - 1 tokens) are scored on their first ``n_ctx - 1`` tokens."""

    def __init__(self, llm: Any, name: str = "model", progress: bool = False):
        self.llm, self.name, self.progress = llm, name, progress
        self.stats: dict[str, float] = {"generated_tokens": 0, "generate_s": 0.0, "scored_tokens": 0, "score_s": 0.0}

    @classmethod
    def load(cls, name: str, threads: int | None = None, n_ctx: int = 512, progress: bool = False,
             **_: Any) -> GGUFCausalLM:
        from srllm.backends import require_llama_cpp
        from srllm.backends.llamacpp import gguf_path, open_llama

        require_llama_cpp()
        return cls(open_llama(gguf_path(name), n_ctx=n_ctx, n_threads=threads, logits_all=True), name=name,
                   progress=progress)

    def _prefix(self) -> list[int]:
        bos, eos = self.llm.token_bos(), self.llm.token_eos()
        token = bos if bos is not None and bos >= 0 else eos
        return [] if token is None or token < 0 else [int(token)]

    def loglikelihoods(self, texts: Sequence[str], desc: str = "log-likelihood") -> list[Likelihood | None]:
        """One Likelihood per text (None for an empty text)."""
        import numpy as np

        llm, prefix = self.llm, self._prefix()
        out: list[Likelihood | None] = [None] * len(texts)
        started, bar = time.perf_counter(), _progress_bar(self.progress, len(texts), desc)
        for i, text in enumerate(texts):
            if bar is not None:
                bar.update(1)
            if not text or not text.strip():
                continue
            tokens = (prefix + llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))[: llm.n_ctx()]
            skip = len(prefix) - 1 if prefix else 0  # with no prefix the first token is not scored
            if len(tokens) - 1 - skip <= 0:
                continue
            llm.reset()
            llm.eval(tokens)
            logits = np.asarray(llm.scores[: len(tokens) - 1], dtype=np.float64)
            peak = logits.max(axis=1, keepdims=True)
            log_norm = np.log(np.exp(logits - peak).sum(axis=1)) + peak[:, 0]
            token_lp = logits[np.arange(len(tokens) - 1), tokens[1:]] - log_norm
            n = len(tokens) - 1 - skip
            out[i] = Likelihood(float(token_lp[skip:].sum()), n)
            self.stats["scored_tokens"] += n
        if bar is not None:
            bar.close()
        self.stats["score_s"] += time.perf_counter() - started
        return out


def load_scorer(name: str, backend: str = "transformers", threads: int | None = None,
                **kwargs: Any) -> CausalLM | GGUFCausalLM:
    """The log-likelihood scorer of model `name` on `backend`: "transformers" (`CausalLM`) or
    "llama-cpp" (`GGUFCausalLM`, for a GGUF model)."""
    if backend == "llama-cpp":
        return GGUFCausalLM.load(name, threads=threads, **kwargs)
    if backend == "transformers":
        return CausalLM.load(name, threads=threads, **kwargs)
    raise ValueError(f"unknown likelihood backend {backend!r}; expected 'transformers' or 'llama-cpp'")
