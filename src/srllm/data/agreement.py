"""Inter-annotator agreement (Fleiss' kappa) and majority-vote gold labels, as in the paper.

Input (CSV or JSONL), long format: one row per (item `id`, `annotator`) with one or more
category columns among bias, toxicity, sentiment, harm, annotation holding taxonomy levels.
Optional `text` (copied to the gold file) and `expert` (true/1/yes): expert rows are not
counted in kappa and only break majority-vote ties. An empty cell means "not labelled".

Kappa: Fleiss (1971), computed by `statsmodels.stats.inter_rater.fleiss_kappa` on the
items x levels count table. It needs the same number of raters per item, so per category
items whose rater count differs from the modal count are excluded from kappa and reported.
"overall" is the mean of the defined per-category kappas.
"""

from __future__ import annotations

import csv
import json
import math
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from srllm.taxonomy import ANNOTATIONS, LEVELS

#: Category -> allowed levels, in taxonomy order.
CATEGORY_LEVELS: Mapping[str, tuple[str, ...]] = {**LEVELS, "annotation": ANNOTATIONS}
TRUE = ("true", "1", "yes", "y")
FALSE = ("false", "0", "no", "n", "")


@dataclass
class AgreementResult:
    kappa: dict[str, float]
    items: dict[str, int]
    gold: list[dict]
    ties: dict[str, int]
    markdown: str
    paths: dict[str, Path] = field(default_factory=dict)
    #: category -> {item id: rater count} for items left out of kappa (rater count != modal).
    excluded: dict[str, dict[str, int]] = field(default_factory=dict)
    #: category -> modal number of (non-expert) raters per item.
    raters: dict[str, int] = field(default_factory=dict)


def fleiss_kappa_from_labels(labels_per_item: Sequence[Sequence[str]], categories: Sequence[str]) -> float:
    """Fleiss' kappa of raw labels (one list per item, equal length) over `categories`.

    Builds the items x categories count table and calls statsmodels' `fleiss_kappa`
    (method="fleiss"). Returns NaN when undefined (fewer than 2 raters, or chance agreement 1).
    """
    import numpy as np
    from statsmodels.stats.inter_rater import fleiss_kappa

    index = {c: j for j, c in enumerate(categories)}
    sizes = {len(labels) for labels in labels_per_item}
    if len(sizes) > 1:
        raise ValueError(f"Fleiss' kappa needs the same number of raters per item; got {sorted(sizes)}")
    if not labels_per_item or sizes == {0} or sizes == {1}:
        return math.nan
    table = np.zeros((len(labels_per_item), len(categories)), dtype=np.int64)
    for i, labels in enumerate(labels_per_item):
        for label in labels:
            if label not in index:
                raise ValueError(f"label {label!r} is not one of {list(categories)}")
            table[i, index[label]] += 1
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(fleiss_kappa(table, method="fleiss"))


def majority_vote(labels: Sequence[str], expert: str | None = None) -> tuple[str | None, bool, bool]:
    """(gold, tied, resolved_by_expert): the most frequent label.

    A tie for the top count is resolved by the expert's label when there is one (the expert
    adjudicates: their label wins); otherwise gold is None. With no labels, gold is the
    expert's label (or None).
    """
    counts = Counter(labels).most_common()
    if not counts:
        return expert, False, expert is not None
    top = [label for label, n in counts if n == counts[0][1]]
    if len(top) == 1:
        return top[0], False, False
    if expert is not None:
        return expert, True, True
    return None, True, False


def _iter_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(location, row) for each data row of a CSV or JSONL file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                if None in row:
                    raise ValueError(f"{path}:{reader.line_num}: more cells than header columns")
                yield f"{path}:{reader.line_num}", row
    elif suffix in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: broken JSON: {exc.msg}") from None
                if not isinstance(row, dict):
                    raise ValueError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
                yield f"{path}:{number}", row
    else:
        raise ValueError(f"{path}: unsupported file type {suffix!r}; expected .csv or .jsonl")


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _is_expert(location: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _cell(value).lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise ValueError(f"{location}: column 'expert': {value!r} is not a boolean; expected one of {TRUE + FALSE[:-1]}")


@dataclass
class _Item:
    text: str | None = None
    labels: dict[str, list[str]] = field(default_factory=dict)
    expert: dict[str, str] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)  # annotator -> location


def _read(path: Path, levels: Mapping[str, Sequence[str]]) -> tuple[list[str], dict[str, _Item], bool, int]:
    """(categories present, items by id in file order, has text column, expert row count)."""
    items: dict[str, _Item] = {}
    categories: list[str] | None = None
    has_text = False
    experts = 0
    for location, row in _iter_rows(path):
        if categories is None:
            missing = [c for c in ("id", "annotator") if c not in row]
            categories = [c for c in levels if c in row]
            if missing or not categories:
                raise ValueError(f"{location}: need columns 'id', 'annotator' and at least one of {list(levels)}; "
                                 f"got {list(row)}")
            has_text = "text" in row
        item_id, annotator = _cell(row.get("id")), _cell(row.get("annotator"))
        for name, value in (("id", item_id), ("annotator", annotator)):
            if not value:
                raise ValueError(f"{location}: column {name!r} is empty")
        item = items.setdefault(item_id, _Item())
        if annotator in item.seen:
            raise ValueError(f"{location}: annotator {annotator!r} already labelled item {item_id!r} "
                             f"at {item.seen[annotator]}")
        item.seen[annotator] = location
        if has_text and item.text is None and _cell(row.get("text")):
            item.text = str(row["text"])
        expert = _is_expert(location, row.get("expert"))
        experts += expert
        for category in categories:
            value = _cell(row.get(category))
            if not value:
                continue
            if value not in levels[category]:
                raise ValueError(f"{location}: column {category!r}: {value!r} is not a level of {category}; "
                                 f"expected one of {list(levels[category])}")
            if expert:
                if category in item.expert:
                    raise ValueError(f"{location}: item {item_id!r} has a second expert label for {category!r}")
                item.expert[category] = value
            else:
                item.labels.setdefault(category, []).append(value)
    if categories is None:
        raise ValueError(f"{path}: no rows")
    return categories, items, has_text, experts


def _nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _markdown(path: Path, result: AgreementResult, categories: Sequence[str], n_items: int,
              annotators: int, experts: int, resolved: dict[str, int]) -> str:
    def k(value: float) -> str:
        return "undefined" if math.isnan(value) else f"{value:.3f}"

    lines = [
        f"## Inter-annotator agreement: {path.name}",
        "",
        f"{n_items} items, {annotators} annotators, {experts} expert rows (expert rows are not in kappa; "
        "they only break ties).",
        "",
        "| category | raters per item | items in kappa | excluded (unequal raters) | Fleiss' kappa "
        "| ties resolved by expert | unresolved ties |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in categories:
        lines.append(f"| {c} | {result.raters[c]} | {result.items[c]} | {len(result.excluded[c])} "
                     f"| {k(result.kappa[c])} | {resolved[c]} | {result.ties[c]} |")
    lines.append(f"| overall (mean) | | | | {k(result.kappa['overall'])} "
                 f"| {sum(resolved.values())} | {sum(result.ties.values())} |")
    for c in categories:
        if result.excluded[c]:
            shown = ", ".join(f"{i} ({n} raters)" for i, n in list(result.excluded[c].items())[:20])
            more = f", ... and {len(result.excluded[c]) - 20} more" if len(result.excluded[c]) > 20 else ""
            lines += ["", f"Excluded from {c} kappa (not {result.raters[c]} raters): {shown}{more}"]
    return "\n".join(lines) + "\n"


def _write_gold(path: Path, gold: list[dict]) -> None:
    if path.suffix == ".jsonl":
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            for row in gold:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(gold[0]) if gold else ["id"], lineterminator="\n")
        writer.writeheader()
        for row in gold:
            writer.writerow({k: "" if v is None else str(v).lower() if isinstance(v, bool) else v
                             for k, v in row.items()})


def run_agreement(path: Path, out_dir: Path | None = None,
                  levels: Mapping[str, Sequence[str]] | None = None) -> AgreementResult:
    """Kappa per category and gold labels for a long-format label file.

    Writes agreement.json and gold.csv (gold.jsonl for JSONL input) into `out_dir`; with no
    `out_dir` they go beside the input, prefixed with its stem. `levels` replaces the
    taxonomy's category -> levels map (e.g. for other labelling schemes).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    levels = dict(levels) if levels is not None else dict(CATEGORY_LEVELS)
    categories, items, has_text, experts = _read(path, levels)

    kappa: dict[str, float] = {}
    used: dict[str, int] = {}
    excluded: dict[str, dict[str, int]] = {}
    raters: dict[str, int] = {}
    for c in categories:
        sizes = {i: len(item.labels.get(c, [])) for i, item in items.items() if item.labels.get(c)}
        counts = Counter(sizes.values())
        modal = max(counts, key=lambda n: (counts[n], n)) if counts else 0
        raters[c] = modal
        excluded[c] = {i: n for i, n in sizes.items() if n != modal}
        kept = [items[i].labels[c] for i, n in sizes.items() if n == modal]
        used[c] = len(kept)
        kappa[c] = fleiss_kappa_from_labels(kept, levels[c])
    defined = [v for v in kappa.values() if not math.isnan(v)]
    kappa["overall"] = sum(defined) / len(defined) if defined else math.nan

    gold: list[dict] = []
    ties = dict.fromkeys(categories, 0)
    resolved = dict.fromkeys(categories, 0)
    for item_id, item in items.items():
        row: dict[str, Any] = {"id": item_id}
        if has_text:
            row["text"] = item.text
        for c in categories:
            label, tied, by_expert = majority_vote(item.labels.get(c, []), item.expert.get(c))
            row[c], row[f"{c}_tied"], row[f"{c}_resolved_by_expert"] = label, tied, by_expert
            ties[c] += tied and label is None
            resolved[c] += by_expert
        gold.append(row)

    annotators = len({a for item in items.values() for a in item.seen})
    result = AgreementResult(kappa=kappa, items=used, gold=gold, ties=ties, markdown="", excluded=excluded,
                             raters=raters)
    result.markdown = _markdown(path, result, categories, len(items), annotators, experts, resolved)

    prefix = "" if out_dir is not None else f"{path.stem}."
    out = Path(out_dir) if out_dir is not None else path.parent
    out.mkdir(parents=True, exist_ok=True)
    gold_suffix = ".jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else ".csv"
    result.paths = {"json": out / f"{prefix}agreement.json", "gold": out / f"{prefix}gold{gold_suffix}"}
    summary = {
        "file": path.name,
        "categories": categories,
        "items_total": len(items),
        "annotators": annotators,
        "expert_rows": experts,
        "kappa": {c: _nan_to_none(v) for c, v in kappa.items()},
        "items": used,
        "raters_per_item": raters,
        "excluded": excluded,
        "ties_unresolved": ties,
        "ties_resolved_by_expert": resolved,
        "method": "Fleiss (1971) kappa via statsmodels.stats.inter_rater.fleiss_kappa; gold = majority vote, "
                  "ties broken by the expert label",
    }
    result.paths["json"].write_text(json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
    _write_gold(result.paths["gold"], gold)
    return result
