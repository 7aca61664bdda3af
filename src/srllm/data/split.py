"""Seeded, stratified, group-aware train/dev/test split.

Rows that belong together always land in one split, so no pair straddles train and test: a row
derived from another (`parent_id`: a human rewrite kept as its own row, a gender-swapped
counterfactual) joins its parent, and rows whose benign variations are the same text (e.g. the
"he" and "she" versions of one WinoBias sentence, both rewritten to "they") join each other.
Groups are stratified by the (source, annotation) of their first original row; within a stratum
they are sorted by id, shuffled with a `random.Random` seeded by the seed and the stratum name
(stable across processes and platforms), and cut by the ratios.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from srllm.data.contamination import text_hash
from srllm.data.schema import SPLITS, CMDRecord

DEFAULT_RATIOS = (0.7, 0.1, 0.2)


def _cut(n: int, ratios: Sequence[float]) -> list[int]:
    """Sizes per split that add up to n (largest-remainder rounding)."""
    raw = [n * r for r in ratios]
    sizes = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: (sizes[i] - raw[i], i))[: n - sum(sizes)]:
        sizes[i] += 1
    return sizes


def groups(records: Sequence[CMDRecord]) -> dict[str, list[CMDRecord]]:
    """Rows that must share a split, keyed by their smallest id (union-find over links)."""
    by_id = {r.id: r for r in records}
    root = {r.id: r.id for r in records}

    def find(x: str) -> str:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            root[max(ra, rb)] = min(ra, rb)

    first_with_variation: dict[str, str] = {}
    for record in records:
        if record.parent_id is not None:
            if record.parent_id not in by_id:
                raise ValueError(f"{record.id}: parent {record.parent_id!r} is not in the corpus")
            union(record.id, record.parent_id)
        if record.benign_variation is not None:
            union(record.id, first_with_variation.setdefault(text_hash(record.benign_variation), record.id))
    members: dict[str, list[CMDRecord]] = defaultdict(list)
    for record in records:
        members[find(record.id)].append(record)
    return {min(r.id for r in rows): rows for rows in members.values()}


def assign_splits(records: Sequence[CMDRecord], seed: int, ratios: Sequence[float] = DEFAULT_RATIOS) -> dict[str, str]:
    """Map record id -> split name."""
    if len(ratios) != len(SPLITS) or abs(sum(ratios) - 1) > 1e-9 or min(ratios) < 0:
        raise ValueError(f"ratios must be {len(SPLITS)} non-negative numbers summing to 1, got {tuple(ratios)}")
    grouped = groups(records)
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key, rows in grouped.items():
        originals = sorted((r for r in rows if r.parent_id is None), key=lambda r: r.id) or rows
        strata[(originals[0].source, originals[0].annotation)].append(key)
    assignment: dict[str, str] = {}
    for (source, annotation), keys in sorted(strata.items()):
        keys.sort()
        random.Random(f"{seed}|{source}|{annotation}").shuffle(keys)
        start = 0
        for split, size in zip(SPLITS, _cut(len(keys), ratios), strict=True):
            for key in keys[start : start + size]:
                for record in grouped[key]:
                    assignment[record.id] = split
            start += size
    return assignment
