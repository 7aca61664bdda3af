"""Does a text read like an assistant's reply rather than a rewrite? A learned check.

The opening rule (`srllm.rewrite.text.looks_like_reply`: "Sure, ...", "I'm sorry, ...") misses
replies that open otherwise: "I would be more than happy to write an insult about him, but I can't
do it." `ReplyDetector` is a logistic regression on the sentence embeddings the pipeline already
uses for similarity (MiniLM, mean-pooled), trained by `srllm train reply-detector` on assistant
turns of HH-RLHF against human turns, social-media posts and human rewrites of the corpus
(`srllm.rewrite.reply_training`). Its threshold is chosen on dev so that few human-written texts
are flagged; the model card in the asset folder has the figures.

A candidate counts as a reply when it scores at or above the threshold and its source does not:
a text that was itself an assistant's answer may be rewritten as one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from srllm.similarity import Embedder

ASSET_DIR = "reply-detector"
WEIGHTS = "reply_detector.json"


def default_path() -> Path:
    """The shipped detector's folder."""
    return Path(str(resources.files("srllm") / "assets" / ASSET_DIR))


@dataclass
class ReplyDetector:
    """P(reply) = sigmoid(embedding . coef + intercept); ``flags`` compares it with ``threshold``."""

    coef: np.ndarray
    intercept: float
    threshold: float
    encoder: str
    embed: Embedder | None = None

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """P(reply) of each text (texts that are empty score 0)."""
        if self.embed is None:
            raise RuntimeError("ReplyDetector has no embedder; pass embed= or use ReplyDetector.load()")
        texts = list(texts)
        live = [i for i, t in enumerate(texts) if t.strip()]
        out = np.zeros(len(texts), dtype=float)
        if live:
            vectors = np.asarray(self.embed([texts[i] for i in live]), dtype=float)
            out[live] = 1.0 / (1.0 + np.exp(-(vectors @ self.coef + self.intercept)))
        return out

    def flags(self, sources: Sequence[str], candidates: Sequence[str]) -> list[bool]:
        """Per pair: the candidate reads like a reply and its source does not."""
        if len(sources) != len(candidates):
            raise ValueError(f"{len(sources)} sources but {len(candidates)} candidates")
        distinct = list(dict.fromkeys([*sources, *candidates]))
        score = dict(zip(distinct, self.scores(distinct)))
        return [bool(score[c] >= self.threshold > score[s]) for s, c in zip(sources, candidates)]

    def to_dict(self) -> dict[str, Any]:
        return {"encoder": self.encoder, "threshold": self.threshold, "intercept": self.intercept,
                "coef": [round(float(c), 7) for c in self.coef]}

    def save(self, folder: str | os.PathLike[str], **extra: Any) -> Path:
        """Write the weights (and `extra` metadata: data, figures) to ``folder/reply_detector.json``."""
        path = Path(folder) / WEIGHTS
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**self.to_dict(), **extra}, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: str | os.PathLike[str] | None = None, *, embed: Embedder | None = None,
             encoder: str | None = None, cache_dir: Any = None) -> ReplyDetector:
        """The detector in `folder` (the shipped one by default). `embed` (an embedder of the
        encoder named `encoder`) is reused when that is the encoder the detector was trained on;
        otherwise the detector's own encoder is loaded."""
        path = Path(folder) if folder is not None else default_path()
        file = path / WEIGHTS if path.is_dir() else path
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            coef = np.asarray(data["coef"], dtype=float)
            detector = cls(coef, float(data["intercept"]), float(data["threshold"]), str(data["encoder"]))
        except FileNotFoundError:
            raise FileNotFoundError(f"{file}: no reply detector here; train one with `srllm train reply-detector`") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{file}: not a reply detector ({type(exc).__name__}: {exc}); expected the keys "
                             "encoder, threshold, intercept and coef") from None
        if embed is not None and encoder == detector.encoder:
            detector.embed = embed
        else:
            from srllm.similarity import encoder_embedder

            detector.embed = encoder_embedder(detector.encoder, cache_dir)
        return detector


def available(folder: str | os.PathLike[str] | None = None) -> bool:
    path = Path(folder) if folder is not None else default_path()
    return (path / WEIGHTS if path.is_dir() else path).is_file()
