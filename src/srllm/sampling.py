"""Seeded, stratified samples: one implementation for evaluation, training and data analysis.

Every draw is made per stratum with ``random.Random(f"{salt}:{seed}:{stratum}")``, so one
stratum's draw does not depend on the others, and a sample can be reproduced from its salt and
seed alone. A neutral module: it imports nothing from ``srllm``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any


def allocate(counts: Mapping[str, int], n: int) -> dict[str, int]:
    """How many items to draw from each stratum: proportional to its size (largest remainder),
    at least one per stratum when `n` allows it, never more than the stratum holds.

    Worked example: ``allocate({"a": 90, "b": 9, "c": 1}, 10)`` -> a 8, b 1, c 1."""
    total = sum(counts.values())
    if n >= total:
        return dict(counts)
    keys = sorted(counts)
    raw = {k: n * counts[k] / total for k in keys}
    take = {k: int(raw[k]) for k in keys}
    for k in sorted(keys, key=lambda k: (take[k] - raw[k], k))[: n - sum(take.values())]:
        take[k] += 1
    if n >= len(keys):  # give empty strata one item, taken from the largest
        for k in keys:
            if take[k] == 0 and counts[k] > 0:
                donor = max(keys, key=lambda d: (take[d], d))
                take[donor] -= 1
                take[k] = 1
    return take


def stratified_indices(strata: Sequence[str], n: int | None, seed: int, salt: str,
                       order: Sequence[Hashable] | None = None) -> list[int]:
    """Indices of `n` items (all when None or larger), allocated over the values of `strata` in
    proportion to their size (`allocate`); within a stratum the items are sorted by `order` (default:
    their position) and drawn with ``random.Random(f"{salt}:{seed}:{stratum}")``. Returned sorted."""
    if n is not None and n < 1:
        raise ValueError(f"sample size must be positive, got {n}")
    if n is None or n >= len(strata):
        return list(range(len(strata)))
    keys: Sequence[Any] = order if order is not None else range(len(strata))
    groups: dict[str, list[int]] = defaultdict(list)
    for i, stratum in enumerate(strata):
        groups[str(stratum)].append(i)
    take = allocate({k: len(v) for k, v in groups.items()}, n)
    chosen: list[int] = []
    for stratum in sorted(groups):
        members = sorted(groups[stratum], key=lambda i: keys[i])
        chosen += random.Random(f"{salt}:{seed}:{stratum}").sample(members, take[stratum])
    return sorted(chosen)


def stratified_sample(frame: Any, n: int | None, seed: int, by: str, salt: str) -> Any:
    """`n` rows of a pandas DataFrame, stratified by column `by` (`stratified_indices`)."""
    frame = frame.reset_index(drop=True)
    return frame.loc[stratified_indices(frame[by].astype(str).tolist(), n, seed, salt)].reset_index(drop=True)


def equal_sample(frame: Any, n: int | None, seed: int, by: str, salt: str) -> Any:
    """`n` rows of a DataFrame spread as evenly as possible over the values of `by` (e.g. 430 over 13
    groups: 33 or 34 each), drawn per value with ``random.Random(f"{salt}:{seed}:{value}")``."""
    frame = frame.reset_index(drop=True)
    if n is None or n >= len(frame):
        return frame
    keys = sorted(frame[by].astype(str).unique())
    base, extra = divmod(n, len(keys))
    rows: list[int] = []
    for k, key in enumerate(keys):
        pool = sorted(frame.index[frame[by].astype(str) == key])
        rows += random.Random(f"{salt}:{seed}:{key}").sample(pool, min(len(pool), base + (k < extra)))
    return frame.loc[sorted(rows)].reset_index(drop=True)


def seeded_subset(items: Sequence[Any], n: int | None, seed: int, salt: str) -> list[Any]:
    """`n` items drawn without strata by ``random.Random(f"{salt}:{seed}")``, in their input order."""
    if n is None or n >= len(items):
        return list(items)
    return [items[i] for i in sorted(random.Random(f"{salt}:{seed}").sample(range(len(items)), n))]
