"""ToxiGen (Hartvigsen et al. 2022), two benchmarks.

- `toxigen` (paper Table 6): the model continues ToxiGen's prompt files (by default the "hate"
  prompts of the 13 groups of the annotated set: 430 prompts spread evenly, 33-34 per group);
  each continuation (first line, greedy, 30 new tokens) is scored; % toxic / unsafe per group,
  before and after the intervention.
- `toxigen-rewrite`: the annotated hate sentences of the 940-row test split are rewritten by the
  intervention and compared with the MBIAS peer's published rewrites of the same sentences
  (Raza et al. 2024): % unsafe of the inputs, of MBIAS's outputs and of ours, by the scorer and
  by every judge of the run, and MBIAS's empty (refused) outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from srllm.eval.benchmarks._common import safety_block
from srllm.eval.metrics import group_rates, unsafe_rate
from srllm.eval.options import Options, option
from srllm.eval.registry import Benchmark, BenchmarkResult, Context
from srllm.eval.scorers import score_texts
from srllm.sampling import equal_sample, stratified_sample
from srllm.statistics import paired_ttest, proportion_summary

#: the 13 target groups of ToxiGen's human-annotated set, as named in the prompt files
GROUPS_13 = ("asian", "black", "chinese", "jewish", "latino", "lgbtq", "mental_disability", "mexican",
             "middle_east", "muslim", "native_american", "physical_disability", "women")


@dataclass
class ToxiGenOptions(Options):
    prompt_label: str = option("hate", "which ToxiGen prompt files to continue: hate or neutral")
    max_new_tokens: int = option(30, "new tokens per continuation (greedy)")

class ToxiGenGeneration(Benchmark):
    name = "toxigen"
    version = "1"
    description = "continuations of ToxiGen prompts: % toxic / unsafe per demographic (Table 6)"
    datasets = ("toxigen_prompts",)
    needs = ("generate", "classify")
    metrics = {"unsafe_pct": False, "toxic_pct": False, "unsafe_pct_after": False, "toxic_pct_after": False}
    default_n = 430
    Options = ToxiGenOptions
    paper_table = "6"

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        label = ctx.options.prompt_label
        max_new_tokens = ctx.options.max_new_tokens
        frame = ctx.adapter("toxigen_prompts").load()
        frame = frame[(frame["label"] == label) & frame["group"].isin(GROUPS_13)]
        prompts = frame.drop_duplicates(["group", "prompt_index"])[["group", "prompt_index", "prompt"]]
        prompts = prompts.astype({"group": str})
        sample = equal_sample(prompts, n, ctx.seed, "group", "toxigen")
        outputs = ctx.lm.generate(sample["prompt"].tolist(), max_new_tokens=max_new_tokens, desc="toxigen")
        metrics, tables, stats, items = safety_block(ctx, outputs, sample["group"].tolist())
        for item, idx in zip(items, sample["prompt_index"]):
            item["prompt_index"] = int(idx)
        return BenchmarkResult(self.name, self.version, len(sample), metrics, tables, stats, items,
                               config={"prompt_label": label, "max_new_tokens": max_new_tokens})


class ToxiGenRewrite(Benchmark):
    name = "toxigen-rewrite"
    version = "1"
    description = "rewrite ToxiGen's annotated hate sentences; compare with the MBIAS peer"
    datasets = ("mbias",)
    needs = ("rewrite", "classify")
    metrics = {"unsafe_pct": False, "mbias_unsafe_pct": False, "unsafe_pct_after": False, "mbias_empty_pct": False}
    default_n = None  # every hate row of the 940-row split
    Options = Options

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        frame = ctx.adapter("mbias").load()
        frame = frame[frame["label"] == 1].reset_index(drop=True)
        frame["group"] = frame["target_group"].astype(str)
        sample = stratified_sample(frame, n, ctx.seed, "group", "toxigen-rewrite")
        metrics, tables, stats, items = safety_block(ctx, sample["biased_text"].tolist(), sample["group"].tolist())
        mbias_out = sample["unbiased_text"].astype(str).tolist()
        mbias = score_texts(ctx.scorer, mbias_out)
        metrics["mbias_unsafe_pct"] = unsafe_rate(mbias)
        metrics["mbias_empty_pct"] = 100 * sum(not t.strip() for t in mbias_out) / len(mbias_out)
        stats["paired_unsafe_score_input_vs_mbias"] = paired_ttest([i["unsafe_score"] for i in items],
                                                                   [r.unsafe_score for r in mbias])
        mbias_groups = group_rates(sample["group"].tolist(), [r.unsafe for r in mbias], seed=ctx.seed)
        for row in tables["per_group"]:
            row["mbias_unsafe_pct"] = mbias_groups[row["group"]]["pct"]
        judged = {ctx.label(n): n for n in ctx.judge_factories if n != ctx.scorer_name}
        for row in tables["judges"]:  # MBIAS's outputs judged the same way as ours
            verdicts = score_texts(ctx.judge(judged[row["judge"]]), mbias_out) if row["judge"] in judged else mbias
            summary = proportion_summary([r.unsafe for r in verdicts], seed=ctx.seed)
            row.update(mbias_unsafe_pct=summary["pct"], mbias_unsafe_ci=summary["ci"])
            if row["judge"] in judged:
                metrics[f"mbias_unsafe_pct[{row['judge']}]"] = summary["pct"]
        for item, out, r in zip(items, mbias_out, mbias):
            item.update(mbias_output=out, mbias_unsafe=r.unsafe)
        return BenchmarkResult(self.name, self.version, len(sample), metrics, tables, stats, items)
