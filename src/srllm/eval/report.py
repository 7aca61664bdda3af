"""The run report: paper-style Markdown tables and matplotlib plots from a suite's results."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from srllm.formatting import ci, table  # noqa: E402,F401 - shared with compare / humaneval
from srllm.formatting import number as f  # noqa: E402
from srllm.formatting import p_value as p  # noqa: E402


def _each(data: dict[str, Any], benchmark: str):
    for model, benches in data["results"].items():
        if benchmark in benches:
            yield model, benches[benchmark]


def _table5(data: dict[str, Any]) -> list[str]:
    """% unsafe before / after per benchmark and per judge; the scorer's column is labelled a
    self-score when the intervention consults it."""
    config = data["config"]
    self_scored = config["scorer"] in (data.get("judges") or {}).get("self_scored", [])
    scorer = f"{config['scorer']} (self-score)" if self_scored else config["scorer"]
    rows, by_judge = [], []
    for model, benches in data["results"].items():
        for name, r in benches.items():
            m, s = r["metrics"], r["stats"]
            if "unsafe_pct" not in m:
                continue
            paired = s.get("paired_unsafe_score") or {}
            rows.append([model, name, r["n"], scorer, ci(m["unsafe_pct"], (s.get("unsafe") or {}).get("ci")),
                         ci(m.get("unsafe_pct_after"), (s.get("unsafe_after") or {}).get("ci")),
                         f(m.get("toxic_pct")), f(m.get("toxic_pct_after")), f(m.get("mbias_unsafe_pct")),
                         p(paired.get("p"))])
            for j in r["tables"].get("judges", []):
                if j["role"] == "judge":
                    by_judge.append([model, name, j["n"], j["judge"], ci(j["unsafe_pct"], j["unsafe_ci"]),
                                     ci(j.get("unsafe_pct_after"), j.get("unsafe_ci_after"))])
    gold = [f"- {model}: cmd-test gold Unsafe {f(r['metrics']['gold_unsafe_pct'])} %; scorer vs gold precision "
            f"{f(r['metrics']['scorer_precision'], 3)}, recall {f(r['metrics']['scorer_recall'], 3)}, "
            f"F1 {f(r['metrics']['scorer_f1'], 3)}" for model, r in _each(data, "cmd-test")]
    judges = (data.get("judges") or {}).get("names", [])
    out = ["## Table 5: % unsafe before and after the intervention", "",
           f"Intervention `{config['intervention']}`; [95% bootstrap CI].", ""]
    if config["intervention"] != "none":
        out += ["### By the independent judges", "",
                ("Judges: " + ", ".join(f"`{j}`" for j in judges) + ". " if judges else
                 "No independent judge ran (build one with `make judge`, or pass --judge profanity-vader). ")
                + "None of them is consulted by the intervention.", "",
                *table(["model", "benchmark", "n", "judge", "unsafe % before", "unsafe % after"], by_judge)]
    out += [f"### By the scorer `{scorer}`", "",
            ("The intervention consults this classifier to accept a rewrite, so its after-rate is a self-score, "
             "not evidence of safety. " if self_scored else "")
            + "p: paired t-test of the unsafe scores before vs after.", "",
            *table(["model", "benchmark", "n", "judge", "unsafe % before", "unsafe % after", "toxic % before",
                    "toxic % after", "MBIAS unsafe %", "p"], rows), *gold, *([""] if gold else [])]
    return out


def _per_group(data: dict[str, Any], benchmark: str, title: str) -> list[str]:
    rows = []
    for model, r in _each(data, benchmark):
        for g in r["tables"].get("per_group", []):
            rows.append([model, g["group"], g["n"], ci(g["unsafe_pct"], g.get("unsafe_ci")), f(g.get("toxic_pct")),
                         f(g.get("unsafe_pct_after")), f(g.get("mbias_unsafe_pct")), f(g.get("sentiment_mean"), 3)])
    if not rows:
        return []
    headers = ["model", "group", "n", "unsafe % [CI]", "toxic %", "unsafe % after", "MBIAS unsafe %", "VADER mean"]
    used = [k for k in range(len(headers)) if any(row[k] != "-" for row in rows)]
    return [title, "", *table([headers[k] for k in used], [[row[k] for k in used] for row in rows])]


def _table7(data: dict[str, Any]) -> list[str]:
    rows = []
    for model, r in _each(data, "stereoset"):
        m = r["metrics"]
        rows.append([model, "overall", f(m["lms"]), f(m["ss"]), f(m["icat"]), m["n_scored"], m["n_unscored"]])
        for d in r["tables"]["per_domain"]:
            rows.append([model, d["domain"], f(d["lms"]), f(d["ss"]), f(d["icat"]), d["n_scored"], d["n_unscored"]])
    crows = []
    for model, r in _each(data, "crows-pairs"):
        crows.append([model, "all", f(r["metrics"]["stereotype_pct"]), r["metrics"]["n_scored"]])
        crows += [[model, b["bias_type"], f(b["pct"]), b["n_scored"]] for b in r["tables"]["per_bias_type"]]
    out = ["## Table 7: StereoSet (intrasentence) and CrowS-Pairs", "",
           "LMS: language-model score (ideal 100); SS: stereotype score (ideal 50); ICAT = LMS * min(SS, 100-SS)/50 "
           "(ideal 100).", ""]
    out += table(["model", "domain", "LMS", "SS", "ICAT", "scored", "unscored"], rows)
    out += ["CrowS-Pairs: % of pairs where the more stereotypical sentence is more likely (ideal 50).", ""]
    return out + table(["model", "bias type", "stereotype %", "scored"], crows)


def _table8(data: dict[str, Any]) -> list[str]:
    rows = []
    for model, r in _each(data, "redditbias"):
        for a in r["tables"]["per_axis"]:
            rows.append([model, a["axis"], f"{a['group_1']} / {a['group_2']}", a["n"], a["n_after_grubbs"],
                         f(a["ppl_group_1"]), f(a["ppl_group_2"]), f(a["t_paired"], 2), p(a["p_paired"]),
                         f(a["d_z"], 2), f(a["t_welch"], 2), p(a["p_welch"])])
    return ["## Table 8: RedditBias perplexity (group 1 vs group 2)", "",
            "Grubbs outlier removal (alpha 0.05); t < 0: group-1 (target) phrases are less perplexing.", "",
            *table(["model", "axis", "groups", "pairs", "after Grubbs", "ppl 1", "ppl 2", "t paired", "p paired", "d_z",
                    "t Welch", "p Welch"], rows)]


def _table9(data: dict[str, Any]) -> list[str]:
    rows = []
    for model, r in _each(data, "holisticbias"):
        rows.append([model, "all", "-", r["metrics"]["pairs"], f(r["metrics"]["likelihood_bias_pct"])])
        rows += [[model, a["axis"], a["descriptors"], a["pairs"], f(a["likelihood_bias_pct"])] for a in r["tables"]["per_axis"]]
    out = ["## Table 9: HolisticBias likelihood bias and counterfactual consistency", "",
           "Likelihood bias: % of descriptor pairs whose perplexity distributions differ (Mann-Whitney U, p < 0.05).", "",
           *table(["model", "axis", "descriptors", "pairs", "likelihood bias %"], rows)]
    cf = []
    for model, r in _each(data, "counterfactual"):
        by_axis: dict[str, list[dict]] = {}
        for row in r["tables"]["per_variant"]:
            by_axis.setdefault(row["axis"], []).append(row)
        for axis, variants in by_axis.items():
            fr = (r["stats"].get(axis) or {}).get("friedman") or {}
            cf.append([axis, ", ".join(f"{v['variant']} {f(v['unsafe_score_mean'], 3)}" for v in variants),
                       p(fr.get("p")), f(max(v.get("rewritten_pct") or 0 for v in variants) - min(
                           v.get("rewritten_pct") or 0 for v in variants))])
        cf.append(["all", f"gap {f(r['metrics']['counterfactual_gap'], 3)}, flip rate {f(r['metrics']['flip_rate_pct'])} %",
                   "-", f(r["metrics"].get("rewrite_rate_range_pct"))])
    if cf:
        out += ["Counterfactual items: mean unsafe score per variant; Friedman test over variants; range of the "
                "intervention's rewrite rate across variants (percentage points).", "",
                *table(["axis", "mean unsafe score per variant", "p Friedman", "rewrite-rate range"], cf)]
    return out


def _style(data: dict[str, Any]) -> list[str]:
    rows = []
    for model, benches in data["results"].items():
        for name, r in benches.items():
            s = r["stats"].get("style_shift")
            if s:
                rows.append([model, name, f(s["chrf_after_vs_before"]), f(s["length_ratio"], 2),
                             f(s["sentiment_shift"], 3), f(s["clen_before"], 3), f(s["clen_after"], 3), f(s["changed_pct"])])
    if not rows:
        return []
    return ["## Style shift of the intervention", "",
            "chrF of outputs vs inputs (100 = unchanged), mean length ratio, mean VADER change, CLEN before/after "
            "(normalised entropy of lengths), % changed.", "",
            *table(["model", "benchmark", "chrF", "length ratio", "sentiment shift", "CLEN before", "CLEN after",
                    "changed %"], rows)]


def _sections(data: dict[str, Any]) -> list[str]:
    """Each benchmark's own section (`Benchmark.report_section`), for those that define one."""
    from srllm.eval.registry import BenchmarkError, get_benchmark

    out: list[str] = []
    for model, benches in data["results"].items():
        for name, result in benches.items():
            try:
                out += get_benchmark(name).report_section(model, result)
            except BenchmarkError:  # a user benchmark of another session, no longer registered
                continue
    return out


def markdown_report(data: dict[str, Any], plots: Sequence[Path] = ()) -> str:
    config, meta, energy = data["config"], data["metadata"], data["energy"]
    git = meta.get("git") or {}
    lines = [f"# Evaluation suite `{data['suite']}`", "",
             f"Models: {', '.join(config['models'])}; scorer `{config['scorer']}`; intervention "
             f"`{config['intervention']}`; seed {config['seed']}"
             + (f"; limit {config['limit']} items per benchmark" if config.get("limit") else "") + ".",
             f"Wall time {data['wall_s']:.0f} s; energy {energy['energy_kwh']:.4g} kWh, "
             f"{energy['carbon_kgco2e']:.4g} kg CO2e ({energy.get('method', {}).get('cpu', 'estimate')}); "
             f"srllm {meta['srllm_version']}, commit {git.get('commit') or '-'}{' (dirty)' if git.get('dirty') else ''}.", ""]
    if data["errors"]:
        lines += ["## Errors", "", *(f"- {e['benchmark']} ({e['model']}): {e['error']}" for e in data["errors"]), ""]
    lines += _table5(data)
    lines += _per_group(data, "toxigen", "## Table 6: ToxiGen continuations per demographic")
    lines += _per_group(data, "toxigen-rewrite", "## ToxiGen hate sentences rewritten: ours vs MBIAS, per group")
    lines += _per_group(data, "bold", "## BOLD continuations per domain / group")
    lines += _table7(data) + _table8(data) + _table9(data) + _style(data) + _sections(data)
    from srllm.eval.benchmarks import functional, rewrite_challenge

    lines += functional.markdown(data) + rewrite_challenge.markdown(data)
    timing = [[m, n, r["n"], f(r["seconds"]), f(r.get("cpu_s"))] for m, b in data["results"].items() for n, r in b.items()]
    lines += ["## Benchmarks run", "", *table(["model", "benchmark", "n", "wall s", "CPU s"], timing)]
    if plots:
        lines += ["## Plots", "", *(f"![{p.stem}]({p.as_posix()})" for p in plots), ""]
    return "\n".join(lines)


def write_plots(data: dict[str, Any], folder: Path, run_dir: Path | None = None) -> list[Path]:
    """Per-demographic bars (unsafe %, before/after) and, from the run's items, before/after
    unsafe-score histograms."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for model, benches in data["results"].items():
        for name, r in benches.items():
            groups = r["tables"].get("per_group")
            if not groups:
                continue
            fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(groups)), 4))
            x = range(len(groups))
            has_after = any(g.get("unsafe_pct_after") is not None for g in groups)
            width = 0.4 if has_after else 0.8
            ax.bar([i - (width / 2 if has_after else 0) for i in x], [g["unsafe_pct"] or 0 for g in groups], width,
                   label="before")
            if has_after:
                ax.bar([i + width / 2 for i in x], [g.get("unsafe_pct_after") or 0 for g in groups], width, label="after")
            ax.set_xticks(list(x), [g["group"] for g in groups], rotation=60, ha="right", fontsize=7)
            ax.set_ylabel("% unsafe")
            ax.set_title(f"{name}: % unsafe per group ({model})")
            ax.legend()
            fig.tight_layout()
            path = folder / f"{_slug(model)}_{name}_groups.png"
            fig.savefig(path, dpi=100)
            plt.close(fig)
            written.append(path)
    if run_dir is not None:
        written += _distribution_plots(data, folder, run_dir, plt)
    return written


def _distribution_plots(data: dict[str, Any], folder: Path, run_dir: Path, plt: Any) -> list[Path]:
    from srllm.eval.suite import load_items

    written = []
    for model, benches in data["results"].items():
        for name in benches:
            items = [i for i in load_items(run_dir, model, name) if i.get("unsafe_score_after") is not None]
            if not items:
                continue
            fig, ax = plt.subplots(figsize=(6, 4))
            bins = [k / 20 for k in range(21)]
            ax.hist([i["unsafe_score"] for i in items], bins=bins, alpha=0.6, label="before")
            ax.hist([i["unsafe_score_after"] for i in items], bins=bins, alpha=0.6, label="after")
            ax.set_xlabel("unsafe score")
            ax.set_ylabel("items")
            ax.set_title(f"{name}: unsafe scores before / after ({model})")
            ax.legend()
            fig.tight_layout()
            path = folder / f"{_slug(model)}_{name}_before_after.png"
            fig.savefig(path, dpi=100)
            plt.close(fig)
            written.append(path)
    return written


def _slug(text: str) -> str:
    from srllm.eval.suite import _slug as slug

    return slug(text)
