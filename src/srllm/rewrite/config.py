"""Settings of the safety pipeline, validated on construction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

FALLBACKS = ("mask", "remove")


@dataclass
class PipelineConfig:
    """How the pipeline decides.

    rewrite_benign: rewrite text the classifier judges benign too (default: return it unchanged).
    min_similarity: the least cosine similarity (MiniLM) of a rewrite to its input; below it the
        rewrite drifted from the meaning and is rejected.
    candidates: sampled rewrites to try when the greedy one fails (0: fall back at once).
    temperature, top_p, seed: the sampling of those candidates.
    fallback: ``mask`` (replace flagged spans by ``[…]``) or ``remove`` (delete them).
    max_chunk_chars: longer texts are processed in chunks of whole sentences of at most this size.
    max_new_tokens: the rewriter's generation limit per chunk.
    """

    rewrite_benign: bool = False
    min_similarity: float = 0.6
    candidates: int = 3
    temperature: float = 0.8
    top_p: float = 0.95
    seed: int = 0
    fallback: str = "mask"
    max_chunk_chars: int = 400
    max_new_tokens: int = 96

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
