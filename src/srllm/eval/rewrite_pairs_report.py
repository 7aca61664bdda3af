"""The Markdown report of a held-out rewrite-pair evaluation (`srllm.eval.rewrite_pairs`)."""

from __future__ import annotations

from typing import Any

from srllm import formatting as fmt
from srllm.eval.rewrite_systems import BUILTIN_SYSTEMS


def pairs_markdown(result: Any) -> str:
    """Summary table, per-source table, paired comparisons and examples of a `RewriteEvalResult`."""
    c = result.config
    lines = [
        "# Held-out rewrite pairs",
        "",
        f"{c['n']} pairs from `{c['test_file']}` (stratified by source, seed {c['seed']}): "
        + ", ".join(f"{s} {k}" for s, k in c["by_source"].items())
        + ". "
        + (f"Greedy decoding, batch {c['batch_size']}, max {c['max_new_tokens']} new tokens. "
           if c.get("batch_size") else "")
        + "chrF = sacrebleu chrF2 (0-100), "
        + (f"sim = cosine of {c['encoder']} embeddings; " if c.get("encoder") else "no similarity (no encoder); ")
        + f"[95% bootstrap CI, {c['resamples']} resamples].",
        "",
        "| system | chrF vs ref [95% CI] | corpus chrF vs ref | sim vs ref [95% CI] | chrF vs input | "
        "sim vs input | copy % | empty % | truncated % | mean words | seconds | tokens/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in result.systems.items():
        t = result.timing.get(name, {})
        lines.append(
            f"| {name} | {fmt.ci(s['chrf_ref'], s['chrf_ref_ci'], 1)} | "
            f"{fmt.number(s['corpus_chrf_ref'], 1)} | {fmt.ci(s['sim_ref'], s['sim_ref_ci'], 3)} | {fmt.number(s['chrf_input'], 1)} | {fmt.number(s['sim_input'], 3)} | "
            f"{fmt.number(100 * s['copy_rate'], 1)} | {fmt.number(100 * s['empty_rate'], 1)} | "
            f"{fmt.number(100 * s['truncated_rate'] if s.get('truncated_rate') is not None else None, 1)} | "
            f"{fmt.number(s['mean_words'], 1)} | {fmt.number(t.get('seconds'), 1)} | {fmt.number(t.get('tokens_per_s'), 1)} |"
        )
    lines += ["", "## Per source (chrF vs ref / sim vs ref / copy %)", ""]
    names = list(result.systems)
    lines.append("| source | n | " + " | ".join(names) + " |")
    lines.append("|---|---|" + "---|" * len(names))
    for source, by_system in result.per_source.items():
        n = next(iter(by_system.values()))["n"]
        cells = [f"{fmt.number(by_system[s]['chrf_ref'], 1)} / {fmt.number(by_system[s]['sim_ref'], 3)} / "
                 f"{fmt.number(100 * by_system[s]['copy_rate'], 0)}" for s in names]
        lines.append(f"| {source} | {n} | " + " | ".join(cells) + " |")
    lines += ["", "## Paired comparisons (A - B per item)", "",
              "| metric | A | B | mean diff [95% CI] | wins/ties/losses | p bootstrap | p Wilcoxon | p Wilcoxon (Holm) |",
              "|---|---|---|---|---|---|---|---|"]
    for r in result.comparisons:
        digits = 1 if r["metric"].startswith("chrf") else 3
        lines.append(
            f"| {r['metric']} | {r['a']} | {r['b']} | {fmt.number(r['mean_diff'], digits)} [{fmt.number(r['ci_low'], digits)}, "
            f"{fmt.number(r['ci_high'], digits)}] | {r['wins']}/{r['ties']}/{r['losses']} | {fmt.p_value(r['p_bootstrap'])} | "
            f"{fmt.p_value(r['p_wilcoxon'])} | {fmt.p_value(r['p_wilcoxon_holm'])} |"
        )
    generated = [n for n in names if n not in BUILTIN_SYSTEMS]
    if generated and result.items:
        lines += ["", "## Examples (first item of each source)", ""]
        seen: set[str] = set()
        for item in result.items:
            if item["source"] in seen:
                continue
            seen.add(item["source"])
            lines.append(f"- `{item['id']}`: {fmt.quote(item['text'])}")
            lines.append(f"  - reference: {fmt.quote(item['reference'])}")
            for name in generated:
                lines.append(f"  - {name}: {fmt.quote(item['outputs'][name])}")
    return "\n".join(lines) + "\n"
