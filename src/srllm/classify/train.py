"""Train the multi-head risk classifier on a CMD corpus: fine-tune the encoder and the heads,
early-stop on dev, calibrate on dev, export ONNX (int8), and write a classifier folder.

The recipe is `ClassifierTrainConfig` (YAML + ``--key value`` overrides, validated like the SFT
recipe). The loss is the sum of the heads' cross-entropies. Every `eval_steps` the dev set is
scored; the model with the best mean macro-F1 over heads is kept, and training stops after
`early_stopping_patience` evaluations without improvement. Then, on dev: one temperature per head
(`calibration.fit_temperature`) and the F1-maximising thresholds of the binary heads (bias,
unsafe). The folder records the config, data checksums, versions, git commit, wall time, peak
memory and energy/carbon.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from srllm.classify.calibration import best_f1_threshold, expected_calibration_error, fit_temperature, softmax_t
from srllm.classify.data import SOURCE_WEIGHTINGS, split_symbols, stratified_sample
from srllm.classify.data import batch as _batch
from srllm.classify.data import encode as _encode
from srllm.classify.onnx_export import EXPORT_CHECK_TEXTS, QUANTIZE_MODES, export_run_onnx
from srllm.classify.predictor import (
    POSITIVE_LEVEL,
    TOKENIZER_FILE,
    TORCH_FILE,
    ClassifierConfig,
)
from srllm.classify.report import HEADS
from srllm.train.config import ConfigError

log = logging.getLogger(__name__)



@dataclass
class ClassifierTrainConfig:
    encoder: str = "minilm-l6-v2"
    train_file: str = "build/corpus/train.jsonl"
    dev_file: str = "build/corpus/dev.jsonl"
    output_dir: str = "runs/classifier"
    max_length: int = 64
    max_train_examples: int | None = 24000
    max_dev_examples: int | None = 3000
    batch_size: int = 32
    eval_batch_size: int = 128
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    num_train_epochs: float = 1.0
    max_steps: int = -1
    eval_steps: int = 100
    early_stopping_patience: int = 3
    dropout: float = 0.1
    freeze_encoder: bool = False
    token_head: bool = True
    #: a classifier folder (with model.safetensors) to start from instead of the bare encoder: a second leg
    init_from: str | None = None
    span_loss_weight: float = 1.0
    source_weighting: str = "sqrt"
    counterfactual_copies: int = 0  # per training row naming a group (srllm.classify.counterfactual)
    counterfactual_benign_copies: int | None = None  # per Benign such row (default: counterfactual_copies)
    seed: int = 13
    threads: int | None = None
    export_onnx: bool = True
    quantize: str = "smooth-int8"
    carbon_intensity: float = 0.4

    def __post_init__(self) -> None:
        for name in ("max_length", "batch_size", "eval_batch_size", "eval_steps"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: must be a positive integer, got {getattr(self, name)!r}")
        for name in ("learning_rate", "head_learning_rate"):
            if not 0 < getattr(self, name) < 1:
                raise ConfigError(f"{name}: must be in (0, 1), got {getattr(self, name)!r}")
        if not 0 <= self.dropout < 1 or not 0 <= self.warmup_ratio < 1:
            raise ConfigError("dropout and warmup_ratio must be in [0, 1)")
        if self.quantize not in QUANTIZE_MODES:
            raise ConfigError(f"quantize: {self.quantize!r} is not allowed; expected one of {list(QUANTIZE_MODES)}")
        if self.source_weighting not in SOURCE_WEIGHTINGS:
            raise ConfigError(f"source_weighting: {self.source_weighting!r} is not allowed; "
                              f"expected one of {list(SOURCE_WEIGHTINGS)}")
        if self.span_loss_weight < 0:
            raise ConfigError(f"span_loss_weight: must be >= 0, got {self.span_loss_weight!r}")
        if self.num_train_epochs <= 0 and self.max_steps < 1:
            raise ConfigError("num_train_epochs must be > 0 unless max_steps is set")


def load_classifier_config(path: str | Path | None, overrides: list[str] | None = None) -> ClassifierTrainConfig:
    from srllm.train.config import load_config

    return load_config(path, overrides, cls=ClassifierTrainConfig)


def span_loss(logits: Any, targets: Any) -> Any:
    """Mean binary cross-entropy over the supervised tokens (0 when there are none)."""
    import torch

    from srllm.classify.spans import IGNORE

    keep = targets != IGNORE
    if not bool(keep.any()):
        return logits.sum() * 0.0
    return torch.nn.functional.binary_cross_entropy_with_logits(logits[keep], targets[keep])


def predict_logits(model: Any, data: dict[str, Any], batch_size: int, pad_id: int) -> dict[str, Any]:
    """Logits per head for every example of `data` (length-bucketed batches, input order); with a
    token head, ``SPAN_HEAD`` holds one array of token probabilities per example."""
    import torch

    from srllm.classify.heads import SPAN_HEAD

    n = len(data["input_ids"])
    order = sorted(range(n), key=lambda i: len(data["input_ids"][i]))
    out: dict[str, Any] = {}
    model.eval()
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            ids, mask, _ = _batch(data, index, pad_id)
            for head, value in model(input_ids=ids, attention_mask=mask).items():
                if head == SPAN_HEAD:
                    probs = torch.sigmoid(value).numpy()
                    spans = out.setdefault(SPAN_HEAD, [None] * n)
                    for row, i in enumerate(index):
                        spans[i] = probs[row, : len(data["input_ids"][i])]
                else:
                    out.setdefault(head, np.zeros((n, value.shape[-1]), dtype=np.float32))[index] = value.numpy()
    return out


def macro_f1s(logits: dict[str, Any], labels: dict[str, np.ndarray]) -> dict[str, float]:
    from sklearn.metrics import f1_score

    return {head: float(f1_score(labels[head], logits[head].argmax(-1), average="macro",
                                 labels=list(range(logits[head].shape[-1])), zero_division=0))
            for head in labels}


def dev_span_f1(data: dict[str, Any], token_probs: list[np.ndarray] | None, threshold: float = 0.5) -> float | None:
    """Mean span F1 on the dev rows that have marked spans (None without a token head or such rows)."""
    from srllm.classify.spans import mean_span_f1, word_spans

    rows = [i for i, spans in enumerate(data["spans"]) if spans]
    if token_probs is None or not rows:
        return None
    pred = [[(s, e) for s, e, _ in word_spans(data["texts"][i], data["offsets"][i], token_probs[i], threshold)]
            for i in rows]
    return mean_span_f1(pred, [data["spans"][i] for i in rows])


# --- training ------------------------------------------------------------------------------------


@dataclass
class ClassifierRun:
    output_dir: Path
    info: dict[str, Any]


def train_classifier(config: ClassifierTrainConfig) -> ClassifierRun:
    import torch
    from safetensors.torch import save_file

    from srllm.classify.model import SPAN_HEAD, MultiHeadClassifier, head_levels
    from srllm.data.io import read_records
    from srllm.energy import EnergyMeter, peak_rss_bytes
    from srllm.models import load_encoder
    from srllm.provenance import run_metadata, sha256_file

    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    out_dir = Path(config.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    meter = EnergyMeter(intensity_kgco2e_per_kwh=config.carbon_intensity)
    meter.start()
    started = time.time()

    levels = head_levels(HEADS)
    train_records = stratified_sample(read_records(config.train_file), config.max_train_examples, config.seed,
                                      config.source_weighting)
    if config.counterfactual_copies or config.counterfactual_benign_copies:
        from srllm.classify.counterfactual import counterfactual_copies

        extra = counterfactual_copies(train_records, config.counterfactual_copies, config.seed,
                                      config.counterfactual_benign_copies)
        log.info("counterfactual augmentation: %d copies of rows naming a group", len(extra))
        train_records += extra
    dev_records = stratified_sample(read_records(config.dev_file), config.max_dev_examples, config.seed,
                                    config.source_weighting)
    encoder, tokenizer = load_encoder(config.encoder)
    split_symbols(tokenizer)
    model = MultiHeadClassifier(encoder, levels, config.dropout, token_head=config.token_head)
    if config.init_from:
        from safetensors.torch import load_file

        model.load_state_dict(load_file(str(Path(config.init_from) / TORCH_FILE)))
        log.info("initialised from %s", config.init_from)
    if config.freeze_encoder:
        model.freeze_encoder()
    train = _encode(tokenizer, train_records, levels, config.max_length)
    dev = _encode(tokenizer, dev_records, levels, config.max_length)
    pad_id = tokenizer.pad_token_id

    steps_per_epoch = math.ceil(len(train_records) / config.batch_size)
    total = config.max_steps if config.max_steps > 0 else math.ceil(steps_per_epoch * config.num_train_epochs)
    head_params = list(model.heads.parameters()) + (list(model.token_head.parameters()) if model.token_head else [])
    groups = [{"params": head_params, "lr": config.head_learning_rate}]
    if not config.freeze_encoder:
        groups.append({"params": [p for p in model.encoder.parameters()], "lr": config.learning_rate})
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    warmup = max(1, int(total * config.warmup_ratio))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (total - step) / max(1, total - warmup))
        if step >= warmup else (step + 1) / warmup)
    loss_fn = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(config.seed)

    from tqdm.auto import tqdm

    history: list[dict[str, Any]] = []
    best_score, best_state, best_step, bad_evals = -1.0, None, 0, 0
    step = 0
    tokens = 0
    bar = tqdm(total=total, desc="classifier", unit="step")
    loop_started = time.time()
    stopped_early = False
    while step < total and not stopped_early:
        order = rng.permutation(len(train_records)).tolist()
        for start in range(0, len(order), config.batch_size):
            if step >= total:
                break
            model.train()
            ids, mask, labels = _batch(train, order[start : start + config.batch_size], pad_id)
            tokens += int(mask.sum())
            logits = model(input_ids=ids, attention_mask=mask)
            loss = sum(loss_fn(logits[h], labels[h]) for h in levels)
            if config.token_head and config.span_loss_weight:
                loss = loss + config.span_loss_weight * span_loss(logits[SPAN_HEAD], labels[SPAN_HEAD])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if step % config.eval_steps == 0 or step == total:
                dev_out = predict_logits(model, dev, config.eval_batch_size, pad_id)
                f1 = macro_f1s(dev_out, dev["labels"])
                spans_f1 = dev_span_f1(dev, dev_out.get(SPAN_HEAD))
                score = float(np.mean(list(f1.values()) + ([spans_f1] if spans_f1 is not None else [])))
                history.append({"step": step, "loss": round(loss.item(), 4), "dev_macro_f1": f1,
                                "dev_span_f1": spans_f1, "dev_mean_f1": score})
                log.info("step %d dev mean macro-F1 %.4f", step, score)
                if score > best_score:
                    best_score, best_step, bad_evals = score, step, 0
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    bad_evals += 1
                    if config.early_stopping_patience and bad_evals >= config.early_stopping_patience:
                        stopped_early = True
                        break
    bar.close()
    loop_seconds = time.time() - loop_started
    train_seconds = time.time() - started
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()

    dev_logits = predict_logits(model, dev, config.eval_batch_size, pad_id)
    calibration = calibrate(dev_logits, dev["labels"], levels)
    if config.token_head:
        calibration = add_span_threshold(calibration, dev, dev_logits[SPAN_HEAD])
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out_dir / TORCH_FILE))
    tokenizer.backend_tokenizer.save(str(out_dir / TOKENIZER_FILE))
    energy = meter.stop()
    info = {
        "config": asdict(config),
        "data": {"train_file": config.train_file, "train_sha256": sha256_file(config.train_file),
                 "dev_file": config.dev_file, "dev_sha256": sha256_file(config.dev_file),
                 "train_examples": len(train_records), "dev_examples": len(dev_records)},
        "training": {"steps": step, "best_step": best_step, "best_dev_mean_macro_f1": round(best_score, 4),
                     "stopped_early": stopped_early, "history": history},
        "calibration": calibration["report"],
        "performance": {"train_seconds": round(train_seconds, 1), "loop_seconds": round(loop_seconds, 1),
                        "tokens_per_second": round(tokens / max(loop_seconds, 1e-9), 1),
                        "peak_rss_mib": round(peak_rss_bytes() / 2**20, 1)},
        "energy": energy.to_dict(),
        **run_metadata(),
    }
    ClassifierConfig(levels={h: list(v) for h, v in levels.items()}, max_length=config.max_length,
                     encoder=config.encoder, temperatures=calibration["temperatures"],
                     thresholds=calibration["thresholds"], dropout=config.dropout, token_head=config.token_head,
                     info=info).write(out_dir)
    if config.export_onnx:
        info["onnx"] = export_run_onnx(out_dir, config.quantize, [r.text for r in dev_records[:EXPORT_CHECK_TEXTS]])
    return ClassifierRun(out_dir, info)


def calibrate(logits: dict[str, np.ndarray], labels: dict[str, np.ndarray], levels: dict[str, tuple[str, ...]]
              ) -> dict[str, Any]:
    """Temperatures per head, thresholds of binary heads, and ECE before/after, all on dev."""
    temperatures, thresholds, report = {}, {}, {}
    for head in levels:
        t = fit_temperature(logits[head], labels[head])
        temperatures[head] = round(t, 4)
        before = expected_calibration_error(softmax_t(logits[head]), labels[head])
        after = expected_calibration_error(softmax_t(logits[head], t), labels[head])
        report[head] = {"temperature": round(t, 4), "dev_ece_before": round(before, 4), "dev_ece_after": round(after, 4)}
        if head in POSITIVE_LEVEL:
            positive = levels[head].index(POSITIVE_LEVEL[head])
            cut, f1 = best_f1_threshold(softmax_t(logits[head], t)[:, positive], labels[head] == positive)
            thresholds[head] = round(cut, 4)
            report[head].update({"threshold": round(cut, 4), "dev_f1_at_threshold": round(f1, 4)})
    return {"temperatures": temperatures, "thresholds": thresholds, "report": report}


def add_span_threshold(calibration: dict[str, Any], dev: dict[str, Any], token_probs: list[np.ndarray]
                       ) -> dict[str, Any]:
    """The span threshold maximising mean span F1 on the dev rows with marked spans (0.5 without such rows)."""
    from srllm.classify.spans import best_span_threshold

    rows = [i for i, spans in enumerate(dev["spans"]) if spans]
    if rows:
        cut, f1 = best_span_threshold([dev["texts"][i] for i in rows], [dev["offsets"][i] for i in rows],
                                      [token_probs[i] for i in rows], [dev["spans"][i] for i in rows])
    else:
        cut, f1 = 0.5, None
    calibration["thresholds"]["span"] = cut
    calibration["report"]["span"] = {"threshold": cut, "dev_rows": len(rows),
                                      "dev_span_f1_at_threshold": None if f1 is None else round(f1, 4)}
    return calibration
