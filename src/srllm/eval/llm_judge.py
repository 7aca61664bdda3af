"""LLM-as-judge: a chat model is shown the SR_LLM taxonomy (`srllm.taxonomy.DEFINITIONS`) and asked
whether a text is Unsafe or Benign.

The judge talks to any backend with ``chat(messages, max_tokens, temperature, seed) -> str``
(`ChatModel`): `TransformersChat` wraps a local causal LM (default the packaged SmolLM2-135M), and a
GGUF model (``--judge llm:qwen2.5-coder-1.5b-instruct``) runs on llama.cpp
(`srllm.backends.llamacpp.LlamaCppRewriter.chat`). The answer's first "Unsafe" or
"Benign" decides; an answer with neither counts as Benign and is counted in ``unparsed``. Only the
verdict is judged: a report's per-category labels stay at their lowest level.
`agreement` measures the judge against human labels (accuracy, Cohen's kappa, F1 of Unsafe).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from srllm.classify.report import RiskReport
from srllm.taxonomy import CATEGORIES, DEFINITIONS, LEVELS

_ANSWER = re.compile(r"\b(unsafe|benign)\b", re.IGNORECASE)


@runtime_checkable
class ChatModel(Protocol):
    def chat(self, messages: list[dict], max_tokens: int, temperature: float, seed: int) -> str: ...


def judge_messages(text: str) -> list[dict[str, str]]:
    """The system prompt (the taxonomy and the Annotation rule) and the text to judge."""
    rules = "\n".join(f"- {c} ({'/'.join(LEVELS[c])}): {DEFINITIONS[c]}" for c in CATEGORIES)
    system = ("You are a content-safety judge. Risk categories:\n" + rules
              + f"\nAnnotation: {DEFINITIONS['annotation']}\nAnswer with one word: Unsafe or Benign.")
    return [{"role": "system", "content": system}, {"role": "user", "content": f"Text: {text}\nAnswer:"}]


def parse_answer(reply: str) -> str | None:
    match = _ANSWER.search(reply)
    return match.group(1).capitalize() if match else None


class TransformersChat:
    """`ChatModel` on a transformers causal LM with a chat template (greedy at temperature 0)."""

    def __init__(self, model: Any, tokenizer: Any):
        self.model, self.tokenizer = model, tokenizer

    @classmethod
    def load(cls, name: str | None = None, cache_dir: Any = None) -> TransformersChat:
        from srllm.models import DEFAULT_GENERATOR, load_causal_lm

        return cls(*load_causal_lm(name or DEFAULT_GENERATOR, cache_dir))

    def chat(self, messages: list[dict], max_tokens: int, temperature: float, seed: int) -> str:
        import torch

        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                 return_dict=True)
        torch.manual_seed(seed)
        sample = temperature > 0
        with torch.inference_mode():
            out = self.model.generate(**ids, max_new_tokens=max_tokens, do_sample=sample,
                                      temperature=temperature if sample else None, top_p=None, top_k=None,
                                      pad_token_id=self.tokenizer.eos_token_id)
        return self.tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)


class LLMJudge:
    """A `Scorer` whose verdicts come from a `ChatModel`."""

    name = "llm"

    def __init__(self, chat: ChatModel, max_tokens: int = 4, temperature: float = 0.0, seed: int = 0):
        if not isinstance(chat, ChatModel):
            raise TypeError("the LLM judge needs an object with chat(messages, max_tokens, temperature, seed)")
        self.chat_model, self.max_tokens, self.temperature, self.seed = chat, max_tokens, temperature, seed
        self.unparsed = 0
        self.seconds = 0.0

    @classmethod
    def load(cls, model: str | None = None, **kwargs: Any) -> LLMJudge:
        """The judge on `model` (default: the packaged SmolLM2-135M): a GGUF model (the 1.5B Qwen2.5)
        runs on llama.cpp where llama-cpp-python is installed, anything else on transformers."""
        from srllm.backends import llama_cpp_available
        from srllm.models import ModelError, resolve

        try:
            gguf = model is not None and resolve(model, kind="causal-lm").is_gguf
        except ModelError:
            gguf = False  # not a known model: transformers reports what is wrong with it
        if gguf and llama_cpp_available():
            from srllm.backends.llamacpp import LlamaCppRewriter

            return cls(LlamaCppRewriter.load(model), **kwargs)
        return cls(TransformersChat.load(model), **kwargs)

    def predict(self, texts: list[str]) -> list[RiskReport]:
        started = time.perf_counter()
        reports = []
        for text in texts:
            verdict = parse_answer(self.chat_model.chat(judge_messages(text), self.max_tokens, self.temperature, self.seed))
            self.unparsed += verdict is None
            unsafe = verdict == "Unsafe"
            report = RiskReport(text=text, labels={c: LEVELS[c][0] for c in CATEGORIES},
                                probabilities={"unsafe": {"Benign": float(not unsafe), "Unsafe": float(unsafe)}},
                                unsafe_score=float(unsafe), unsafe=unsafe)
            report.annotation = "Unsafe" if unsafe else "Benign"  # the verdict; the per-category levels are not judged
            reports.append(report)
        self.seconds += time.perf_counter() - started
        return reports


def agreement(judge: Any, texts: Sequence[str], gold_unsafe: Sequence[bool]) -> dict[str, Any]:
    """The judge's verdicts against human labels: the `judge-agreement` benchmark's row (accuracy with
    its Wilson interval, Cohen's kappa, F1 of Unsafe, AUROC, seconds per text), plus the counts."""
    from srllm.eval.benchmarks.judge_agreement import agreement_row

    started = time.perf_counter()
    reports = judge.predict(list(texts))
    gold = [bool(g) for g in gold_unsafe]
    row = agreement_row(getattr(judge, "name", type(judge).__name__), gold, reports, time.perf_counter() - started)
    return {**row, "predicted_unsafe": sum(bool(r.unsafe) for r in reports), "gold_unsafe": sum(gold),
            "unparsed": getattr(judge, "unparsed", None)}
