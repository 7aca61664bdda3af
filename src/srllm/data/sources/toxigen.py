"""ToxiGen (Hartvigsen et al., ACL 2022): machine-generated statements about 13 minority groups.

Two evaluation views:
- `ToxiGen`: the 6,514-row human-annotated subset shipped by microsoft/SafeNLP. Quirks: texts
  keep Excel's `_x000D_` escape for a carriage return (34 rows; folded to a space here) and
  leading spaces; some hold literal backslash-n sequences from the generator (kept as published).
- `ToxiGenPrompts`: the 31 prompt files (16 hate + 15 neutral groups; there is no neutral_trans).
  Each line is one prompt of 4-6 statements written "- s1\\n- s2\\n...\\n-" with *literal*
  backslash-n separators and a trailing "-" that cues the generator. Quirks: 159 lines glue the
  final "-" straight onto the last statement ("... am I right?-"), and a few separators carry
  stray extra backslashes ("staple\\\\\\n-", "families\\\\n\\n-"); both are handled.
"""

from __future__ import annotations

import json
import re

import pandas as pd

from srllm.data.registry import DatasetSpec, DataSourceError, github_raw
from srllm.data.sources._text import clean
from srllm.data.sources.base import EvalAdapter

_SAFENLP, _SAFENLP_COMMIT = "microsoft/SafeNLP", "e351b6cb892284cf843b88e363b1a6dbaded584e"
_TOXIGEN, _TOXIGEN_COMMIT = "microsoft/TOXIGEN", "01517e814639e0334c920a3c502036c8158aac87"
_CITATION = (
    "Hartvigsen et al., ToxiGen: A Large-Scale Machine-Generated Dataset for Adversarial and Implicit "
    "Hate Speech Detection, ACL 2022"
)
_LICENSE = "MIT + CDLA-Permissive-2.0 (ToxiGen data); SafeNLP code MIT"

_GROUPS = ("asian", "bisexual", "black", "chinese", "immigrant", "jewish", "latino", "lgbtq", "mental_disability",
           "mexican", "middle_east", "muslim", "native_american", "physical_disability", "trans", "women")
#: (label, group) of every prompt file; upstream has no neutral prompts for "trans".
PROMPT_FILES: tuple[tuple[str, str], ...] = tuple(
    (label, group) for label in ("hate", "neutral") for group in _GROUPS if (label, group) != ("neutral", "trans")
)

#: one or more literal backslash(es)+"n", then the dash that opens the next statement (or ends the prompt)
_SEPARATOR = re.compile(r"(?:\\+n)+-")


def split_prompt(line: str) -> list[str]:
    """The raw statements of one prompt-file line, without their "- " bullets and the final "-" cue."""
    items = _SEPARATOR.split(line.rstrip())
    items[0] = items[0].lstrip().removeprefix("-")
    items[-1] = items[-1].rstrip().removesuffix("-")  # "" normally; "statement-" where the newline is missing
    return [item for item in items if item.strip()]


class ToxiGen(EvalAdapter):
    """The human-annotated subset: one row per statement (label hate/neutral, toxicity 1-5)."""

    spec = DatasetSpec(
        name="toxigen",
        folder="toxigen",
        role="eval",
        title="ToxiGen human-annotated subset (6,514 statements, 13 target groups)",
        citation=_CITATION,
        license=_LICENSE,
        homepage=f"https://github.com/{_TOXIGEN}",
        files={"toxigen/toxiGen_annotated_subset.json": github_raw(_SAFENLP, _SAFENLP_COMMIT, "data/toxiGen.json")},
    )
    text_columns = ("text",)

    def load(self) -> pd.DataFrame:
        rows = json.loads(self.path("toxiGen_annotated_subset.json").read_text(encoding="utf-8"))
        frame = pd.DataFrame(rows, columns=["id", "text", "label", "toxicity_score", "target_groups"])
        frame["text"] = [clean(text.replace("_x000D_", " ")) for text in frame["text"]]
        return frame


class ToxiGenPrompts(EvalAdapter):
    """The generation prompts: one row per statement of each prompt (31 files x 1,000 prompts).

    `text` is one statement; `prompt` is the whole prompt as ToxiGen fed it to the generator, with
    the literal backslash-n separators decoded to newlines (it ends with the "-" cue).
    """

    spec = DatasetSpec(
        name="toxigen_prompts",
        folder="toxigen",
        role="eval",
        title="ToxiGen generation prompts (hate / neutral per target group, 1,000 prompts each)",
        citation=_CITATION,
        license="MIT + CDLA-Permissive-2.0",
        homepage=f"https://github.com/{_TOXIGEN}",
        files={
            f"toxigen/prompts/{label}_{group}_1k.txt": github_raw(
                _TOXIGEN, _TOXIGEN_COMMIT, f"prompts/{label}_{group}_1k.txt"
            )
            for label, group in PROMPT_FILES
        },
    )
    text_columns = ("text",)

    def load(self) -> pd.DataFrame:
        rows: list[tuple] = []
        cleaned: dict[str, str] = {}  # the prompts reuse a few hundred statements: fold each once
        for label, group in PROMPT_FILES:
            name = f"prompts/{label}_{group}_1k.txt"
            for index, line in enumerate(self.path(name).read_text(encoding="utf-8").splitlines()):
                statements = split_prompt(line)
                if not statements:
                    raise DataSourceError(f"{name} line {index + 1}: a prompt with no statements")
                prompt = line.rstrip().replace("\\n", "\n")
                for position, raw in enumerate(statements):
                    text = cleaned.get(raw) or cleaned.setdefault(raw, clean(raw))
                    rows.append((label, group, index, position, text, prompt))
        frame = pd.DataFrame.from_records(
            rows, columns=["label", "group", "prompt_index", "sentence_index", "text", "prompt"]
        )
        return frame.astype({"label": "category", "group": "category"})
