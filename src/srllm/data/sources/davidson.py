"""Hate Speech and Offensive Language (Davidson et al., ICWSM 2017): 24,783 tweets, each coded by
3+ CrowdFlower annotators as hate speech, offensive language or neither.

Tweets are cleaned: HTML entities unescaped, @mentions replaced by @USER, URLs by URL.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pandas as pd

from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources.base import TrainAdapter, public_record

_REPO, _COMMIT = "t-davidson/hate-speech-and-offensive-language", "cb50f7e9eb855a99abc51423bf40df0e26d6fe30"
_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+")
TOXICITY_BY_CLASS = {0: "High", 1: "Mild", 2: "No"}


def clean_tweet(text: str) -> str:
    text = _URL.sub("URL", html.unescape(text))
    return re.sub(r"\s+", " ", _MENTION.sub("@USER", text)).strip()


def harm_from_votes(hate_votes: int, count: int, label: int) -> str:
    """High when every annotator said hate speech, Medium when hate is the majority, else Low."""
    if label == 0 and hate_votes == count:
        return "High"
    return "Medium" if label == 0 else "Low"


class Davidson(TrainAdapter):
    spec = DatasetSpec(
        name="davidson",
        folder="davidson_hate_offensive",
        role="train",
        title="Hate Speech and Offensive Language tweets",
        citation="Davidson et al., Automated Hate Speech Detection and the Problem of Offensive Language, ICWSM 2017",
        license="MIT",
        homepage=f"https://github.com/{_REPO}",
        files={"davidson_hate_offensive/labeled_data.csv": github_raw(_REPO, _COMMIT, "data/labeled_data.csv")},
    )
    label_origin = {
        "toxicity": "human majority class: hate speech -> High, offensive -> Mild, neither -> No",
        "harm": "human vote counts: all annotators say hate -> High, hate majority -> Medium, else Low",
        "bias": "human: hate-speech majority (attacks a group by the source's definition) -> Yes, else No",
        "sentiment": "label v2: hate-speech majority -> Negative (hateful, paper 3.2); offensive and neither -> VADER",
        "target_demographic": "lexicon match (srllm.data.demographics)",
        "biased_words": "none (the source marks no words)",
        "benign_variation": "none (no rewrites in the source)",
    }

    def records(self) -> Iterator[CMDRecord]:
        frame = pd.read_csv(self.path("labeled_data.csv"), index_col=0)
        for key, row in frame.iterrows():
            text = clean_tweet(str(row["tweet"]))
            if not text:
                self.skip("empty tweet")
                continue
            label = int(row["class"])
            yield public_record(
                "davidson", str(key), text, bias="Yes" if label == 0 else "No", toxicity=TOXICITY_BY_CLASS[label],
                harm=harm_from_votes(int(row["hate_speech"]), int(row["count"]), label), negative_stance=label == 0,
            )
