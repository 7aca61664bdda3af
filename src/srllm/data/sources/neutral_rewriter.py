"""NeuTral Rewriter (Vanmassenhove et al., EMNLP 2021): gendered English -> gender-neutral
("singular they") human-checked rewrites from WinoBias+, OpenSubtitles and Reddit.

Line i of the source file pairs with line i of `.references`. WinoBias+ uses the
`.preprocessed` file (no coreference brackets). Text is PTB-tokenised upstream; it is
detokenised here.
"""

from __future__ import annotations

from collections.abc import Iterator

from srllm.data.labels import detokenize
from srllm.data.registry import DatasetSpec, github_raw
from srllm.data.schema import CMDRecord
from srllm.data.sources.base import TrainAdapter, rewrite_pair

_REPO, _COMMIT = "vnmssnhv/NeuTralRewriter", "0503ed5a0d915e0fa6628aec852fb2b5c95767f9"
#: subset -> (source file, reference file), relative to the data set folder
SUBSETS = {
    "WinoBias+": ("WinoBias+/WinoBias+.preprocessed", "WinoBias+/WinoBias+.references"),
    "OpenSubtitles": ("OpenSubtitles/OpenSubtitles.orig", "OpenSubtitles/OpenSubtitles.references"),
    "Reddit": ("Reddit/Reddit.orig", "Reddit/Reddit.references"),
}


class NeutralRewriter(TrainAdapter):
    spec = DatasetSpec(
        name="neutral_rewriter",
        folder="neutral_rewriter",
        role="train",
        title="NeuTral Rewriter gender-neutral rewrites",
        citation="Vanmassenhove, Emmery and Shterionov, NeuTral Rewriter, EMNLP 2021",
        license="CC-BY-SA-4.0 (stated by a compilation; upstream has no LICENSE file)",
        homepage=f"https://github.com/{_REPO}",
        files={
            f"neutral_rewriter/{rel}": github_raw(_REPO, _COMMIT, f"Datasets/{rel}")
            for pair in SUBSETS.values()
            for rel in pair
        },
    )
    label_origin = {
        "bias": "No for both sides: the original assumes a gender where it is unknown or irrelevant (what the "
        "pair teaches the rewriter), but says nothing against a group; labelled Yes, its VADER-negative "
        "sentences ('He was angry.') became Unsafe and taught that a pronoun plus a negative word is unsafe",
        "toxicity": "not annotated (the texts are not abusive) -> No",
        "harm": "not annotated -> Low",
        "sentiment": "VADER (weak label)",
        "target_demographic": "gender for the original; lexicon match for the rewrite",
        "biased_words": "words the human rewrite changed (the gendered pronouns), by difflib",
        "biased_spans": "character spans of those words in the text (a run of changed words is one span)",
        "benign_variation": "human: the manually checked gender-neutral reference",
    }

    def records(self) -> Iterator[CMDRecord]:
        for subset, (source_file, reference_file) in SUBSETS.items():
            sources = self.path(source_file).read_text(encoding="utf-8").splitlines()
            references = self.path(reference_file).read_text(encoding="utf-8").splitlines()
            if len(sources) != len(references):
                raise ValueError(f"{subset}: {len(sources)} source lines but {len(references)} references")
            for line, (src, ref) in enumerate(zip(sources, references, strict=True)):
                text, rewrite = detokenize(src), detokenize(ref)
                if not text or not rewrite:
                    self.skip(f"{subset}: empty line")
                    continue
                if text == rewrite:
                    self.skip(f"{subset}: rewrite identical to source")
                    continue
                yield from rewrite_pair(
                    source="neutral_rewriter", key=f"{subset}:{line}", text=text, rewrite=rewrite,
                    bias="No", toxicity="No", harm="Low", target=["gender"],
                )
