"""`srllm eval compare`: two runs side by side, with significance where the items allow it.

For every (model, benchmark, metric) present in both runs: A, B, B - A and whether the metric is
higher-is-better. Metrics with per-item values are tested: binary flags (unsafe, toxic, the
stereotypical sentence preferred) by McNemar's exact test (statsmodels) when both runs scored the
same items in the same order, else Fisher's exact test (scipy); continuous values (VADER compound)
by the paired t-test when the items match, else Welch's t-test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from srllm.eval.report import f, p, table
from srllm.eval.suite import load_items, load_run
from srllm.statistics import paired_ttest, welch_ttest

#: metric -> (item value, binary?)
ITEM_VALUES: dict[str, tuple[Callable[[dict], Any], bool]] = {
    "unsafe_pct": (lambda i: i.get("unsafe"), True),
    "unsafe_pct_after": (lambda i: i.get("unsafe_after"), True),
    "toxic_pct": (lambda i: None if i.get("toxicity") is None else i["toxicity"] != "No", True),
    "stereotype_pct": (lambda i: None if i.get("loglik_more") is None or i.get("loglik_less") is None
                       else i["loglik_more"] > i["loglik_less"], True),
    "ss": (lambda i: None if i.get("stereotype") is None or i.get("anti_stereotype") is None
           else i["stereotype"] > i["anti_stereotype"], True),
    "sentiment_mean": (lambda i: i.get("sentiment_compound"), False),
}


def _key(item: dict) -> Any:
    return item.get("item_id") or item.get("pair_id") or item.get("prompt_index") or item.get("text")


def significance(metric: str, a_items: list[dict], b_items: list[dict]) -> dict[str, Any] | None:
    """The test of `metric` between two runs' items, or None when the metric has no item values."""
    if metric not in ITEM_VALUES or not a_items or not b_items:
        return None
    value, binary = ITEM_VALUES[metric]
    a = [value(i) for i in a_items]
    b = [value(i) for i in b_items]
    paired = [_key(i) for i in a_items] == [_key(i) for i in b_items]
    if paired:
        keep = [k for k in range(len(a)) if a[k] is not None and b[k] is not None]
        a, b = [a[k] for k in keep], [b[k] for k in keep]
    else:
        a, b = [x for x in a if x is not None], [x for x in b if x is not None]
    if not a or not b:
        return None
    if binary:
        if paired:
            from statsmodels.stats.contingency_tables import mcnemar

            t = [[sum(x and y for x, y in zip(a, b)), sum(x and not y for x, y in zip(a, b))],
                 [sum(y and not x for x, y in zip(a, b)), sum(not x and not y for x, y in zip(a, b))]]
            return {"test": "McNemar exact", "p": float(mcnemar(t, exact=True).pvalue), "n": len(a)}
        from scipy.stats import fisher_exact

        t = [[sum(a), len(a) - sum(a)], [sum(b), len(b) - sum(b)]]
        return {"test": "Fisher exact", "p": float(fisher_exact(t).pvalue), "n": len(a) + len(b)}
    res = paired_ttest(a, b) if paired else welch_ttest(a, b)
    return {"test": "paired t" if paired else "Welch t", "p": res["p"], "n": len(a)}


def compare_runs(run_a: str | Path, run_b: str | Path) -> dict[str, Any]:
    """Rows (model, benchmark, metric, a, b, diff, higher_is_better, test, p) for two run folders."""
    a, b = load_run(run_a), load_run(run_b)
    specs = {**a.get("benchmarks", {}), **b.get("benchmarks", {})}
    rows = []
    models_b = list(b["results"])
    for model, benches in a["results"].items():
        other = model if model in b["results"] else (models_b[0] if len(models_b) == 1 and len(a["results"]) == 1 else None)
        if other is None:
            continue
        for name, ra in benches.items():
            rb = b["results"][other].get(name)
            if rb is None:
                continue
            a_items, b_items = load_items(run_a, model, name), load_items(run_b, other, name)
            for metric, va in ra["metrics"].items():
                vb = rb["metrics"].get(metric)
                if not isinstance(va, (int, float)) or not isinstance(vb, (int, float)):
                    continue
                sig = significance(metric, a_items, b_items)
                rows.append({"model_a": model, "model_b": other, "benchmark": name, "metric": metric, "a": va, "b": vb,
                             "diff": vb - va, "higher_is_better": specs.get(name, {}).get("metrics", {}).get(metric),
                             "test": sig["test"] if sig else None, "p": sig["p"] if sig else None})
    return {"run_a": str(run_a), "run_b": str(run_b), "rows": rows}


def compare_markdown(result: dict[str, Any]) -> str:
    body = [[r["benchmark"], r["metric"], r["model_a"] if r["model_a"] == r["model_b"] else f"{r['model_a']} / {r['model_b']}",
             f(r["a"], 2), f(r["b"], 2), f(r["diff"], 2),
             {True: "higher", False: "lower", None: "-"}[r["higher_is_better"]], r["test"] or "-", p(r["p"])]
            for r in result["rows"]]
    return "\n".join([f"# Comparison: A = `{result['run_a']}`, B = `{result['run_b']}`", "",
                      *table(["benchmark", "metric", "model", "A", "B", "B - A", "better", "test", "p"], body)])
