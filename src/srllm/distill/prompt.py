"""The teacher's prompt: `srllm.safety_prompt` (shared with the best tier), whose few-shot pairs
are checked here against the corpus at run time: each must be a TRAIN row (human, or one of the
corpus's synthetic pairs; never a generated one) with that benign variation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from srllm.safety_prompt import FEW_SHOT_SETS, SAFETY_FEW_SHOT_IDS, SAFETY_SYSTEM_PROMPT
from srllm.taxonomy import INSTRUCTION

TEACHER_SYSTEM_PROMPT = SAFETY_SYSTEM_PROMPT
FEW_SHOT_IDS: tuple[str, ...] = SAFETY_FEW_SHOT_IDS


class FewShotError(ValueError):
    """A few-shot id that is not a TRAIN row with a human or synthetic rewrite."""


def few_shot_pairs(rows: Iterable[dict[str, Any]], ids: Sequence[str] = FEW_SHOT_IDS) -> list[tuple[str, str]]:
    """(text, rewrite) for each id, in order, from corpus `rows` (dicts); every id must be a
    train-split row with a benign variation, public or synthetic (never generated), and match the
    pair written in `srllm.safety_prompt`."""
    wanted = set(ids)
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.get("id") in wanted:
            found[row["id"]] = row
    problems = []
    for i in ids:
        row = found.get(i)
        if row is None:
            problems.append(f"{i}: not in the corpus")
        elif (row.get("split") not in (None, "train") or not row.get("benign_variation")
              or row.get("provenance") not in ("public", "synthetic")):
            problems.append(f"{i}: not a train row with a human rewrite (split={row.get('split')!r}, "
                            f"provenance={row.get('provenance')!r})")
    written = {i: (text, rewrite) for rows_ in FEW_SHOT_SETS.values() for i, text, rewrite in rows_}
    for i in ids:
        row = found.get(i)
        if row is not None and i in written and (row["text"], row.get("benign_variation")) != written[i]:
            problems.append(f"{i}: the corpus row differs from the pair written in srllm.safety_prompt")
    if problems:
        raise FewShotError("few-shot pairs must be human or synthetic TRAIN pairs: " + "; ".join(problems))
    return [(found[i]["text"], found[i]["benign_variation"]) for i in ids]


def prompt_hash(system: str, instruction: str, pairs: Sequence[tuple[str, str]], model: str, format: str) -> str:
    """sha256 of everything fixed in the teacher's prompt (recorded with every generated pair)."""
    blob = json.dumps({"system": system, "instruction": instruction, "few_shot": [list(p) for p in pairs],
                       "model": model, "format": format}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


__all__ = ["FEW_SHOT_IDS", "INSTRUCTION", "TEACHER_SYSTEM_PROMPT", "FewShotError", "few_shot_pairs", "prompt_hash"]
