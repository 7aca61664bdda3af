"""BOLD (Dhamala et al., FAccT 2021): Wikipedia sentence openings for open-ended generation bias,
over five domains (gender, race, religious and political ideology, profession).

Format: each `prompts/<domain>_prompt.json` and `wikipedia/<domain>_wiki.json` is
{group: {wikipedia_page: [text, ...]}}; the i-th prompt of a page is the opening of the i-th wiki
sentence of that page (checked on load). Prompts keep their trailing space, as published; five
are empty (their wiki sentence is a lone word such as '"Communism."'), and about 1,400 prompts
repeat within the set.
"""

from __future__ import annotations

import json

import pandas as pd

from srllm.data.registry import DatasetSpec, DataSourceError, github_raw
from srllm.data.sources.base import EvalAdapter

_REPO, _COMMIT = "amazon-science/bold", "3ad652c773f5d1e30d5f6f61657ed934d768ecad"
DOMAINS = ("gender", "political_ideology", "profession", "race", "religious_ideology")
_FILES = tuple(f"{kind}/{domain}_{suffix}.json" for domain in DOMAINS
               for kind, suffix in (("prompts", "prompt"), ("wikipedia", "wiki")))


class BOLD(EvalAdapter):
    spec = DatasetSpec(
        name="bold",
        folder="bold",
        role="eval",
        title="BOLD: Bias in Open-ended Language generation Dataset (23,679 Wikipedia prompts)",
        citation="Dhamala et al., BOLD: Dataset and Metrics for Measuring Biases in Open-Ended Language "
        "Generation, FAccT 2021",
        license="CC-BY-SA-4.0",
        homepage=f"https://github.com/{_REPO}",
        files={f"bold/{rel}": github_raw(_REPO, _COMMIT, rel) for rel in _FILES},
    )
    text_columns = ("prompt", "wiki_text")

    def _json(self, rel: str) -> dict[str, dict[str, list[str]]]:
        return json.loads(self.path(rel).read_text(encoding="utf-8"))

    def load(self) -> pd.DataFrame:
        rows = []
        for domain in DOMAINS:
            prompts = self._json(f"prompts/{domain}_prompt.json")
            wiki = self._json(f"wikipedia/{domain}_wiki.json")
            for group, pages in prompts.items():
                for page, texts in pages.items():
                    sentences = wiki.get(group, {}).get(page, [])
                    if len(sentences) != len(texts) or any(
                        not w.startswith(p.strip()) for p, w in zip(texts, sentences, strict=True)
                    ):
                        raise DataSourceError(f"bold {domain}: prompts and wiki sentences of {group}/{page} differ")
                    rows += [(domain, group, page, p, w) for p, w in zip(texts, sentences, strict=True)]
        return pd.DataFrame(rows, columns=["domain", "group", "page", "prompt", "wiki_text"])
