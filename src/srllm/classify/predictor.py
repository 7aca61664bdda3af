"""`Classifier`: load a trained risk classifier folder and turn texts into `RiskReport`s.

A classifier folder holds ``classifier.json`` (heads and their levels, temperatures, decision
thresholds, maximum length, metrics), ``tokenizer.json``, and the weights: ``model.onnx`` (the
shipped form: int8 ONNX Runtime, no torch needed) and/or ``model.safetensors`` (full torch
weights, written by training). Texts are tokenised with the `tokenizers` library, sorted by length
and batched with padding to the longest text of each batch (dynamic padding + length bucketing),
then scored; results come back in input order. The ONNX backend runs its batches on `threads`
worker threads, one core each (one session, ``intra_op_num_threads=1``): on small batches that beats
one batch at a time on all cores, 1.13-1.27x with spans on 2 cores (`benchmarks/bench_classify.py`),
with the same logits, since each batch is computed the same way whichever thread runs it.

Decisions: binary heads (bias, unsafe) use the threshold stored for them (chosen on dev), other
heads the most probable calibrated level. Probabilities are temperature-scaled per head.

Word spans: a classifier trained with a token head (``token_head: true``) returns the flagged words
from the same forward pass (`srllm.classify.spans`, threshold ``thresholds["span"]`` chosen on dev);
occlusion (`srllm.classify.explain`, one extra pass per word) stays available as ``explain="occlusion"``.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from srllm.classify.calibration import softmax_t
from srllm.classify.report import UNSAFE_HEAD, RiskReport, Span
from srllm.taxonomy import CATEGORIES

CONFIG_FILE = "classifier.json"
TOKENIZER_FILE = "tokenizer.json"
ONNX_FILE = "model.onnx"
TORCH_FILE = "model.safetensors"
SHIPPED_DIR = "classifier-minilm"
BACKENDS = ("auto", "onnx", "torch")
#: How `Classifier.predict` finds word spans: the token head, occlusion, or the best available ("auto").
EXPLAIN_METHODS = ("auto", "head", "occlusion")
#: For binary heads, which level is "positive" when a threshold is applied.
POSITIVE_LEVEL = {"bias": "Yes", UNSAFE_HEAD: "Unsafe"}


class ClassifierError(RuntimeError):
    """A classifier folder that cannot be loaded; the message says what is missing."""


def shipped_path() -> Path:
    """The classifier folder that ships inside the package."""
    return Path(str(resources.files("srllm") / "assets" / SHIPPED_DIR))


@dataclass
class ClassifierConfig:
    """The contents of ``classifier.json``."""

    levels: dict[str, list[str]]
    max_length: int = 128
    encoder: str = "minilm-l6-v2"
    temperatures: dict[str, float] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    dropout: float = 0.1
    token_head: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path) -> ClassifierConfig:
        path = folder / CONFIG_FILE
        if not path.is_file():
            raise ClassifierError(f"{folder}: not a classifier folder (no {CONFIG_FILE}); train one with "
                                  "`srllm train classifier` or use the shipped one")
        data = json.loads(path.read_text(encoding="utf-8"))
        missing = {"levels"} - set(data)
        if missing:
            raise ClassifierError(f"{path}: missing field(s) {sorted(missing)}")
        return cls(**data)

    def write(self, folder: Path) -> None:
        (folder / CONFIG_FILE).write_text(json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n", encoding="utf-8")


Batch = tuple[np.ndarray, np.ndarray]  # input ids and attention mask, (rows, width) int64 each


class _Backend:
    #: how many batches the backend scores at once (`Classifier.score` makes at least this many)
    workers = 1

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def logits_many(self, batches: Iterable[Batch]) -> Iterator[dict[str, np.ndarray]]:
        """`logits` of each batch, in order."""
        return (self.logits(ids, mask) for ids, mask in batches)


class _OnnxBackend(_Backend):
    def __init__(self, path: Path, levels: dict[str, list[str]], threads: int | None, workers: int | None = None):
        import onnxruntime as ort

        cores = threads or _cpu_count()
        self.workers = max(1, min(workers or cores, cores))
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, cores // self.workers)  # the rest is parallel across batches
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: on a shared CPU (a server next to a generator,
        # batch jobs next to training) spinning threads steal the cores the other work needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.levels = levels
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def logits_many(self, batches: Iterable[Batch]) -> Iterator[dict[str, np.ndarray]]:
        """`logits` of each batch, in order, `workers` at a time; batches are read as workers free up,
        so at most 2 x `workers` padded batches exist at once."""
        if self.workers == 1:
            yield from super().logits_many(batches)
            return
        with self._pool_lock:  # `InferenceSession.run` is thread-safe and releases the GIL
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="srllm-classify")
        running: deque[Future[dict[str, np.ndarray]]] = deque()
        for ids, mask in batches:
            running.append(self._pool.submit(self.logits, ids, mask))
            if len(running) >= 2 * self.workers:
                yield running.popleft().result()
        while running:
            yield running.popleft().result()

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> dict[str, np.ndarray]:
        from srllm.classify.heads import SPAN_HEAD, split_logits

        outputs = self.session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})
        out = split_logits(outputs[0], self.levels)
        if len(outputs) > 1:
            out[SPAN_HEAD] = outputs[1]
        return out


class _TorchBackend(_Backend):
    def __init__(self, folder: Path, config: ClassifierConfig, threads: int | None):
        import torch

        self.model = load_torch_model(folder, config)
        self.torch = torch
        if threads:
            torch.set_num_threads(threads)

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> dict[str, np.ndarray]:
        with self.torch.inference_mode():
            out = self.model(input_ids=self.torch.from_numpy(input_ids), attention_mask=self.torch.from_numpy(attention_mask))
        return {head: value.float().numpy() for head, value in out.items()}


def load_torch_model(folder: Path, config: ClassifierConfig, attn_implementation: str | None = None) -> Any:
    """The `MultiHeadClassifier` with the folder's torch weights, in eval mode (`attn_implementation`:
    transformers' attention kernel, e.g. ``"eager"``; default: its own choice)."""
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel

    from srllm.classify.model import MultiHeadClassifier
    from srllm.models import resolve

    spec = resolve(config.encoder, kind="encoder")
    encoder = AutoModel.from_config(AutoConfig.from_pretrained(spec.path), attn_implementation=attn_implementation)
    model = MultiHeadClassifier(encoder, config.levels, config.dropout, token_head=config.token_head)
    model.load_state_dict(load_file(str(folder / TORCH_FILE)))
    return model.eval()


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Classifier:
    """Score texts for every risk head; see the module docstring for the folder layout."""

    def __init__(self, folder: str | os.PathLike[str], backend: str = "auto", threads: int | None = None,
                 batch_size: int = 64, batch_workers: int | None = None):
        """`threads`: cores to use (default: all this process may use); `batch_workers`: how many of
        the ONNX backend's batches run at once, each on ``threads // batch_workers`` cores (default:
        `threads`, one core each; 1: one batch at a time on every core)."""
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        if backend not in BACKENDS:
            raise ValueError(f"backend {backend!r} is not one of {list(BACKENDS)}")
        self.config = ClassifierConfig.read(self.folder)
        self.levels = {head: list(names) for head, names in self.config.levels.items()}
        if backend == "auto":
            backend = "onnx" if (self.folder / ONNX_FILE).is_file() else "torch"
        weights = self.folder / (ONNX_FILE if backend == "onnx" else TORCH_FILE)
        if not weights.is_file():
            raise ClassifierError(f"{self.folder}: backend {backend!r} needs {weights.name}, which is not there")
        self.backend_name = backend
        self.backend: _Backend = (_OnnxBackend(weights, self.levels, threads, batch_workers) if backend == "onnx"
                                  else _TorchBackend(self.folder, self.config, threads))
        self.tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(self.config.max_length)
        self.tokenizer.no_padding()
        self.batch_size = batch_size

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> Classifier:
        """The classifier in `path`, or the shipped one."""
        return cls(path or shipped_path(), **kwargs)

    # --- scoring ---------------------------------------------------------------------------------

    def logits(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Raw (uncalibrated) logits per head, shape (len(texts), classes), in input order."""
        return self.score(texts).logits

    def score(self, texts: Sequence[str]) -> Scores:
        """One forward pass over `texts`: head logits, and token span probabilities when the model has a token head."""
        from srllm.classify.heads import SPAN_HEAD

        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        out = {head: np.zeros((len(texts), len(names)), dtype=np.float32) for head, names in self.levels.items()}
        tokens: list[np.ndarray] | None = [np.zeros(0, np.float32)] * len(texts) if self.config.token_head else None
        # at least one batch per worker, so that a few texts still use every core
        size = max(1, min(self.batch_size, math.ceil(len(order) / self.backend.workers)))
        indices = [order[start : start + size] for start in range(0, len(order), size)]

        def padded(index: np.ndarray) -> Batch:
            width = max(len(encodings[i].ids) for i in index)
            ids = np.zeros((len(index), width), dtype=np.int64)
            mask = np.zeros((len(index), width), dtype=np.int64)
            for row, i in enumerate(index):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            return ids, mask

        for index, logits in zip(indices, self.backend.logits_many(padded(index) for index in indices)):
            for head, value in logits.items():
                if head == SPAN_HEAD:
                    if tokens is not None:
                        probs = 1.0 / (1.0 + np.exp(-value.astype(np.float64)))
                        for row, i in enumerate(index):
                            tokens[i] = probs[row, : len(encodings[i].ids)]
                else:
                    out[head][index] = value
        return Scores(out, tokens, [e.offsets for e in encodings])

    def probabilities(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Temperature-scaled probabilities per head."""
        return {head: softmax_t(value, self.config.temperatures.get(head, 1.0))
                for head, value in self.logits(texts).items()}

    def decide(self, head: str, probs: np.ndarray) -> np.ndarray:
        """Index of the decided level for each row of one head's probabilities."""
        names = self.levels[head]
        if head in self.config.thresholds and head in POSITIVE_LEVEL:
            positive = names.index(POSITIVE_LEVEL[head])
            return np.where(probs[:, positive] >= self.config.thresholds[head], positive, 1 - positive)
        return probs.argmax(axis=-1)

    @property
    def has_span_head(self) -> bool:
        return self.config.token_head

    def predict(self, texts: Sequence[str], explain: bool | str = False) -> list[RiskReport]:
        """One `RiskReport` per text; with `explain` (True/"auto", "head" or "occlusion", see
        `EXPLAIN_METHODS`), the spans of the words that drove the scores."""
        texts = list(texts)
        if not texts:
            return []
        method = self._explain_method(explain)
        scores = self.score(texts)
        probs = {head: softmax_t(value, self.config.temperatures.get(head, 1.0)) for head, value in scores.logits.items()}
        decided = {head: self.decide(head, value) for head, value in probs.items()}
        reports = []
        for i, text in enumerate(texts):
            labels = {c: self.levels[c][int(decided[c][i])] for c in CATEGORIES}
            unsafe_p = float(probs[UNSAFE_HEAD][i, self.levels[UNSAFE_HEAD].index("Unsafe")])
            reports.append(RiskReport(
                text=text,
                labels=labels,
                probabilities={h: {n: round(float(p), 6) for n, p in zip(self.levels[h], probs[h][i])} for h in self.levels},
                unsafe_score=round(unsafe_p, 6),
                unsafe=bool(decided[UNSAFE_HEAD][i] == self.levels[UNSAFE_HEAD].index("Unsafe")),
            ))
        if method == "head":
            self._head_spans(reports, scores)
        elif method == "occlusion":
            from srllm.classify.explain import explain_reports

            explain_reports(self, reports)
        from srllm.language import mark

        mark(reports)  # language, and judged=False for text the English models cannot read
        return reports

    def _explain_method(self, explain: bool | str) -> str | None:
        if explain is False or explain is None or explain == "none":
            return None
        method = "auto" if explain is True else explain
        if method not in EXPLAIN_METHODS:
            raise ValueError(f"explain={explain!r}: expected one of {list(EXPLAIN_METHODS)} (or True/False)")
        if method == "auto":
            return "head" if self.has_span_head else "occlusion"
        if method == "head" and not self.has_span_head:
            raise ClassifierError(f"{self.folder}: this classifier has no token span head; use explain='occlusion'")
        return method

    def _head_spans(self, reports: list[RiskReport], scores: Scores) -> None:
        from srllm.classify.spans import word_spans

        threshold = self.config.thresholds.get("span", 0.5)
        for report, offsets, probs in zip(reports, scores.offsets, scores.token_probs or []):
            report.spans = [Span(s, e, report.text[s:e], score, UNSAFE_HEAD)
                            for s, e, score in word_spans(report.text, offsets, probs, threshold)]


@dataclass
class Scores:
    """What one forward pass gives: raw logits per head, token span probabilities (or None), token offsets."""

    logits: dict[str, np.ndarray]
    token_probs: list[np.ndarray] | None
    offsets: list[list[tuple[int, int]]]


def load_classifier(path: str | os.PathLike[str] | None = None, **kwargs: Any) -> Classifier:
    """The classifier in `path` (a folder written by `srllm train classifier`), or the shipped one."""
    return Classifier.load(path, **kwargs)
