"""Training data for the risk classifier: labels per head, token span targets, the seeded
source-weighted sample, and padded batches."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import numpy as np

from srllm.classify.report import UNSAFE_HEAD

#: How the training sample is spread over sources: ``proportional`` to their sizes, ``sqrt`` (each
#: source in proportion to the square root of its size, so a few large profanity sets do not
#: dominate the many small human-labelled ones), or ``equal``.
SOURCE_WEIGHTINGS = ("proportional", "sqrt", "equal")

def record_labels(record: Any, levels: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Class index of every head for one CMD record."""
    out = {}
    for head, names in levels.items():
        value = record.annotation if head == UNSAFE_HEAD else getattr(record, head)
        out[head] = names.index(value)
    return out


def source_quotas(sizes: dict[str, int], n: int, weighting: str) -> dict[str, int]:
    """How many of `n` records each source gives under `weighting` (see `SOURCE_WEIGHTINGS`); a
    source never gives more than it has, and what it cannot give goes to the others."""
    from srllm.sampling import allocate

    if weighting == "proportional" or n >= sum(sizes.values()):
        return allocate(sizes, min(n, sum(sizes.values())))
    power = 0.5 if weighting == "sqrt" else 0.0
    quota, open_sources, left = {s: 0 for s in sizes}, set(sizes), n
    while left > 0 and open_sources:
        weights = {s: sizes[s] ** power for s in open_sources}
        total = sum(weights.values())
        share = {s: min(sizes[s] - quota[s], int(round(left * w / total))) for s, w in weights.items()}
        if not any(share.values()):  # rounding left nothing: hand out one each, largest weight first
            for s in sorted(open_sources, key=lambda s: (-weights[s], s))[:left]:
                share[s] = 1
        for s, k in share.items():
            quota[s] += k
            left -= k
        open_sources = {s for s in open_sources if quota[s] < sizes[s]}
    return quota


def stratified_sample(records: list[Any], n: int | None, seed: int, weighting: str = "proportional") -> list[Any]:
    """Up to `n` records, spread over sources by `weighting` and, within a source, proportional per
    annotation; seeded; input order kept."""
    if n is None or n >= len(records):
        return list(records)
    from srllm.sampling import allocate

    by_source: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, r in enumerate(records):
        by_source[r.source][r.annotation].append(i)
    per_source = source_quotas({s: sum(map(len, a.values())) for s, a in by_source.items()}, n, weighting)
    rng = random.Random(seed)
    chosen = []
    for source in sorted(by_source):
        strata = by_source[source]
        quota = allocate({k: len(v) for k, v in strata.items()}, per_source[source])
        chosen += [i for key, members in sorted(strata.items()) for i in rng.sample(members, quota[key])]
    return [records[i] for i in sorted(chosen)]


#: Symbols (emoji, modifier symbols) are split off as tokens of their own: BERT's pre-tokenizer keeps
#: "🤬idiots" as one word, which WordPiece then turns into a single [UNK], losing "idiots".
SYMBOLS = r"[\p{So}\p{Sk}]"


def split_symbols(tokenizer: Any) -> Any:
    """Make a fast (Hugging Face) tokenizer split symbols into tokens of their own; offsets stay exact."""
    from tokenizers import Regex, pre_tokenizers

    backend = tokenizer.backend_tokenizer
    current = backend.pre_tokenizer
    split = pre_tokenizers.Split(Regex(SYMBOLS), "isolated")
    backend.pre_tokenizer = pre_tokenizers.Sequence([split, current] if current is not None else [split])
    return tokenizer


def span_targets(record: Any) -> tuple[list[list[int]], bool]:
    """The spans a record's token labels come from, and whether they are known.

    A text with no risk at all is supervised with every token 0, even when a human rewrite changed some
    of its words (NeuTral Rewriter's "she" -> "they"): a word is only a biased span in a risky text. A
    risky text is supervised where its words are marked, and ignored where nobody marked them.
    """
    if record.bias == "No" and record.toxicity == "No" and record.harm == "Low":
        return [], True
    spans = [list(span) for span in getattr(record, "biased_spans", None) or []]
    return spans, bool(spans)


def encode(tokenizer: Any, records: list[Any], levels: dict[str, tuple[str, ...]], max_length: int) -> dict[str, Any]:
    from srllm.classify.spans import token_labels

    encoded = tokenizer([r.text for r in records], truncation=True, max_length=max_length, return_offsets_mapping=True)
    labels = {head: np.array([record_labels(r, levels)[head] for r in records]) for head in levels}
    targets = [span_targets(r) for r in records]
    tokens = [token_labels(offsets, *target) for target, offsets in zip(targets, encoded["offset_mapping"])]
    return {"input_ids": encoded["input_ids"], "labels": labels, "token_labels": tokens,
            "offsets": encoded["offset_mapping"], "texts": [r.text for r in records],
            "spans": [spans for spans, _ in targets]}


def batch(data: dict[str, Any], index: list[int], pad_id: int) -> tuple[Any, Any, dict[str, Any]]:
    import torch

    from srllm.classify.heads import SPAN_HEAD
    from srllm.classify.spans import IGNORE

    width = max(len(data["input_ids"][i]) for i in index)
    ids = torch.full((len(index), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(index), width), dtype=torch.long)
    tokens = torch.full((len(index), width), IGNORE)
    for row, i in enumerate(index):
        seq = data["input_ids"][i]
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
        tokens[row, : len(seq)] = torch.tensor(data["token_labels"][i])
    labels = {head: torch.from_numpy(values[index]) for head, values in data["labels"].items()}
    labels[SPAN_HEAD] = tokens
    return ids, mask, labels
