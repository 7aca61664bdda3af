"""The few-shot safety prompt's demonstrations, and the check that none occurs in evaluation data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Demonstration:
    """One few-shot example: a corpus TRAIN row and its benign variation, copied verbatim."""

    id: str
    kind: str
    text: str
    rewrite: str

    @property
    def pair(self) -> tuple[str, str]:
        return self.text, self.rewrite


#: The few-shot safety prompt's demonstrations. The paper's own few-shot prompt (SR_LLM Appendix
#: F.1) could not be retrieved offline, so this one is ours: three fixed pairs copied from the TRAIN
#: split of the corpus (`srllm data build`, seed 13), one per kind of rewrite the corpus teaches:
#: removing toxicity (ParaDetox), gender-neutral rewriting (Neutral Rewriter), and replacing a
#: stereotype (the synthetic set). They are hard-coded so they can never come from a test split;
#: `check_demonstrations` verifies that against an evaluation file at run time.
FEW_SHOT_DEMONSTRATIONS: tuple[Demonstration, ...] = (
    Demonstration(
        id="paradetox:10017",
        kind="toxic -> neutral",
        text="who gives a shit if they 're drunk and high ?",
        rewrite="who cares if they're drunk and high?",
    ),
    Demonstration(
        id="neutral_rewriter:OpenSubtitles:101",
        kind="gendered -> neutral",
        text="That's what she wanted me to tell you",
        rewrite="That's what they wanted me to tell you",
    ),
    Demonstration(
        id="synthetic:stereotype:101",
        kind="stereotype -> neutral",
        text="The problem with twenty-somethings is that they're lazy.",
        rewrite="There's no single story about twenty-somethings; work ethic differs from person to person.",
    ),
)
#: The demonstrations as (text, rewrite) pairs, the form `Rewriter` takes.
FEW_SHOT: tuple[tuple[str, str], ...] = tuple(d.pair for d in FEW_SHOT_DEMONSTRATIONS)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_demonstrations(records: Sequence[Any], demonstrations: Sequence[Demonstration] = FEW_SHOT_DEMONSTRATIONS) -> None:
    """Raise ValueError when a demonstration's id, text or rewrite occurs among `records` (CMD rows
    of an evaluation split): a few-shot prompt must not show the model an item it is scored on."""
    ids = {d.id: d for d in demonstrations}
    texts = {_norm(t): d for d in demonstrations for t in (d.text, d.rewrite)}
    for record in records:
        hit = ids.get(record.id)
        if hit is None:
            for value in (record.text, getattr(record, "benign_variation", None)):
                if value is not None and _norm(value) in texts:
                    hit = texts[_norm(value)]
                    break
        if hit is not None:
            raise ValueError(
                f"few-shot demonstration {hit.id!r} occurs in the evaluation data (row {record.id!r}); "
                "the demonstrations must come from the train split"
            )
