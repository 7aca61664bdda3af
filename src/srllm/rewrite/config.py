"""Settings of the safety pipeline, validated on construction."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from srllm.rewrite.tiers import DEFAULT_QUALITY, DEFAULT_TIERS, TierSpec, parse_tiers

FALLBACKS = ("mask", "remove", "none")
#: keys of a pipeline file that choose the models rather than the pipeline's settings
MODEL_KEYS = ("model", "adapter", "classifier", "encoder", "backend")


@dataclass
class PipelineConfig:
    """How the pipeline decides.

    rewrite_benign: rewrite text the classifier judges benign too (default: return it unchanged).
    min_similarity: the least cosine similarity (MiniLM) of a rewrite to its input; below it the
        rewrite drifted from the meaning and is rejected.
    candidates: sampled rewrites per tier to try when its greedy one fails (0: none).
    temperature, top_p, seed: the sampling of those candidates.
    quality: the tier tried first; tiers: the tiers ``{name: settings}`` in escalation order
        (`srllm.rewrite.tiers`).
    fallback: the last resort when no tier's rewrite passes: ``mask`` (replace the flagged words by
        ``[…]``), ``remove`` (delete them) or ``none``; an edit that is still unsafe, or would touch
        more than ``max_masked_share`` of the words, is not made and the text is returned unchanged.
    max_chunk_chars: a longer text is processed sentence by sentence (a sentence longer than this
        is split between words); benign sentences are kept verbatim.
    max_new_tokens: the rewriter's generation limit per chunk (a tier may set its own).
    time_budget_s: seconds of work per text (0: no limit); the sentences not done in time are
        returned unchanged and the text's decision is ``fell_back`` with the reason.
    reply_detector: also reject rewrites the learned reply detector (`srllm.rewrite.replies`) says
        read like an assistant's reply, beside the opening rule; off, or where the detector is not
        installed, only the opening rule applies.
    """

    rewrite_benign: bool = False
    min_similarity: float = 0.6
    candidates: int = 3
    temperature: float = 0.8
    top_p: float = 0.95
    seed: int = 0
    quality: str = DEFAULT_QUALITY
    tiers: dict[str, dict[str, Any]] = field(default_factory=lambda: deepcopy(DEFAULT_TIERS))
    fallback: str = "mask"
    max_masked_share: float = 0.34
    max_chunk_chars: int = 400
    max_new_tokens: int = 96
    time_budget_s: float = 60.0
    reply_detector: bool = True

    def __post_init__(self) -> None:
        if not -1.0 <= self.min_similarity <= 1.0:
            raise ValueError(f"min_similarity must be in [-1, 1], got {self.min_similarity}")
        if self.candidates < 0:
            raise ValueError(f"candidates must be >= 0, got {self.candidates}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.fallback not in FALLBACKS:
            raise ValueError(f"fallback {self.fallback!r} is not one of {list(FALLBACKS)}")
        if self.max_chunk_chars < 20:
            raise ValueError(f"max_chunk_chars must be at least 20, got {self.max_chunk_chars}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be positive, got {self.max_new_tokens}")
        if not 0 < self.max_masked_share <= 1:
            raise ValueError(f"max_masked_share must be in (0, 1], got {self.max_masked_share}")
        if self.time_budget_s < 0:
            raise ValueError(f"time_budget_s must be >= 0 (0: no limit), got {self.time_budget_s}")
        names = [t.name for t in self.tier_specs()]
        if self.quality not in names:
            raise ValueError(f"quality {self.quality!r} is not one of the configured tiers {names}")

    def tier_specs(self) -> list[TierSpec]:
        """The configured tiers, in escalation order."""
        return parse_tiers(self.tiers)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PipelineConfig:
        """From a mapping (a YAML file's contents); unknown keys are an error naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown pipeline setting(s) {unknown}; expected some of {sorted(known)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_pipeline_file(path: str | Path) -> tuple[PipelineConfig, dict[str, Any]]:
    """A pipeline YAML file (a path, or the name of a shipped config such as safety-pipeline-fast.yaml)
    as its validated settings and its model choices (`MODEL_KEYS` present in it); errors name the file."""
    import yaml

    path = Path(path)
    if not path.is_file() and path.parent == Path("."):  # a shipped config by name: safety-pipeline-fast.yaml
        from srllm.configs_path import config_file

        try:
            path = config_file(path.name)
        except FileNotFoundError as exc:
            raise ValueError(f"{path}: no such pipeline config file, and {exc}") from None
    if not path.is_file():
        raise ValueError(f"{path}: no such pipeline config file")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable YAML file ({exc})") from None
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a mapping of settings, got {type(loaded).__name__}")
    models = {key: loaded.pop(key) for key in MODEL_KEYS if key in loaded}
    try:
        return PipelineConfig.from_dict(loaded), models
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None
