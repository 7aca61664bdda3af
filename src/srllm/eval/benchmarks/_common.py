"""Helpers the benchmarks share: seeded stratified samples and before/after safety scoring."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from srllm.eval.metrics import group_rates, style_shift, toxic_rate, unsafe_rate
from srllm.eval.registry import Context
from srllm.eval.scorers import score_texts
from srllm.statistics import bootstrap_mean_ci, paired_ttest, proportion_summary


def safety_block(ctx: Context, texts: Sequence[str], groups: Sequence[str], prefix: str = "") -> tuple[dict, dict, dict, list]:
    """Score `texts` (and, with an intervention, its outputs): metrics, per-group table rows,
    statistics and per-item rows. Metrics: unsafe_pct, toxic_pct (and *_after with an intervention)."""
    texts = list(texts)
    before = score_texts(ctx.scorer, texts)
    metrics: dict[str, Any] = {f"{prefix}unsafe_pct": unsafe_rate(before), f"{prefix}toxic_pct": toxic_rate(before),
                               f"{prefix}unsafe_score_mean": _mean([r.unsafe_score for r in before])}
    stats: dict[str, Any] = {f"{prefix}unsafe": proportion_summary([r.unsafe for r in before], seed=ctx.seed),
                             f"{prefix}unsafe_score_ci": bootstrap_mean_ci([r.unsafe_score for r in before], seed=ctx.seed)}
    items = [{"text": t, "group": g, "unsafe": r.unsafe, "unsafe_score": r.unsafe_score,
              "toxicity": r.labels.get("toxicity"), "sentiment": r.labels.get("sentiment")}
             for t, g, r in zip(texts, groups, before)]
    table_before = group_rates(groups, [r.unsafe for r in before], seed=ctx.seed)
    toxic_before = group_rates(groups, [r.labels.get("toxicity") != "No" for r in before], seed=ctx.seed)
    after, outputs = None, None
    if ctx.intervention is not None:
        outputs = list(ctx.intervention(texts))
        if len(outputs) != len(texts):
            raise ValueError(f"intervention {ctx.intervention_name!r} returned {len(outputs)} texts for {len(texts)}")
        after = score_texts(ctx.scorer, outputs)
        metrics[f"{prefix}unsafe_pct_after"] = unsafe_rate(after)
        metrics[f"{prefix}toxic_pct_after"] = toxic_rate(after)
        metrics[f"{prefix}unsafe_score_mean_after"] = _mean([r.unsafe_score for r in after])
        stats[f"{prefix}unsafe_after"] = proportion_summary([r.unsafe for r in after], seed=ctx.seed)
        stats[f"{prefix}paired_unsafe_score"] = paired_ttest([r.unsafe_score for r in before],
                                                             [r.unsafe_score for r in after])
        stats[f"{prefix}style_shift"] = style_shift(texts, outputs)
        for item, out, r in zip(items, outputs, after):
            item.update(output=out, unsafe_after=r.unsafe, unsafe_score_after=r.unsafe_score)
    tables = {f"{prefix}judges": judge_rows(ctx, texts, outputs, before, after, metrics, stats, items, prefix)}
    table_after = group_rates(groups, [r.unsafe for r in after], seed=ctx.seed) if after else {}
    rows = []
    for g in table_before:
        row = {"group": g, "n": table_before[g]["n"], "unsafe_pct": table_before[g]["pct"],
               "unsafe_ci": table_before[g]["ci"], "toxic_pct": toxic_before[g]["pct"]}
        if after:
            row.update(unsafe_pct_after=table_after[g]["pct"], unsafe_ci_after=table_after[g]["ci"])
        rows.append(row)
    return metrics, {f"{prefix}per_group": rows, **tables}, stats, items


def judge_rows(ctx: Context, texts: list[str], outputs: list[str] | None, before: list, after: list | None,
               metrics: dict[str, Any], stats: dict[str, Any], items: list[dict[str, Any]],
               prefix: str = "") -> list[dict[str, Any]]:
    """% unsafe before / after per judge, with bootstrap CIs; the scorer's own row is labelled a
    self-score when the intervention consults it. Adds ``unsafe_pct[<judge>]`` (and ``_after``) metrics
and each item's verdicts under ``item["judges"]``."""
    rows = []
    scored = {ctx.scorer_name or "scorer": (before, after)}
    for name in ctx.judge_factories:
        if name == ctx.scorer_name:
            continue
        judge = ctx.judge(name)
        scored[name] = (score_texts(judge, texts), score_texts(judge, outputs) if outputs is not None else None)
    for name, (b, a) in scored.items():
        label = ctx.label(name)
        row: dict[str, Any] = {"judge": label, "role": "scorer" if b is before else "judge",
                               "self_score": label != name, "n": len(b)}
        summary = proportion_summary([r.unsafe for r in b], seed=ctx.seed)
        row.update(unsafe_pct=summary["pct"], unsafe_ci=summary["ci"])
        if a is not None:
            after_summary = proportion_summary([r.unsafe for r in a], seed=ctx.seed)
            row.update(unsafe_pct_after=after_summary["pct"], unsafe_ci_after=after_summary["ci"])
        for k, item in enumerate(items):
            item.setdefault("judges", {})[label] = {"unsafe": b[k].unsafe, **({"unsafe_after": a[k].unsafe} if a else {})}
        if b is not before:
            metrics[f"{prefix}unsafe_pct[{label}]"] = row["unsafe_pct"]
            stats[f"{prefix}unsafe[{label}]"] = summary
            if a is not None:
                metrics[f"{prefix}unsafe_pct_after[{label}]"] = row["unsafe_pct_after"]
                stats[f"{prefix}unsafe_after[{label}]"] = after_summary
        rows.append(row)
    return rows


def _mean(values: Sequence[float]) -> float | None:
    return float(sum(values) / len(values)) if values else None
