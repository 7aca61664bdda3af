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

import json
import logging
import math
import random
import shutil
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from srllm.classify.calibration import best_f1_threshold, expected_calibration_error, fit_temperature, softmax_t
from srllm.classify.predictor import (
    CONFIG_FILE, ONNX_FILE, POSITIVE_LEVEL, TOKENIZER_FILE, TORCH_FILE, ClassifierConfig,
)
from srllm.classify.report import HEADS, UNSAFE_HEAD
from srllm.train.config import ConfigError

log = logging.getLogger(__name__)

#: How the ONNX export stores its weights:
#: - ``weights-int8``: MatMul weights in 8-bit blocks (``MatMulNBits``, block 32) and the embedding
#:   table in int8; activations stay float, so a text's scores do not depend on the batch it is in.
#: - ``dynamic-int8``: ONNX Runtime dynamic quantisation (about 2.5x faster on CPU), but activations
#:   are quantised with one scale per batch tensor, so scores shift slightly with batch composition.
#: - ``none``: float32 (about 90 MB).
QUANTIZE_MODES = ("weights-int8", "dynamic-int8", "none")


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
    seed: int = 13
    threads: int | None = None
    export_onnx: bool = True
    quantize: str = "weights-int8"
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
        if self.num_train_epochs <= 0 and self.max_steps < 1:
            raise ConfigError("num_train_epochs must be > 0 unless max_steps is set")


def load_classifier_config(path: str | Path | None, overrides: list[str] | None = None) -> ClassifierTrainConfig:
    from srllm.train.config import load_config

    return load_config(path, overrides, cls=ClassifierTrainConfig)


# --- data ----------------------------------------------------------------------------------------


def record_labels(record: Any, levels: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Class index of every head for one CMD record."""
    out = {}
    for head, names in levels.items():
        value = record.annotation if head == UNSAFE_HEAD else getattr(record, head)
        out[head] = names.index(value)
    return out


def stratified_sample(records: list[Any], n: int | None, seed: int) -> list[Any]:
    """Up to `n` records, proportional per (source, annotation) stratum, seeded; input order kept."""
    if n is None or n >= len(records):
        return list(records)
    from srllm.sampling import allocate

    strata: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        strata[f"{r.source}|{r.annotation}"].append(i)
    quota = allocate({k: len(v) for k, v in strata.items()}, n)
    rng = random.Random(seed)
    chosen = sorted(i for key, members in sorted(strata.items()) for i in rng.sample(members, quota[key]))
    return [records[i] for i in chosen]


def _encode(tokenizer: Any, records: list[Any], levels: dict[str, tuple[str, ...]], max_length: int) -> dict[str, Any]:
    encoded = tokenizer([r.text for r in records], truncation=True, max_length=max_length)
    labels = {head: np.array([record_labels(r, levels)[head] for r in records]) for head in levels}
    return {"input_ids": encoded["input_ids"], "labels": labels}


def _batch(data: dict[str, Any], index: list[int], pad_id: int) -> tuple[Any, Any, dict[str, Any]]:
    import torch

    width = max(len(data["input_ids"][i]) for i in index)
    ids = torch.full((len(index), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(index), width), dtype=torch.long)
    for row, i in enumerate(index):
        seq = data["input_ids"][i]
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    labels = {head: torch.from_numpy(values[index]) for head, values in data["labels"].items()}
    return ids, mask, labels


def predict_logits(model: Any, data: dict[str, Any], batch_size: int, pad_id: int) -> dict[str, np.ndarray]:
    """Logits per head for every example of `data` (length-bucketed batches, input order)."""
    import torch

    n = len(data["input_ids"])
    order = sorted(range(n), key=lambda i: len(data["input_ids"][i]))
    out: dict[str, np.ndarray] = {}
    model.eval()
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            ids, mask, _ = _batch(data, index, pad_id)
            for head, value in model(input_ids=ids, attention_mask=mask).items():
                out.setdefault(head, np.zeros((n, value.shape[-1]), dtype=np.float32))[index] = value.numpy()
    return out


def macro_f1s(logits: dict[str, np.ndarray], labels: dict[str, np.ndarray]) -> dict[str, float]:
    from sklearn.metrics import f1_score

    return {head: float(f1_score(labels[head], logits[head].argmax(-1), average="macro",
                                 labels=list(range(logits[head].shape[-1])), zero_division=0))
            for head in logits}


# --- training ------------------------------------------------------------------------------------


@dataclass
class ClassifierRun:
    output_dir: Path
    info: dict[str, Any]


def train_classifier(config: ClassifierTrainConfig) -> ClassifierRun:
    import torch
    from safetensors.torch import save_file

    from srllm.classify.model import MultiHeadClassifier, head_levels
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
    train_records = stratified_sample(read_records(config.train_file), config.max_train_examples, config.seed)
    dev_records = stratified_sample(read_records(config.dev_file), config.max_dev_examples, config.seed)
    encoder, tokenizer = load_encoder(config.encoder)
    model = MultiHeadClassifier(encoder, levels, config.dropout)
    if config.freeze_encoder:
        model.freeze_encoder()
    train = _encode(tokenizer, train_records, levels, config.max_length)
    dev = _encode(tokenizer, dev_records, levels, config.max_length)
    pad_id = tokenizer.pad_token_id

    steps_per_epoch = math.ceil(len(train_records) / config.batch_size)
    total = config.max_steps if config.max_steps > 0 else math.ceil(steps_per_epoch * config.num_train_epochs)
    groups = [{"params": [p for p in model.heads.parameters()], "lr": config.head_learning_rate}]
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
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if step % config.eval_steps == 0 or step == total:
                f1 = macro_f1s(predict_logits(model, dev, config.eval_batch_size, pad_id), dev["labels"])
                score = float(np.mean(list(f1.values())))
                history.append({"step": step, "loss": round(loss.item(), 4), "dev_macro_f1": f1, "dev_mean_f1": score})
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
                     thresholds=calibration["thresholds"], dropout=config.dropout, info=info).write(out_dir)
    if config.export_onnx:
        info["onnx"] = export_onnx(out_dir, quantize=config.quantize, check_texts=[r.text for r in dev_records[:512]])
        config_path = out_dir / CONFIG_FILE
        stored = json.loads(config_path.read_text())
        stored["info"] = info
        config_path.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
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


def export_onnx(folder: Path, quantize: str = "weights-int8", check_texts: list[str] | None = None) -> dict[str, Any]:
    """Write ``model.onnx`` (weights stored as `quantize` says, see `QUANTIZE_MODES`) from the
    folder's torch weights and check it against torch on `check_texts`: largest probability
    difference, label agreement, and the largest change of a text's scores between scoring it alone
    and in the batch."""
    import torch

    from srllm.classify.model import StackedLogits
    from srllm.classify.predictor import Classifier, load_torch_model

    config = ClassifierConfig.read(folder)
    model = StackedLogits(load_torch_model(folder, config)).eval()
    example = (torch.tensor([[101, 7592, 2088, 102]]), torch.ones(1, 4, dtype=torch.long))
    fp32 = folder / "model.fp32.onnx"
    torch.onnx.export(model, example, str(fp32), input_names=["input_ids", "attention_mask"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                                    "logits": {0: "batch"}}, opset_version=17, dynamo=False)
    target = folder / ONNX_FILE
    if quantize == "dynamic-int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
        fp32.unlink()
    elif quantize == "weights-int8":
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        blocks = folder / "model.nbits.onnx"
        quantizer = MatMulNBitsQuantizer(onnx.load(str(fp32)), bits=8, block_size=32, is_symmetric=True)
        quantizer.process()
        quantizer.model.save_model_to_file(str(blocks), use_external_data_format=False)
        # Gather of an int8 table is weight-only too: each looked-up row is de-quantised on its own.
        quantize_dynamic(str(blocks), str(target), weight_type=QuantType.QInt8, op_types_to_quantize=["Gather"])
        fp32.unlink()
        blocks.unlink()
    else:
        shutil.move(fp32, target)
    result: dict[str, Any] = {"file": ONNX_FILE, "quantize": quantize, "size_mb": round(target.stat().st_size / 1e6, 1)}
    if check_texts:
        onnx_probs = Classifier(folder, backend="onnx").probabilities(check_texts)
        torch_probs = Classifier(folder, backend="torch").probabilities(check_texts)
        result["check_texts"] = len(check_texts)
        result["max_prob_diff"] = {h: round(float(np.abs(onnx_probs[h] - torch_probs[h]).max()), 4) for h in onnx_probs}
        result["label_agreement"] = {h: round(float((onnx_probs[h].argmax(-1) == torch_probs[h].argmax(-1)).mean()), 4)
                                     for h in onnx_probs}
        onnx_clf = Classifier(folder, backend="onnx")
        alone = np.concatenate([onnx_clf.probabilities([t])[UNSAFE_HEAD] for t in check_texts[:32]])
        result["batch_vs_alone_max_diff"] = round(float(np.abs(alone - onnx_probs[UNSAFE_HEAD][:32]).max()), 6)
    return result
