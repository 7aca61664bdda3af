"""`srllm train sft`: LoRA / QLoRA instruction tuning on CMD rewrite pairs with trl's SFTTrainer.

Examples are tokenised by `srllm.prompts.build_sft_example` (the same code `srllm data preview`
shows), so only the response counts in the loss. The run folder holds the trainer's checkpoints
(resumed automatically after an interruption), the final adapter, and `srllm_run.json` with the
config, data checksums, package versions, git commit, wall time, peak memory, tokens/s, energy
and carbon.
"""

from __future__ import annotations

import json
import logging
import random
import resource
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from srllm.data.io import read_records
from srllm.data.schema import CMDRecord
from srllm.provenance import package_versions, run_metadata, sha256_file
from srllm.train.config import SFTRunConfig

log = logging.getLogger(__name__)
RUN_FILE = "srllm_run.json"
TRAIN_PACKAGES = ("torch", "transformers", "peft", "trl", "accelerate", "datasets", "bitsandbytes")


@dataclass
class SFTResult:
    output_dir: Path
    adapter_dir: Path
    run: dict[str, Any] = field(default_factory=dict)
    model: Any = field(default=None, repr=False)  # the trained PeftModel (in memory)


def sample_pairs(records: Sequence[CMDRecord], limit: int | None, seed: int,
                 sources: Sequence[str] | None = None) -> list[tuple[CMDRecord, str]]:
    """Rewrite pairs (rows with a benign variation), optionally restricted to `sources`; at most
    `limit`, drawn per source in proportion to its share (seeded), in a seeded random order."""
    pairs = [(r, r.benign_variation) for r in records
             if r.benign_variation is not None and (sources is None or r.source in sources)]
    rng = random.Random(seed)
    if limit is not None and limit < len(pairs):
        by_source: dict[str, list[tuple[CMDRecord, str]]] = defaultdict(list)
        for pair in pairs:
            by_source[pair[0].source].append(pair)
        chosen = []
        for source in sorted(by_source):
            group = sorted(by_source[source], key=lambda p: p[0].id)
            take = round(limit * len(group) / len(pairs))
            chosen.extend(rng.sample(group, min(take, len(group))))
        pairs = chosen
    else:
        pairs = sorted(pairs, key=lambda p: p[0].id)
    rng.shuffle(pairs)
    return pairs


def tokenize_pairs(tokenizer: Any, pairs: Sequence[tuple[CMDRecord, str]], config: SFTRunConfig,
                   fmt: str) -> tuple[dict[str, list], Counter[str]]:
    """Columns input_ids / attention_mask / labels; examples longer than max_length are counted, not trained."""
    from srllm.prompts import SFTLengthError, build_sft_example

    columns: dict[str, list] = {"input_ids": [], "attention_mask": [], "labels": []}
    skipped: Counter[str] = Counter()
    for record, answer in pairs:
        try:
            example = build_sft_example(tokenizer, record.text, answer, config.max_length, fmt)
        except SFTLengthError:
            skipped[f"longer than max_length={config.max_length}"] += 1
            continue
        for key in columns:
            columns[key].append(example[key])
    return columns, skipped


def _quantization(config: SFTRunConfig, cuda: bool) -> tuple[Any, str]:
    import torch
    from transformers import BitsAndBytesConfig

    compute = config.bnb_4bit_compute_dtype if cuda else "float32"
    if compute != config.bnb_4bit_compute_dtype:
        log.warning("bitsandbytes 4-bit on CPU needs float32 compute; using it instead of %s", config.bnb_4bit_compute_dtype)
    bnb = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=config.bnb_4bit_quant_type,
        bnb_4bit_use_double_quant=config.bnb_4bit_use_double_quant,
        bnb_4bit_compute_dtype=getattr(torch, compute),
    )
    return bnb, compute


def _load_model(config: SFTRunConfig, cuda: bool) -> tuple[Any, Any, dict[str, Any]]:
    import torch

    from srllm.models import load_causal_lm

    details: dict[str, Any] = {"device": "cuda" if cuda else "cpu"}
    if config.method == "qlora":
        bnb, compute = _quantization(config, cuda)
        model, tokenizer = load_causal_lm(config.model, dtype=getattr(torch, compute), quantization_config=bnb,
                                          device_map={"": 0} if cuda else {"": "cpu"})
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.gradient_checkpointing)
        details["quantization"] = {"bits": 4, "type": config.bnb_4bit_quant_type,
                                   "double_quant": config.bnb_4bit_use_double_quant, "compute_dtype": compute}
    else:
        model, tokenizer = load_causal_lm(config.model, dtype=torch.float32)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer, details


def _training_args(config: SFTRunConfig, checkpoints: Path, cuda: bool, has_eval: bool) -> Any:
    from trl import SFTConfig

    optim = config.optim
    if not cuda and "paged" in optim:
        log.warning("paged optimisers need a GPU; using adamw_torch instead of %s on CPU", optim)
        optim = "adamw_torch"
    return SFTConfig(
        output_dir=str(checkpoints),
        per_device_train_batch_size=config.per_device_train_batch_size,
        per_device_eval_batch_size=config.per_device_eval_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        learning_rate=config.learning_rate,
        optim=optim,
        lr_scheduler_type=config.lr_scheduler_type,
        warmup_steps=config.warmup_ratio,  # transformers 5: a float in [0, 1) is a ratio of the total steps
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        num_train_epochs=config.num_train_epochs,
        max_steps=config.max_steps,
        gradient_checkpointing=config.gradient_checkpointing,
        eval_strategy="steps" if has_eval else "no",
        eval_steps=config.eval_steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        logging_steps=config.logging_steps,
        load_best_model_at_end=has_eval,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        seed=config.seed,
        data_seed=config.seed,
        max_length=config.max_length,
        report_to="none",
        use_cpu=not cuda,
        fp16=cuda and config.bnb_4bit_compute_dtype == "float16" and config.method == "qlora",
        bf16=cuda and config.bnb_4bit_compute_dtype == "bfloat16",
        dataloader_num_workers=0,
    )


def _last_checkpoint(checkpoints: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None


def run_sft(config: SFTRunConfig, callbacks: Sequence[Any] = ()) -> SFTResult:
    """Train a LoRA/QLoRA adapter as `config` says; resumes from the last checkpoint when there is one."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import EarlyStoppingCallback
    from trl import SFTTrainer

    from srllm.energy import EnergyMeter
    from srllm.prompts import default_format

    output_dir = Path(config.output_dir)
    checkpoints = output_dir / "checkpoints"
    output_dir.mkdir(parents=True, exist_ok=True)
    cuda = torch.cuda.is_available()
    torch.manual_seed(config.seed)

    train_records = read_records(config.train_file)
    eval_records = read_records(config.eval_file) if config.eval_file else []
    model, tokenizer, details = _load_model(config, cuda)
    fmt = default_format(tokenizer) if config.format == "auto" else config.format
    train_pairs = sample_pairs(train_records, config.max_train_examples, config.seed, config.sources)
    eval_pairs = sample_pairs(eval_records, config.max_eval_examples, config.seed, config.sources)
    train_columns, train_skipped = tokenize_pairs(tokenizer, train_pairs, config, fmt)
    eval_columns, eval_skipped = tokenize_pairs(tokenizer, eval_pairs, config, fmt)
    if not train_columns["input_ids"]:
        raise ValueError(f"{config.train_file}: no rewrite pairs to train on (rows with a benign_variation)")
    lengths = [len(ids) for ids in train_columns["input_ids"]]
    prefix_ids: list[int] = []
    if config.shared_prefix and config.gradient_checkpointing:
        log.warning("shared_prefix needs the key/value cache, which gradient checkpointing drops; training without it")
    elif config.shared_prefix:
        from srllm.train.shared_prefix import common_prefix_length, strip_prefix

        both = train_columns["input_ids"] + eval_columns["input_ids"]
        width = common_prefix_length(both, train_columns["labels"] + eval_columns["labels"])
        prefix_ids = list(train_columns["input_ids"][0][:width])
        train_columns, eval_columns = strip_prefix(train_columns, width), strip_prefix(eval_columns, width)
    train_dataset = Dataset.from_dict(train_columns)
    eval_dataset = Dataset.from_dict(eval_columns) if eval_columns["input_ids"] else None

    peft_config = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                             target_modules=config.target_modules, task_type="CAUSAL_LM")
    all_callbacks = list(callbacks)
    if eval_dataset is not None and config.early_stopping_patience:
        all_callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    trainer_cls, extra = SFTTrainer, {}
    if prefix_ids:
        from srllm.train.shared_prefix import trainer_class

        trainer_cls, extra = trainer_class(), {"prefix_ids": prefix_ids}
    trainer = trainer_cls(
        **extra,
        model=model,
        args=_training_args(config, checkpoints, cuda, eval_dataset is not None),
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=all_callbacks,
    )
    resume_from = _last_checkpoint(checkpoints) if config.resume else None
    if resume_from:
        log.warning("resuming from %s", resume_from)
    meter = EnergyMeter(intensity_kgco2e_per_kwh=config.carbon_intensity, cpu_tdp_w=config.cpu_tdp_w)
    meter.start()
    started = time.perf_counter()
    train_output = trainer.train(resume_from_checkpoint=resume_from)
    wall = time.perf_counter() - started
    energy = meter.stop()

    adapter_dir = output_dir / "adapter"
    trainer.save_model(str(adapter_dir))
    tokenizer.save_pretrained(str(adapter_dir))
    state = trainer.state
    examples_seen = min(state.global_step * config.per_device_train_batch_size * config.gradient_accumulation_steps,
                        int(len(lengths) * max(config.num_train_epochs, 1)))
    tokens_seen = round(examples_seen * sum(lengths) / len(lengths))
    run = {
        "model": config.model,
        "format": fmt,
        "method": config.method,
        "config": config.to_dict(),
        "model_details": details,
        "data": {
            "train_file": config.train_file, "train_sha256": sha256_file(config.train_file),
            "eval_file": config.eval_file, "eval_sha256": sha256_file(config.eval_file) if config.eval_file else None,
            "train_examples": len(lengths), "eval_examples": len(eval_columns["input_ids"]),
            "train_by_source": dict(sorted(Counter(r.source for r, _ in train_pairs).items())),
            "skipped": {"train": dict(train_skipped), "eval": dict(eval_skipped)},
            "mean_tokens_per_example": round(sum(lengths) / len(lengths), 1),
            "shared_prefix_tokens": len(prefix_ids),
        },
        "training": {
            "global_step": state.global_step, "epoch": state.epoch, "resumed_from": resume_from,
            "best_checkpoint": state.best_model_checkpoint, "best_eval_loss": state.best_metric,
            "early_stopped": state.global_step < state.max_steps,
            "train_loss": train_output.training_loss,
            "log_history": state.log_history,
        },
        "performance": {
            "wall_s": round(wall, 1),
            "train_tokens_seen": tokens_seen,
            "train_tokens_per_s": round(tokens_seen / wall, 1) if wall else None,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "peak_cuda_mib": round(torch.cuda.max_memory_allocated() / 2**20) if cuda else None,
        },
        "energy": energy.to_dict(),
        **run_metadata(),
        "train_packages": package_versions(TRAIN_PACKAGES),
    }
    text = json.dumps(run, indent=2, default=str) + "\n"
    (output_dir / RUN_FILE).write_text(text, encoding="utf-8")
    (adapter_dir / RUN_FILE).write_text(text, encoding="utf-8")
    return SFTResult(output_dir=output_dir, adapter_dir=adapter_dir, run=run, model=trainer.model)
