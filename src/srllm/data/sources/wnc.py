"""Wiki Neutrality Corpus sample (Pryzant et al., AAAI 2020): Wikipedia sentences before and
after an NPOV edit. The slice is raw (some edits are typo fixes or unrelated), so only small
edits are kept: the biased side changes 1-2 tokens and the neutral side at most 2. Text is
lower-cased and tokenised upstream; it is detokenised here."""

from __future__ import annotations

from collections.abc import Iterator

from srllm.data.labels import detokenize, token_changes
from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources.base import TrainAdapter, rewrite_pair

_REPO, _COMMIT = "rpryzant/neutralizing-bias", "b7b42e71d211b4f9a757a5e8d9aa98236fb733ec"
SPLITS = ("train", "test")
MAX_SOURCE_EDIT = 2
MAX_TARGET_EDIT = 2


class WikiNeutrality(TrainAdapter):
    spec = DatasetSpec(
        name="wnc",
        folder="wnc_pryzant_sample",
        role="train",
        title="Wiki Neutrality Corpus sample (biased -> neutral Wikipedia edits)",
        citation="Pryzant et al., Automatically Neutralizing Subjective Bias in Text, AAAI 2020",
        license="MIT (code); Wikipedia text CC BY-SA",
        homepage=f"https://github.com/{_REPO}",
        files={
            f"wnc_pryzant_sample/{side}.{split}": github_raw(_REPO, _COMMIT, f"baselines/test_data/{side}.{split}")
            for side in ("pre", "post")
            for split in SPLITS
        },
    )
    label_origin = {
        "bias": "human: the sentence before a Wikipedia neutral-point-of-view edit -> Yes (subjective bias); "
        f"after -> No; only edits of 1-{MAX_SOURCE_EDIT} source and <= {MAX_TARGET_EDIT} target tokens are kept",
        "toxicity": "not annotated (encyclopaedic text) -> No",
        "harm": "not annotated -> Low",
        "sentiment": "VADER (weak label)",
        "target_demographic": "lexicon match (srllm.data.demographics)",
        "biased_words": "words the human edit removed or replaced, by difflib",
        "biased_spans": "character spans of those words in the text (a run of changed words is one span)",
        "benign_variation": "human: the sentence after the NPOV edit",
    }

    def records(self) -> Iterator[CMDRecord]:
        for split in SPLITS:
            pre = self.path(f"pre.{split}").read_text(encoding="utf-8").splitlines()
            post = self.path(f"post.{split}").read_text(encoding="utf-8").splitlines()
            for line, (biased, neutral) in enumerate(zip(pre, post, strict=True)):
                changed_src, changed_tgt = token_changes(biased, neutral)
                if changed_src == 0 and changed_tgt == 0:
                    self.skip("identical before and after")
                    continue
                if not (1 <= changed_src <= MAX_SOURCE_EDIT and changed_tgt <= MAX_TARGET_EDIT):
                    self.skip(f"edit too large or only additions (kept: 1-{MAX_SOURCE_EDIT} source, "
                              f"<= {MAX_TARGET_EDIT} target tokens changed)")
                    continue
                yield from rewrite_pair(
                    source="wnc", key=f"{split}:{line}", text=detokenize(biased), rewrite=detokenize(neutral),
                    bias="Yes", toxicity="No", harm="Low",
                )
