"""`Rewriter`: batched rewriting with a transformers causal LM (greedy, or seeded sampling).

torch, transformers and peft are imported inside functions only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

from srllm.generate.adapters import resolve_adapter
from srllm.generate.cpu import _cpu_threads, quantize_int8
from srllm.generate.prompting import _TextStop, cut_at_stop
from srllm.generate.recipe import PromptRecipe, check_sampling
from srllm.taxonomy import INSTRUCTION, SYSTEM_PROMPT

DEFAULT_BATCH_SIZE = 16
DEFAULT_MAX_NEW_TOKENS = 64


class Rewriter(PromptRecipe):
    """A model, its tokenizer and a prompt recipe (format, system prompt, instruction, few-shot
    examples); calling it rewrites a list of texts with greedy decoding.

    `last_stats` holds the counts of the latest `rewrite` call: texts, generated tokens, seconds,
    and how many outputs stopped at `max_new_tokens` rather than at the end of the turn.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        format: str = "auto",
        system: str = SYSTEM_PROMPT,
        instruction: str = INSTRUCTION,
        few_shot: Sequence[tuple[str, str]] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        progress: bool | str = False,
        name: str | None = None,
    ):
        self.model = model
        self.tokenizer = tokenizer
        self._set_recipe(tokenizer, format, system, instruction, few_shot, max_new_tokens, name)
        self.batch_size = batch_size
        self.progress = progress

    @classmethod
    def load(
        cls,
        model: str | None = None,
        adapter: str | os.PathLike[str] | None = None,
        format: str = "auto",
        few_shot: Sequence[tuple[str, str]] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        dtype: Any = None,
        device: str | None = None,
        threads: int | None = None,
        merge: bool = True,
        quantize: str | None = None,
        **kwargs: Any,
    ) -> Rewriter:
        """Load a base model (default: the adapter's base, else smollm2-135m-instruct) and, when
        given, a peft adapter folder, merged into the weights for speed (`merge`).

        With an adapter, ``format="auto"`` means the format it was trained with (its
        `srllm_run.json`), and passing a different base model than the one it was trained on is an
        error. `device` defaults to cuda when available; `threads` caps torch's CPU threads
        (default: the cores this process may use). ``quantize="int8"`` (CPU only, after merging)
        swaps every Linear layer for PyTorch's dynamic int8 one (weights int8, activations quantised
        per batch): faster generation on CPU, outputs close to but not always equal to fp32's.
        Other keyword arguments go to `Rewriter()`.
        """
        import torch

        from srllm.models import DEFAULT_GENERATOR, load_causal_lm

        model, format, run = resolve_adapter(model, adapter, format)
        model = model or DEFAULT_GENERATOR
        wanted = threads or _cpu_threads()
        if threads is not None or torch.get_num_threads() > wanted:
            torch.set_num_threads(wanted)
        base, tokenizer = load_causal_lm(model, cache_dir=cache_dir, dtype=dtype)
        if adapter is not None:
            from peft import PeftModel

            base = PeftModel.from_pretrained(base, str(adapter))
            if merge:
                base = base.merge_and_unload()
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        base = base.to(device)
        base.eval()
        if quantize is not None:
            base = quantize_int8(base, quantize, device, merged=adapter is None or merge)
        rewriter = cls(base, tokenizer, format=format, few_shot=few_shot, **kwargs)
        rewriter.info = {"model": model, "adapter": str(adapter) if adapter is not None else None,
                         "format": rewriter.format, "few_shot": len(rewriter.few_shot), "device": device,
                         "threads": torch.get_num_threads(), "quantize": quantize, "adapter_run": {k: run.get(k) for k in ("model", "format", "method")} if run else None}
        return rewriter

    def with_few_shot(self, few_shot: Sequence[tuple[str, str]] | None, **kwargs: Any) -> Rewriter:
        """Another Rewriter on the same model and tokenizer with other few-shot examples."""
        settings = dict(format=self.format, system=self.system, instruction=self.instruction,
                        batch_size=self.batch_size, max_new_tokens=self.max_new_tokens, progress=self.progress,
                        name=self.name)
        settings.update(kwargs)
        other = type(self)(self.model, self.tokenizer, few_shot=few_shot, **settings)
        other.info = {**self.info, "few_shot": len(other.few_shot)}
        return other

    def rewrite(
        self, texts: Sequence[str], batch_size: int | None = None, max_new_tokens: int | None = None,
        progress: bool | str | None = None,
    ) -> list[str]:
        """The rewrite of each text, in order. Texts are batched by prompt length (longest first)
        to waste little padding; padding is on the left, so each row is decoded as if alone."""
        return self._generate(list(texts), batch_size, max_new_tokens, progress, None)

    def candidates(
        self, texts: Sequence[str], n: int = 4, *, temperature: float = 0.8, top_p: float = 0.95, seed: int = 0,
        batch_size: int | None = None, max_new_tokens: int | None = None,
    ) -> list[list[str]]:
        """`n` sampled rewrites of each text (nucleus sampling), for retries when the greedy rewrite
        fails a check. Seeded: ``torch.manual_seed(seed + k)`` before the k-th batch, so the same
        call gives the same candidates."""
        check_sampling(n, temperature, top_p)
        flat = [t for t in texts for _ in range(n)]
        sampling = {"temperature": temperature, "top_p": top_p, "seed": seed}
        out = self._generate(flat, batch_size, max_new_tokens, False, sampling)
        return [out[i * n : (i + 1) * n] for i in range(len(texts))]

    def _generate(
        self, texts: list[str], batch_size: int | None, max_new_tokens: int | None, progress: bool | str | None,
        sampling: dict[str, Any] | None,
    ) -> list[str]:
        import torch

        batch_size = batch_size or self.batch_size
        max_new_tokens = max_new_tokens or self.max_new_tokens
        progress = self.progress if progress is None else progress
        if batch_size < 1 or max_new_tokens < 1:
            raise ValueError("batch_size and max_new_tokens must be positive")
        tok = self.tokenizer
        prompts = [self.prompt(t) for t in texts]
        encoded = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
        order = sorted(range(len(texts)), key=lambda i: (-len(encoded[i]), i))
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        eos_ids = self._eos_ids()
        end_ids = {*eos_ids, pad_id}  # rows that finished early are filled with pad_id
        special = set(getattr(tok, "all_special_tokens", ()))
        textual = [s for s in self.stops if s not in special]  # e.g. "</s>" for a non-Llama tokenizer
        outputs: list[str] = [""] * len(texts)
        generated = truncated = 0
        device = next(self.model.parameters()).device
        started = time.perf_counter()
        iterator: Any = batches
        if progress:
            from tqdm.auto import tqdm

            iterator = tqdm(batches, desc=progress if isinstance(progress, str) else "rewrite", unit="batch")
        with torch.inference_mode():
            for batch_number, batch in enumerate(iterator):
                width = max(len(encoded[i]) for i in batch)
                ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    n = len(encoded[i])
                    ids[row, width - n :] = torch.tensor(encoded[i], dtype=torch.long)
                    mask[row, width - n :] = 1
                extra: dict[str, Any] = {}
                if textual:
                    from transformers import StoppingCriteriaList

                    extra["stopping_criteria"] = StoppingCriteriaList([_TextStop(tok, textual, width)])
                if sampling is None:
                    decoding: dict[str, Any] = {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
                else:
                    torch.manual_seed(sampling["seed"] + batch_number)
                    decoding = {"do_sample": True, "temperature": sampling["temperature"], "top_p": sampling["top_p"],
                                "top_k": None}
                out = self.model.generate(
                    input_ids=ids.to(device), attention_mask=mask.to(device),
                    max_new_tokens=max_new_tokens, pad_token_id=pad_id, eos_token_id=eos_ids,
                    num_beams=1, **decoding, **extra,
                )
                for row, i in enumerate(batch):
                    new = out[row, width:].tolist()
                    ends = [k for k, t in enumerate(new) if t in end_ids]
                    if ends:
                        new = new[: ends[0]]
                    generated += len(new) + (1 if ends else 0)
                    text = tok.decode(new, skip_special_tokens=False)
                    if not ends and not any(stop in text for stop in self.stops):
                        truncated += 1  # ran out of new tokens before the end of the turn
                    outputs[i] = self._strip_special(cut_at_stop(text, self.stops))
        seconds = time.perf_counter() - started
        self.last_stats = {
            "texts": len(texts), "generated_tokens": generated, "seconds": round(seconds, 3),
            "tokens_per_s": round(generated / seconds, 2) if seconds > 0 else None,
            "truncated": truncated, "batch_size": batch_size, "max_new_tokens": max_new_tokens,
            "decoding": "greedy" if sampling is None else f"sampled (temperature {sampling['temperature']}, top_p {sampling['top_p']})",
        }
        return outputs

    def _eos_ids(self) -> list[int]:
        ids: list[int] = []
        config_eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        for value in (self.tokenizer.eos_token_id, config_eos):
            for token in value if isinstance(value, (list, tuple)) else [value]:
                if token is not None and token not in ids:
                    ids.append(int(token))
        for stop in self.stops:  # single-token stop strings the tokenizer knows as special tokens
            token = self.tokenizer.convert_tokens_to_ids(stop)
            if stop in getattr(self.tokenizer, "all_special_tokens", ()) and isinstance(token, int) and token not in ids:
                ids.append(token)
        return ids
