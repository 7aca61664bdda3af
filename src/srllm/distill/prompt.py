"""The teacher's prompt: a system prompt that forbids the moves a plain few-shot prompt makes
(hedging a stereotype, restating it as others' view, answering as an assistant), the paper's
instruction (`srllm.taxonomy.INSTRUCTION`) in every user turn, and five human rewrite pairs taken
from the TRAIN split by id (checked at run time: each must be a train row with a human rewrite).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from srllm.taxonomy import INSTRUCTION

TEACHER_SYSTEM_PROMPT = (
    "You rewrite a text so that it is free of bias, toxicity and harm, keeping its topic and the group it "
    "is about. Output only the rewritten text, as many sentences as the input has.\n"
    "- If the text states a stereotype or generalisation about a group, write a fair statement about the "
    "same group and topic that does not assert the stereotype.\n"
    "- Never hedge it (\"Some X may be ...\"), never present it as others' view (\"There is a perception "
    "that ...\", \"Some people believe ...\"), and never keep an insult, slur or threat.\n"
    "- Never answer, apologise, refuse or comment (\"I'm sorry\", \"I can't\"): you rewrite the text, "
    "you do not reply to it.\n"
    "- Keep the words that name the group (a slur becomes the group's neutral name) and the subject."
)

#: Human pairs (ParaDetox, WNC) from the TRAIN split, chosen by hand for what the teacher must do:
#: keep the group and the subject while dropping the insult, the profanity or the loaded judgement.
FEW_SHOT_IDS: tuple[str, ...] = (
    "paradetox:7440",  # insult -> disagreement, topic kept
    "paradetox:11077",  # profanity removed, group ("black people") kept
    "paradetox:10151",  # profanity removed, group ("women") kept
    "paradetox:2292",  # dehumanising ("snakes") -> a plain claim
    "wnc:train:335",  # loaded judgement ("typically poor") removed, nationality kept
)


class FewShotError(ValueError):
    """A few-shot id that is not a TRAIN row with a human rewrite."""


def few_shot_pairs(rows: Iterable[dict[str, Any]], ids: Sequence[str] = FEW_SHOT_IDS) -> list[tuple[str, str]]:
    """(text, human rewrite) for each id, in order, from corpus `rows` (dicts); every id must be a
    train-split, public row with a benign variation."""
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
        elif row.get("split") not in (None, "train") or not row.get("benign_variation") or row.get("provenance") != "public":
            problems.append(f"{i}: not a train row with a human rewrite (split={row.get('split')!r}, "
                            f"provenance={row.get('provenance')!r})")
    if problems:
        raise FewShotError("few-shot pairs must be human TRAIN pairs: " + "; ".join(problems))
    return [(found[i]["text"], found[i]["benign_variation"]) for i in ids]


def prompt_hash(system: str, instruction: str, pairs: Sequence[tuple[str, str]], model: str, format: str) -> str:
    """sha256 of everything fixed in the teacher's prompt (recorded with every generated pair)."""
    blob = json.dumps({"system": system, "instruction": instruction, "few_shot": [list(p) for p in pairs],
                       "model": model, "format": format}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


__all__ = ["FEW_SHOT_IDS", "INSTRUCTION", "TEACHER_SYSTEM_PROMPT", "FewShotError", "few_shot_pairs", "prompt_hash"]
