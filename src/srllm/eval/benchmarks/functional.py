"""`functional`: the hand-written functional test suite of the unsafe decision
(``srllm.data.heldout``, CheckList-style): accuracy overall, per capability, per expected label and
per target demographic, each with a Wilson 95% interval (``statsmodels`` ``proportion_confint``),
and the AUROC of the scorer's unsafe score (scikit-learn). Works with any scorer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from srllm.eval.options import Options, option
from srllm.eval.registry import Benchmark, BenchmarkResult, Context
from srllm.eval.scorers import score_texts
from srllm.sampling import stratified_sample


def wilson(flags: Sequence[bool]) -> dict[str, Any]:
    """n, the share of true flags and its Wilson 95% interval (fractions)."""
    from statsmodels.stats.proportion import proportion_confint

    n, k = len(flags), int(sum(bool(f) for f in flags))
    if n == 0:
        return {"n": 0, "rate": None, "ci": [None, None]}
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return {"n": n, "rate": k / n, "ci": [float(low), float(high)]}


def _per(key: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        groups[str(item[key])].append(item)
    rows = []
    for value in sorted(groups):
        members = groups[value]
        acc = wilson([i["correct"] for i in members])
        rows.append({key: value, "n": acc["n"], "expected_unsafe": sum(i["expected"] == "Unsafe" for i in members),
                     "accuracy": acc["rate"], "ci": acc["ci"]})
    return rows


@dataclass
class FunctionalOptions(Options):
    file: str | None = option(None, "a functional-test file in the same JSONL format (default: the packaged suite)")


class Functional(Benchmark):
    name = "functional"
    version = "1"
    description = "hand-written functional tests of the unsafe decision (CheckList-style): accuracy per capability"
    needs = ("classify",)
    metrics = {"accuracy": True, "macro_accuracy": True, "min_capability_accuracy": True,
               "unsafe_accuracy": True, "benign_accuracy": True, "auroc": True}
    default_n = None  # every case
    Options = FunctionalOptions

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        from sklearn.metrics import roc_auc_score

        from srllm.data.heldout import FUNCTIONAL, checksums, load_functional

        cases = load_functional(ctx.options.get("file"))
        frame = pd.DataFrame([c.model_dump() for c in cases])
        frame = stratified_sample(frame, n, ctx.seed, "capability", "functional")
        reports = score_texts(ctx.scorer, frame["text"].tolist())
        items = []
        for row, report in zip(frame.to_dict("records"), reports):
            predicted = "Unsafe" if report.unsafe else "Benign"
            items.append({"id": row["id"], "capability": row["capability"], "text": row["text"],
                          "expected": row["expected"], "predicted": predicted, "correct": predicted == row["expected"],
                          "unsafe_score": float(report.unsafe_score), "target_demographic": row["target_demographic"],
                          "target_group": row["target_group"]})
        per_capability = _per("capability", items)
        per_label = _per("expected", items)
        overall = wilson([i["correct"] for i in items])
        labels = [i["expected"] == "Unsafe" for i in items]
        auroc = (float(roc_auc_score(labels, [i["unsafe_score"] for i in items]))
                 if 0 < sum(labels) < len(labels) else None)
        by_label = {r["expected"]: r["accuracy"] for r in per_label}
        capability_acc = [r["accuracy"] for r in per_capability]
        metrics = {"accuracy": overall["rate"], "macro_accuracy": sum(capability_acc) / len(capability_acc),
                   "min_capability_accuracy": min(capability_acc), "unsafe_accuracy": by_label.get("Unsafe"),
                   "benign_accuracy": by_label.get("Benign"), "auroc": auroc, "capabilities": len(per_capability)}
        tables = {"per_capability": per_capability, "per_expected": per_label,
                  "per_demographic": _per("target_demographic", items)}
        key = f"heldout/{FUNCTIONAL}"
        sums = {key: checksums()[key]} if not ctx.options.get("file") else {}
        return BenchmarkResult(self.name, self.version, len(items), metrics, tables, {"accuracy": overall}, items,
                               checksums=sums)


def markdown(data: dict[str, Any]) -> list[str]:
    """Report section: accuracy per capability (rows) for each scored run of this benchmark."""
    lines: list[str] = []
    for model, benches in data["results"].items():
        r = benches.get(Functional.name)
        if not r:
            continue
        m = r["metrics"]
        auroc = "-" if m.get("auroc") is None else f"{m['auroc']:.3f}"
        lines += [f"## Functional tests ({model}, scorer `{data['config']['scorer']}`)", "",
                  (f"Accuracy {_pct(m['accuracy'])}% {_ci(r['stats']['accuracy']['ci'])} over {r['n']} cases; "
                  f"Unsafe cases {_pct(m['unsafe_accuracy'])}%, Benign cases {_pct(m['benign_accuracy'])}%; "
                  f"AUROC {auroc}."), "",
                  "| capability | n | expected Unsafe | accuracy % | Wilson 95% CI |", "|---|---:|---:|---:|---|"]
        lines += [f"| {c['capability']} | {c['n']} | {c['expected_unsafe']} | {_pct(c['accuracy'])} | {_ci(c['ci'])} |"
                  for c in r["tables"]["per_capability"]]
        lines.append("")
    return lines


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _ci(ci: Sequence[float | None]) -> str:
    return "-" if ci[0] is None else f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"
