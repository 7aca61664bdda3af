"""Anthropic HH-RLHF harmless-base test split (Bai et al. 2022): red-team dialogues, each with a
less harmful (chosen) and a more harmful (rejected) final assistant reply. Preference labels are
noisy (the chosen reply is sometimes harmful too); the pair is not a rewrite.

Read from the upstream gzip JSONL; the final replies are split off after the last
"\\n\\nAssistant:" and the shared prefix is checked.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources.base import TrainAdapter, public_record
from srllm.data.sources.paradetox import clean

_REPO, _COMMIT = "anthropics/hh-rlhf", "354e5c3cb8960630860dd5774a6ac2a58313bf4d"
_TURN = "\n\nAssistant:"


def last_reply(transcript: str) -> tuple[str, str]:
    """(prefix, final assistant reply) of a Human/Assistant transcript."""
    cut = transcript.rfind(_TURN)
    if cut < 0:
        raise ValueError("no assistant turn")
    return transcript[:cut], transcript[cut + len(_TURN):]


class HHRLHFHarmless(TrainAdapter):
    spec = DatasetSpec(
        name="hh_rlhf",
        folder="hh_rlhf_harmless_test",
        role="train",
        title="HH-RLHF harmless-base (test split)",
        citation="Bai et al., Training a Helpful and Harmless Assistant with RLHF, 2022",
        license="MIT",
        homepage=f"https://github.com/{_REPO}",
        files={"hh_rlhf_harmless_test/harmless-base/test.jsonl.gz": github_raw(_REPO, _COMMIT, "harmless-base/test.jsonl.gz")},
    )
    label_origin = {
        "harm": "human preference (noisy): the more harmful (rejected) reply -> Medium, the chosen reply -> Low",
        "toxicity": "not annotated -> No",
        "bias": "not annotated -> No",
        "sentiment": "VADER (weak label)",
        "target_demographic": "lexicon match (srllm.data.demographics)",
        "biased_words": "none",
        "benign_variation": "none (the chosen reply answers differently; it is not an edit of the rejected one)",
    }

    def records(self) -> Iterator[CMDRecord]:
        with gzip.open(self.path("harmless-base/test.jsonl.gz"), "rt", encoding="utf-8") as handle:
            for line, raw in enumerate(handle):
                row = json.loads(raw)
                try:
                    prefix_c, chosen = last_reply(row["chosen"])
                    prefix_r, rejected = last_reply(row["rejected"])
                except ValueError:
                    self.skip("transcript without an assistant turn")
                    continue
                if prefix_c != prefix_r:
                    self.skip("chosen and rejected transcripts differ before the last reply")
                    continue
                chosen, rejected = clean(chosen), clean(rejected)
                if not chosen or not rejected or chosen == rejected:
                    self.skip("empty or identical final replies")
                    continue
                for side, text, harm in (("rejected", rejected, "Medium"), ("chosen", chosen, "Low")):
                    yield public_record("hh_rlhf", f"{line}:{side}", text, bias="No", toxicity="No", harm=harm)
