"""Rewrite texts with a causal LM: zero-shot, few-shot, or with a trained LoRA adapter.

`Rewriter` builds each prompt with the same functions the trainer uses (`prompts.sft_pair`), so a
fine-tuned adapter sees at generation exactly the prompt it was trained on, tokenised the same way
(``add_special_tokens=False``: the prompt strings carry their own special tokens). Decoding is
greedy (``do_sample=False``, as in the paper), batched with left padding; only the new tokens are
decoded, cut at the end of the turn (the tokenizer's EOS, ``<|im_end|>``, or Llama-2's ``</s>``)
and stripped. The same inputs give the same outputs, one by one or in a batch. `Rewriter.candidates`
samples a few seeded alternatives per text, for the safety pipeline's retries.

Few-shot prompting puts `FEW_SHOT` demonstrations before the text as earlier conversation turns
(`few_shot_prompt`).

torch, transformers and peft are imported inside functions only.

Parts: `demonstrations` (the few-shot pairs and their check), `prompting` (prompts, stop strings),
`adapters` (an adapter's run file and what it decides at load), `cpu` (threads, int8), `rewriter`
(`Rewriter`). Everything is importable from `srllm.generate`.
"""

from __future__ import annotations

from srllm.generate.adapters import RUN_FILE, read_run_file, resolve_adapter
from srllm.generate.cpu import QUANTIZE, _cpu_threads, quantize_int8  # noqa: F401 - _cpu_threads for the backends
from srllm.generate.demonstrations import FEW_SHOT, FEW_SHOT_DEMONSTRATIONS, Demonstration, check_demonstrations
from srllm.generate.prompting import cut_at_stop, few_shot_prompt, stop_strings
from srllm.generate.rewriter import DEFAULT_BATCH_SIZE, DEFAULT_MAX_NEW_TOKENS, Rewriter

__all__ = [
    "DEFAULT_BATCH_SIZE", "DEFAULT_MAX_NEW_TOKENS", "FEW_SHOT", "FEW_SHOT_DEMONSTRATIONS", "QUANTIZE", "RUN_FILE",
    "Demonstration", "Rewriter", "check_demonstrations", "cut_at_stop", "few_shot_prompt", "quantize_int8",
    "read_run_file", "resolve_adapter", "stop_strings",
]
