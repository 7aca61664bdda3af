"""Choosing the verifier's similarity threshold on dev (`srllm distill threshold`).

Positives: dev rows and their reference rewrites (human and template pairs). Negatives: the same
texts each paired with the rewrite of another dev row about the same target group (a hard
negative: same group, different content). The threshold is the cut with the largest Youden J
(`srllm.verifier.choose_threshold`).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from srllm.distill.run import read_rows
from srllm.verifier import choose_threshold


def dev_pairs(rows: Sequence[dict[str, Any]], n: int, seed: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(positive, negative) (text, rewrite) pairs from dev `rows`, at most `n` of each."""
    pairs = [r for r in rows if r.get("benign_variation") and r.get("split") in (None, "dev")]
    rng = random.Random(seed)
    rng.shuffle(pairs)
    pairs = pairs[:n]
    by_group: dict[str, list[dict[str, Any]]] = {}
    for r in pairs:
        by_group.setdefault((r.get("target_demographic") or ["none"])[0], []).append(r)
    negative = []
    for r in pairs:
        others = [o for o in by_group[(r.get("target_demographic") or ["none"])[0]] if o["id"] != r["id"]] or \
            [o for o in pairs if o["id"] != r["id"]]
        if others:
            negative.append((r["text"], rng.choice(others)["benign_variation"]))
    return [(r["text"], r["benign_variation"]) for r in pairs], negative


def choose_on_dev(dev: str | os.PathLike[str], similarity: Callable[[Sequence[str], Sequence[str]], Any],
                  n: int = 2000, seed: int = 13, out: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The threshold chosen on `dev`, with its TPR / FPR; written to `out` as JSON when given."""
    positive, negative = dev_pairs(list(read_rows(dev)), n, seed)
    if not positive or not negative:
        raise ValueError(f"{dev}: no dev rows with a benign variation to choose a threshold on")
    pos = similarity([a for a, _ in positive], [b for _, b in positive])
    neg = similarity([a for a, _ in negative], [b for _, b in negative])
    result = {**choose_threshold(list(map(float, pos)), list(map(float, neg))), "dev": str(dev), "seed": seed}
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result
