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
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srllm.prompts import (
    B_INST,
    B_SYS,
    BOS,
    E_INST,
    E_SYS,
    EOS,
    FORMATS,
    _check_tags,
    chat_messages,
    default_format,
    sft_pair,
    user_message,
)
from srllm.taxonomy import INSTRUCTION, SYSTEM_PROMPT

log = logging.getLogger(__name__)

RUN_FILE = "srllm_run.json"  # written by srllm.train.sft beside (and inside) the adapter folder
DEFAULT_BATCH_SIZE = 16
DEFAULT_MAX_NEW_TOKENS = 64


@dataclass(frozen=True)
class Demonstration:
    """One few-shot example: a corpus TRAIN row and its benign variation, copied verbatim."""

    id: str
    kind: str
    text: str
    rewrite: str

    @property
    def pair(self) -> tuple[str, str]:
        return self.text, self.rewrite


#: The few-shot safety prompt's demonstrations. The paper's own few-shot prompt (SR_LLM Appendix
#: F.1) could not be retrieved offline, so this one is ours: three fixed pairs copied from the TRAIN
#: split of the corpus (`srllm data build`, seed 13), one per kind of rewrite the corpus teaches:
#: removing toxicity (ParaDetox), gender-neutral rewriting (Neutral Rewriter), and replacing a
#: stereotype (the synthetic set). They are hard-coded so they can never come from a test split;
#: `check_demonstrations` verifies that against an evaluation file at run time.
FEW_SHOT_DEMONSTRATIONS: tuple[Demonstration, ...] = (
    Demonstration(
        id="paradetox:10017",
        kind="toxic -> neutral",
        text="who gives a shit if they 're drunk and high ?",
        rewrite="who cares if they're drunk and high?",
    ),
    Demonstration(
        id="neutral_rewriter:OpenSubtitles:101",
        kind="gendered -> neutral",
        text="That's what she wanted me to tell you",
        rewrite="That's what they wanted me to tell you",
    ),
    Demonstration(
        id="synthetic:stereotype:101",
        kind="stereotype -> neutral",
        text="The problem with twenty-somethings is that they're lazy.",
        rewrite="There's no single story about twenty-somethings; work ethic differs from person to person.",
    ),
)
#: The demonstrations as (text, rewrite) pairs, the form `Rewriter` takes.
FEW_SHOT: tuple[tuple[str, str], ...] = tuple(d.pair for d in FEW_SHOT_DEMONSTRATIONS)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_demonstrations(records: Sequence[Any], demonstrations: Sequence[Demonstration] = FEW_SHOT_DEMONSTRATIONS) -> None:
    """Raise ValueError when a demonstration's id, text or rewrite occurs among `records` (CMD rows
    of an evaluation split): a few-shot prompt must not show the model an item it is scored on."""
    ids = {d.id: d for d in demonstrations}
    texts = {_norm(t): d for d in demonstrations for t in (d.text, d.rewrite)}
    for record in records:
        hit = ids.get(record.id)
        if hit is None:
            for value in (record.text, getattr(record, "benign_variation", None)):
                if value is not None and _norm(value) in texts:
                    hit = texts[_norm(value)]
                    break
        if hit is not None:
            raise ValueError(
                f"few-shot demonstration {hit.id!r} occurs in the evaluation data (row {record.id!r}); "
                "the demonstrations must come from the train split"
            )


# --- prompts -----------------------------------------------------------------------------------


def few_shot_prompt(
    tokenizer: Any,
    text: str,
    examples: Sequence[tuple[str, str]] = FEW_SHOT,
    format: str = "chat",
    system: str = SYSTEM_PROMPT,
    instruction: str = INSTRUCTION,
) -> str:
    """The prompt for `text` with `examples` as earlier turns of the conversation.

    chat: system, then a user/assistant turn per example (the user turn is the instruction and the
    example text, exactly as for the text to rewrite), then the user turn with `text` and the
    generation prompt, rendered by the model's chat template. llama2: Meta's multi-turn format
    (``llama/generation.py``, ``chat_completion``): the system message folded into the first user
    turn, each answered turn as ``<s>[INST] {user} [/INST] {answer} </s>``, and the last turn as
    ``<s>[INST] {user} [/INST]``. Without examples this is ``sft_pair(...)[0]``, the training prompt.
    """
    if not examples:
        return sft_pair(tokenizer, text, "", format, system, instruction)[0]
    if format == "llama2":
        _check_tags(text=text, system=system, instruction=instruction)
        users = [user_message(t, instruction) for t, _ in examples] + [user_message(text, instruction)]
        users[0] = B_SYS + system + E_SYS + users[0]
        parts = []
        for user, (example_text, answer) in zip(users, examples):
            _check_tags(example=example_text, answer=answer)
            parts.append(f"{BOS}{B_INST} {user.strip()} {E_INST} {answer.strip()} {EOS}")
        parts.append(f"{BOS}{B_INST} {users[-1].strip()} {E_INST}")
        return "".join(parts)
    if format != "chat":
        raise ValueError(f"format {format!r} is not one of {list(FORMATS)}")
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(
            f"{getattr(tokenizer, 'name_or_path', 'this tokenizer')!r} has no chat template; use the 'llama2' format"
        )

    def messages(sys: str | None, instr: str) -> list[dict[str, str]]:
        turns = [{"role": "system", "content": sys}] if sys is not None else []
        for example_text, answer in examples:
            turns += chat_messages(example_text, answer, None, instr)
        return turns + chat_messages(text, None, None, instr)

    kwargs = {"tokenize": False, "add_generation_prompt": True}
    try:
        return tokenizer.apply_chat_template(messages(system, instruction), **kwargs)
    except Exception as exc:  # a template that rejects the system role: as render_with_chat_template
        if "system" not in str(exc).lower():
            raise
        return tokenizer.apply_chat_template(messages(None, f"{system}\n\n{instruction}"), **kwargs)


def stop_strings(tokenizer: Any, format: str) -> list[str]:
    """The strings that end an answer: the EOS token, the chat end-of-turn markers the tokenizer
    knows as special tokens, and in the llama2 format ``</s>`` and a new ``[INST]`` (plain text for
    tokenizers whose EOS is not ``</s>``)."""
    special = set(getattr(tokenizer, "all_special_tokens", ()))
    stops = [getattr(tokenizer, "eos_token", None)]
    stops += [s for s in ("<|im_end|>", "<|eot_id|>", "<end_of_turn>") if s in special]
    if format == "llama2":
        stops += [EOS, B_INST]
    return list(dict.fromkeys(s for s in stops if s))


class _TextStop:
    """A stopping criterion: a row is done once its last few new tokens contain one of `stops` as
    text (a decode of a short tail per row and step, for stop strings that are not single tokens)."""

    def __init__(self, tokenizer: Any, stops: Sequence[str], prompt_width: int):
        self.tokenizer = tokenizer
        self.stops = list(stops)
        self.prompt_width = prompt_width
        self.window = 2 + max(len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in self.stops)

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        tail = input_ids[:, max(self.prompt_width, input_ids.shape[1] - self.window) :]
        texts = self.tokenizer.batch_decode(tail, skip_special_tokens=False)
        return torch.tensor([any(s in t for s in self.stops) for t in texts], dtype=torch.bool,
                            device=input_ids.device)


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    """`text` up to the first stop string, stripped."""
    end = len(text)
    for stop in stops:
        at = text.find(stop)
        if at != -1:
            end = min(end, at)
    return text[:end].strip()


# --- adapters ----------------------------------------------------------------------------------


def read_run_file(adapter: str | os.PathLike[str]) -> dict[str, Any]:
    """The trainer's `srllm_run.json` of an adapter folder (inside it, else beside it); {} when absent."""
    folder = Path(adapter)
    for candidate in (folder / RUN_FILE, folder.parent / RUN_FILE):
        if candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8"))
    return {}


def _cpu_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


QUANTIZE = ("int8",)


def quantize_int8(model: Any, quantize: str, device: str, merged: bool = True) -> Any:
    """`model` with dynamic int8 Linear layers (``torch.ao.quantization.quantize_dynamic``), all but
    the output projection (tied to the embeddings; quantising its 49k rows costs the most quality)."""
    import torch

    if quantize not in QUANTIZE:
        raise ValueError(f"quantize {quantize!r} is not one of {list(QUANTIZE)}")
    if device != "cpu":
        raise ValueError(f"quantize={quantize!r} is a CPU backend; device is {device!r}")
    if not merged:
        raise ValueError("quantize needs the adapter merged into the weights (merge=True)")
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    spec = {name: default_dynamic_qconfig for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and module is not output}
    return quantize_dynamic(model, spec, dtype=torch.qint8)


# --- the rewriter ------------------------------------------------------------------------------


class Rewriter:
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
        self.format = default_format(tokenizer) if format == "auto" else format
        if self.format not in FORMATS:
            raise ValueError(f"format {format!r} is not one of {['auto', *FORMATS]}")
        self.system = system
        self.instruction = instruction
        self.few_shot = [tuple(pair) for pair in few_shot or ()]
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.progress = progress
        self.name = name
        self.stops = stop_strings(tokenizer, self.format)
        self.last_stats: dict[str, Any] = {}
        self.info: dict[str, Any] = {}

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

        run: dict[str, Any] = {}
        if adapter is not None:
            if not (Path(adapter) / "adapter_config.json").is_file():
                raise FileNotFoundError(f"{adapter}: not a peft adapter folder (no adapter_config.json)")
            run = read_run_file(adapter)
            trained_on = run.get("model")
            if model is not None and trained_on and model != trained_on:
                raise ValueError(f"adapter {adapter} was trained on {trained_on!r}, not {model!r}")
            model = model or trained_on
            if format == "auto" and run.get("format"):
                format = run["format"]
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

    def prompt(self, text: str) -> str:
        """The prompt string for `text` (the training prompt, after the few-shot turns if any)."""
        return few_shot_prompt(self.tokenizer, text, self.few_shot, self.format, self.system, self.instruction)

    def __call__(self, texts: Sequence[str]) -> list[str]:
        return self.rewrite(texts)

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
        if n < 1 or temperature <= 0 or not 0 < top_p <= 1:
            raise ValueError(f"need n >= 1, temperature > 0 and 0 < top_p <= 1 (got {n}, {temperature}, {top_p})")
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

    def _strip_special(self, text: str) -> str:
        for special in getattr(self.tokenizer, "all_special_tokens", ()):
            if special and special in text:
                text = text.replace(special, "")
        return text.strip()
