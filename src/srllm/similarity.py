"""How alike two texts are: surface (chrF, normalised edit distance, whitespace-insensitive
equality) and meaning (cosine of sentence-encoder embeddings). Shared by the rewrite pipeline,
the evaluation and the data statistics; a neutral module that never imports ``srllm.eval``.

- `sentence_chrf` / `corpus_chrf`: chrF2 (Popovic 2015; character 6-grams, beta 2, 0-100) with
  ``sacrebleu``; an output identical to its reference scores 100, an empty one 0.
- `normalised_edit_distance`: character Levenshtein distance divided by the longer length
  (``rapidfuzz.distance.Levenshtein.normalized_distance``): 0 identical, 1 nothing in common.
- `cosine_rows` / `encoder_embedder` / `embedding_similarity`: row-wise cosine of L2-normalised
  mean-pooled embeddings (``srllm.models.embed_sentences``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Embedder = Callable[[Sequence[str]], np.ndarray]
#: similarity(a, b) -> one score per pair (cosine of sentence embeddings for the default).
Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]


def normalise_whitespace(text: str) -> str:
    return " ".join(text.split())


def changed(before: str, after: str) -> bool:
    """Whether `after` differs from `before` once whitespace is collapsed."""
    return normalise_whitespace(before) != normalise_whitespace(after)


def _sacrebleu() -> Any:
    try:
        import sacrebleu
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("chrF needs sacrebleu: pip install 'srllm[eval]'") from exc
    return sacrebleu


def sentence_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """Per-item chrF (0-100) of each hypothesis against its one reference."""
    sacrebleu = _sacrebleu()
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    return np.array([sacrebleu.sentence_chrf(h, [r]).score for h, r in zip(hypotheses, references)], dtype=float)


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """chrF over the whole set: n-gram statistics pooled over items, then one F-score."""
    if not hypotheses:
        return float("nan")
    return float(_sacrebleu().corpus_chrf(list(hypotheses), [list(references)]).score)


def normalised_edit_distance(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Per pair, the character Levenshtein distance / the longer length (0 for two empty texts)."""
    from rapidfuzz.distance import Levenshtein

    if len(a) != len(b):
        raise ValueError(f"{len(a)} texts but {len(b)} counterparts")
    return np.array([Levenshtein.normalized_distance(x, y) for x, y in zip(a, b)], dtype=float)


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two (n, d) arrays (0 where either row is all zeros)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.where(norms > 0, (a * b).sum(1) / np.where(norms > 0, norms, 1.0), 0.0)


def encoder_embedder(name: str = "minilm-l6-v2", cache_dir: Any = None, batch_size: int = 64) -> Embedder:
    """An embedder from a sentence encoder name (`models.load_encoder` + `models.embed_sentences`)."""
    from srllm.models import embed_sentences, load_encoder

    model, tokenizer = load_encoder(name, cache_dir)

    def embed(texts: Sequence[str]) -> np.ndarray:
        return embed_sentences(model, tokenizer, list(texts), batch_size=batch_size).cpu().numpy()

    return embed


def embedding_similarity(embed: Embedder) -> Similarity:
    """A `Similarity` from a sentence embedder (texts -> (n, d) array): row-wise cosine; an empty
    text scores 0."""

    def similarity(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        if not a:
            return np.zeros(0)
        scores = cosine_rows(np.asarray(embed(list(a)), dtype=float), np.asarray(embed(list(b)), dtype=float))
        blank = np.array([not x.strip() or not y.strip() for x, y in zip(a, b)])
        return np.where(blank, 0.0, scores)

    return similarity
