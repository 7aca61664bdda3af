"""The instruction-tuning recipe as a dataclass: a YAML file, then `--key value` overrides.

Defaults are the paper's (SR_LLM Appendix C: QLoRA, r=64, alpha=16, dropout 0.2, lr 2e-4,
paged AdamW 32-bit, constant schedule, warmup ratio 0.03, weight decay 0.001, max grad norm 0.3,
batch 16, 1 epoch, sequence length 1024, NF4 with double quantisation and float16 compute,
evaluation and checkpoints every 25 steps, early stopping after 3). Every problem names the
field and what was expected.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

METHODS = ("lora", "qlora")
FORMATS = ("auto", "llama2", "chat")
QUANT_TYPES = ("nf4", "fp4")
COMPUTE_DTYPES = ("float16", "bfloat16", "float32")


class ConfigError(ValueError):
    """A config file or override that does not fit the recipe."""


@dataclass
class SFTRunConfig:
    # model and data
    model: str = "smollm2-135m-instruct"
    train_file: str = "build/corpus/train.jsonl"
    eval_file: str = "build/corpus/dev.jsonl"
    output_dir: str = "runs/rewriter"
    format: str = "auto"
    max_length: int = 1024
    max_train_examples: int | None = None
    max_eval_examples: int | None = 200
    sources: list[str] | None = None
    # parameter-efficient fine-tuning
    method: str = "qlora"
    lora_r: int = 64
    lora_alpha: int = 16
    lora_dropout: float = 0.2
    target_modules: str | list[str] = "all-linear"
    # 4-bit quantisation (QLoRA)
    bnb_4bit_quant_type: str = "nf4"
    bnb_4bit_use_double_quant: bool = True
    bnb_4bit_compute_dtype: str = "float16"
    # optimisation
    learning_rate: float = 2e-4
    optim: str = "paged_adamw_32bit"
    lr_scheduler_type: str = "constant"
    warmup_ratio: float = 0.03
    weight_decay: float = 0.001
    max_grad_norm: float = 0.3
    per_device_train_batch_size: int = 16
    per_device_eval_batch_size: int = 16
    gradient_accumulation_steps: int = 1
    num_train_epochs: float = 1.0
    max_steps: int = -1
    gradient_checkpointing: bool = False
    # run the prefix all examples share (system prompt + instruction) once a batch; exact, not an
    # approximation (srllm.train.shared_prefix); off with gradient checkpointing, which drops caches
    shared_prefix: bool = True
    # evaluation and checkpoints
    eval_steps: int = 25
    save_steps: int = 25
    logging_steps: int = 5
    early_stopping_patience: int = 3
    save_total_limit: int = 3
    seed: int = 42
    resume: bool = True
    # accounting
    carbon_intensity: float = 0.4
    cpu_tdp_w: float | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        choices = {"method": METHODS, "format": FORMATS, "bnb_4bit_quant_type": QUANT_TYPES,
                   "bnb_4bit_compute_dtype": COMPUTE_DTYPES}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name}: {getattr(self, name)!r} is not allowed; expected one of {list(allowed)}")
        positive = ("max_length", "lora_r", "lora_alpha", "per_device_train_batch_size", "per_device_eval_batch_size",
                    "gradient_accumulation_steps", "eval_steps", "save_steps", "logging_steps", "save_total_limit")
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: must be a positive integer, got {getattr(self, name)!r}")
        ranges = {"lora_dropout": (0.0, 1.0), "warmup_ratio": (0.0, 1.0), "learning_rate": (0.0, 1.0)}
        for name, (low, high) in ranges.items():
            if not low <= getattr(self, name) < high:
                raise ConfigError(f"{name}: must be in [{low}, {high}), got {getattr(self, name)!r}")
        if self.early_stopping_patience < 0:
            raise ConfigError(f"early_stopping_patience: must be >= 0 (0 disables it), got {self.early_stopping_patience}")
        if self.save_steps % self.eval_steps:
            raise ConfigError(f"save_steps ({self.save_steps}) must be a multiple of eval_steps ({self.eval_steps}) "
                              "so the best checkpoint can be kept")
        if self.carbon_intensity < 0:
            raise ConfigError(f"carbon_intensity: must be >= 0 kgCO2e/kWh, got {self.carbon_intensity}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _field_types(cls: type = SFTRunConfig) -> dict[str, Any]:
    return {f.name: f.type for f in dataclasses.fields(cls)}


def _check_type(name: str, value: Any, cls: type = SFTRunConfig) -> Any:
    """Coerce ints to floats where a float is expected; reject values of the wrong type, naming the field."""
    kind = _field_types(cls)[name]
    allowed: set[type] = set()
    for part in str(kind).split("|"):
        part = part.strip()
        allowed |= {"int": {int}, "float": {float, int}, "str": {str}, "bool": {bool}, "None": {type(None)},
                    "list[str]": {list}, "dict[str, Any]": {dict}}.get(part, set())
    if isinstance(value, bool) and bool not in allowed:
        raise ConfigError(f"{name}: expected {kind}, got the boolean {value!r}")
    if type(value) not in allowed:
        raise ConfigError(f"{name}: expected {kind}, got {value!r} ({type(value).__name__})")
    if isinstance(value, int) and not isinstance(value, bool) and int not in allowed and float in allowed:
        return float(value)
    return value


def build_config(values: dict[str, Any], source: str = "config", cls: type = SFTRunConfig) -> Any:
    """A validated config (a `cls` dataclass) from a mapping; unknown keys get a 'did you mean'."""
    known = _field_types(cls)
    out = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{source}: unknown key {key!r}{hint}")
        out[name] = _check_type(name, value, cls)
    return cls(**out)


def parse_overrides(args: list[str]) -> dict[str, Any]:
    """`--key value` pairs (values parsed as YAML scalars: 8, 2e-4, true, null, [q_proj, v_proj])."""
    out: dict[str, Any] = {}
    i = 0
    while i < len(args):
        key = args[i]
        if not key.startswith("--") or i + 1 >= len(args):
            raise ConfigError(f"overrides: expected '--key value' pairs, got {' '.join(args[i:])!r}")
        out[key[2:]] = yaml.safe_load(args[i + 1])
        i += 2
    return out


def load_config(path: str | Path | None, overrides: list[str] | None = None, cls: type = SFTRunConfig) -> Any:
    """Read a YAML recipe (or start from the defaults) into a `cls` dataclass and apply `--key value` overrides."""
    values: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a mapping of keys to values")
        values.update(loaded)
    build_config(values, str(path or "defaults"), cls)  # report file errors before override errors
    values.update(parse_overrides(overrides or []))
    return build_config(values, "overrides" if overrides else str(path or "defaults"), cls)

