"""Describe a CMD file: the paper's Table 1 (class distribution) and Table 2 (text length); `run_stats`
adds Figure 5 (readability per sentiment) and Table 13 (edit distance to the benign variation) from
`srllm.data.text_stats`.

Table 1 counts every level of bias, toxicity, sentiment, harm and Annotation in the
taxonomy's level order (levels with no rows are shown as 0), plus target demographics (a row
may name several, so their % of rows can sum past 100), provenance, source and whether a
benign variation exists; with splits, the Annotation counts per split.
Table 2 gives pandas `Series.describe()` statistics (count, mean, sample std with ddof=1,
min, linear-interpolation quartiles, max) of `text` and `benign_variation` lengths in
characters (`len`) and words (`str.split`), rounded to 1 decimal.
Outputs are deterministic: JSON with sorted keys, PNG without a Software/date stamp.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from srllm.data.schema import ALLOWED_DEMOGRAPHICS, SPLITS, CMDRecord
from srllm.taxonomy import ANNOTATIONS, LEVELS

#: The labels of Table 1 and their levels, in taxonomy order.
LABELS: dict[str, tuple[str, ...]] = {**LEVELS, "annotation": ANNOTATIONS}
PROVENANCES: tuple[str, ...] = ("public", "synthetic")
DESCRIBE_KEYS: tuple[str, ...] = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")
NO_SPLIT = "(none)"


@dataclass
class StatsResult:
    stats: dict
    markdown: str
    paths: dict[str, Path] = field(default_factory=dict)
    #: readability.png (Figure 5) and edit_distance.png (Table 13), `srllm.data.text_stats`
    plots: dict[str, Path] = field(default_factory=dict)


def _distribution(counter: Counter, order: Sequence[str], total: int) -> dict[str, Any]:
    """Counts and % of `total` for every value of `order` (zeros kept), then any others sorted."""
    values = list(order) + sorted(set(counter) - set(order))
    counts = {v: int(counter.get(v, 0)) for v in values}
    percent = {v: round(100.0 * c / total, 1) if total else 0.0 for v, c in counts.items()}
    return {"order": values, "counts": counts, "percent": percent}


def _describe(values: Sequence[int]) -> dict[str, float | None]:
    """pandas describe() of `values`, rounded to 1 decimal; undefined statistics are None."""
    import pandas as pd

    described = pd.Series(list(values), dtype="float64").describe()
    out: dict[str, float | None] = {}
    for key in DESCRIBE_KEYS:
        value = float(described[key])
        out[key] = None if math.isnan(value) else round(value, 1)
    return out


def compute_stats(records: Sequence[CMDRecord]) -> dict:
    """Tables 1 and 2 of a record set as a JSON-serialisable dict."""
    total = len(records)
    labels = {
        name: _distribution(Counter(getattr(r, name) for r in records), levels, total)
        for name, levels in LABELS.items()
    }
    demographics = Counter(d for r in records for d in dict.fromkeys(r.target_demographic))
    variations = [r.benign_variation for r in records if r.benign_variation is not None]
    texts = {"text": [r.text for r in records]}
    if variations:
        texts["benign_variation"] = variations
    stats: dict[str, Any] = {
        "rows": total,
        "labels": labels,
        "target_demographic": _distribution(demographics, ALLOWED_DEMOGRAPHICS, total),
        "provenance": _distribution(Counter(r.provenance for r in records), PROVENANCES, total),
        "source": _distribution(Counter(r.source for r in records), (), total),
        "benign_variation": _distribution(
            Counter("yes" if r.benign_variation is not None else "no" for r in records), ("yes", "no"), total
        ),
        "length": {
            name: {"chars": _describe([len(t) for t in values]), "words": _describe([len(t.split()) for t in values])}
            for name, values in texts.items()
        },
    }
    if any(r.split is not None for r in records):
        per_split: dict[str, Counter] = {}
        for r in records:
            per_split.setdefault(r.split or NO_SPLIT, Counter())[r.annotation] += 1
        order = [s for s in (*SPLITS, NO_SPLIT) if s in per_split]
        stats["splits"] = {
            "order": order,
            "annotation": {s: _distribution(per_split[s], ANNOTATIONS, sum(per_split[s].values())) for s in order},
        }
    return stats


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _dist_rows(name: str, dist: dict) -> list[str]:
    return [f"| {name} | {v} | {dist['counts'][v]} | {dist['percent'][v]:.1f} |" for v in dist["order"]]


def stats_markdown(stats: dict) -> str:
    """Render the dict of `compute_stats` as the Markdown Tables 1 and 2."""
    n = stats["rows"]
    lines = [f"## Table 1: class distribution ({n} rows)", "", "| label | level | count | % |", "|---|---|---:|---:|"]
    for name in LABELS:
        lines += _dist_rows(name, stats["labels"][name])
    lines += ["", "Target demographic (a row may name several, so % of rows can sum past 100):", "",
              "| field | value | count | % |", "|---|---|---:|---:|"]
    lines += _dist_rows("target_demographic", stats["target_demographic"])
    for name in ("provenance", "source", "benign_variation"):
        lines += _dist_rows(name if name != "benign_variation" else "has benign_variation", stats[name])
    if "splits" in stats:
        lines += ["", "Annotation per split:", "", "| split | " + " | ".join(ANNOTATIONS) + " | rows | % Unsafe |",
                  "|---|" + "---:|" * (len(ANNOTATIONS) + 2)]
        for split in stats["splits"]["order"]:
            dist = stats["splits"]["annotation"][split]
            counts = " | ".join(str(dist["counts"][a]) for a in ANNOTATIONS)
            lines.append(f"| {split} | {counts} | {sum(dist['counts'].values())} | {dist['percent']['Unsafe']:.1f} |")
    lines += ["", "## Table 2: text length", "", "| field | unit | " + " | ".join(DESCRIBE_KEYS) + " |",
              "|---|---|" + "---:|" * len(DESCRIBE_KEYS)]
    for name, units in stats["length"].items():
        for unit in ("chars", "words"):
            desc = units[unit]
            cells = [str(int(desc["count"]))] + [_fmt(desc[k]) for k in DESCRIBE_KEYS[1:]]
            lines.append(f"| {name} | {unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_label_distribution(stats: dict, path: Path) -> Path:
    """One bar chart per label (counts on the bars), saved as a PNG with no timestamp/software metadata."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(LABELS), figsize=(14, 4))
    try:
        for ax, name in zip(axes, LABELS):
            dist = stats["labels"][name]
            bars = ax.bar(dist["order"], [dist["counts"][v] for v in dist["order"]], color="tab:blue")
            ax.bar_label(bars, labels=[str(dist["counts"][v]) for v in dist["order"]])
            ax.set_title(name.capitalize())
            ax.set_ylabel("rows")
            ax.margins(y=0.15)
        fig.suptitle(f"CMD label distribution ({stats['rows']} rows)")
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=120, metadata={"Software": None})
    finally:
        plt.close(fig)
    return path


def run_stats(path: Path, out_dir: Path | None = None) -> StatsResult:
    """Read a CMD file (DataFileError on bad rows) and write stats.md, stats.json and labels.png.

    With no `out_dir` the files go beside the input, prefixed with its stem (train.stats.md, ...).
    """
    from srllm.data.io import read_records

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    from srllm.data.text_stats import edit_distance_stats, plot_text_stats, readability_by_sentiment, text_stats_markdown

    records = read_records(path)
    stats = compute_stats(records)
    stats["file"] = path.name
    readability, edits = readability_by_sentiment(records), edit_distance_stats(records)
    stats["readability"] = {k: v["describe"] for k, v in readability.items()}
    stats["edit_distance"] = {k: v for k, v in edits.items() if k != "values"}
    if out_dir is None:
        out_dir, prefix = path.parent, f"{path.stem}."
    else:
        prefix = ""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out_dir / f"{prefix}stats.md",
        "json": out_dir / f"{prefix}stats.json",
        "png": out_dir / f"{prefix}labels.png",
    }
    markdown = stats_markdown(stats) + "\n" + text_stats_markdown(readability, edits)
    paths["markdown"].write_text(markdown, encoding="utf-8")
    paths["json"].write_text(json.dumps(stats, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    plot_label_distribution(stats, paths["png"])
    plots = plot_text_stats(readability, edits, out_dir, prefix)
    return StatsResult(stats=stats, markdown=markdown, paths=paths, plots=plots)
