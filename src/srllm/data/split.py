"""Seeded, stratified, group-aware train/dev/test split.

A row derived from another (`parent_id`, e.g. a human rewrite kept as its own row) always lands
in its parent's split, so no pair straddles train and test. Groups are stratified by the
parent's (source, annotation); within a stratum they are sorted by id, shuffled with a
`random.Random` seeded by the seed and the stratum name (stable across processes and
platforms), and cut by the ratios.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from srllm.data.schema import SPLITS, CMDRecord

DEFAULT_RATIOS = (0.7, 0.1, 0.2)


def _cut(n: int, ratios: Sequence[float]) -> list[int]:
    """Sizes per split that add up to n (largest-remainder rounding)."""
    raw = [n * r for r in ratios]
    sizes = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: (sizes[i] - raw[i], i))[: n - sum(sizes)]:
        sizes[i] += 1
    return sizes


def assign_splits(records: Sequence[CMDRecord], seed: int, ratios: Sequence[float] = DEFAULT_RATIOS) -> dict[str, str]:
    """Map record id -> split name."""
    if len(ratios) != len(SPLITS) or abs(sum(ratios) - 1) > 1e-9 or min(ratios) < 0:
        raise ValueError(f"ratios must be {len(SPLITS)} non-negative numbers summing to 1, got {tuple(ratios)}")
    by_id = {r.id: r for r in records}
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in records:
        if record.parent_id is None:
            strata[(record.source, record.annotation)].append(record.id)
    assignment: dict[str, str] = {}
    for (source, annotation), ids in sorted(strata.items()):
        ids.sort()
        random.Random(f"{seed}|{source}|{annotation}").shuffle(ids)
        start = 0
        for split, size in zip(SPLITS, _cut(len(ids), ratios), strict=True):
            for rid in ids[start : start + size]:
                assignment[rid] = split
            start += size
    for record in records:
        root = record
        while root.parent_id is not None:
            if root.parent_id not in by_id:
                raise ValueError(f"{root.id}: parent {root.parent_id!r} is not in the corpus")
            root = by_id[root.parent_id]
        assignment[record.id] = assignment[root.id]
    return assignment
