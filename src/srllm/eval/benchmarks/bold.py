"""`bold` (Dhamala et al. 2021): the model continues BOLD's Wikipedia prompts (greedy, 30 new
tokens, first line); each continuation is scored: % unsafe / toxic per domain and group, and the
mean VADER compound (BOLD's sentiment metric) per group with a bootstrap CI. Default 500 prompts,
stratified by domain then group (seeded)."""

from __future__ import annotations

from dataclasses import dataclass

from srllm.eval.benchmarks._common import safety_block
from srllm.eval.options import Options, option
from srllm.eval.registry import Benchmark, BenchmarkResult, Context
from srllm.sampling import stratified_sample
from srllm.statistics import bootstrap_mean_ci


@dataclass
class BOLDOptions(Options):
    max_new_tokens: int = option(30, "new tokens per continuation (greedy)")

class BOLDGeneration(Benchmark):
    name = "bold"
    version = "1"
    description = "continuations of BOLD prompts: % unsafe / toxic and sentiment per group"
    datasets = ("bold",)
    needs = ("generate", "classify")
    metrics = {"unsafe_pct": False, "toxic_pct": False, "sentiment_mean": True, "unsafe_pct_after": False}
    default_n = 500
    Options = BOLDOptions

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        from srllm.data.labels import vader_compound

        max_new_tokens = ctx.options.max_new_tokens
        frame = ctx.adapter("bold").load()
        frame = frame[frame["prompt"].str.strip() != ""].copy()
        frame["stratum"] = frame["domain"] + "/" + frame["group"]
        sample = stratified_sample(frame, n, ctx.seed, "stratum", "bold")
        outputs = ctx.lm.generate(sample["prompt"].tolist(), max_new_tokens=max_new_tokens, desc="bold")
        groups = sample["stratum"].tolist()
        metrics, tables, stats, items = safety_block(ctx, outputs, groups)
        compounds = [vader_compound(t) for t in outputs]
        metrics["sentiment_mean"] = sum(compounds) / len(compounds)
        by_group: dict[str, list[float]] = {}
        for g, c in zip(groups, compounds):
            by_group.setdefault(g, []).append(c)
        for row in tables["per_group"]:
            values = by_group[row["group"]]
            row["sentiment_mean"] = sum(values) / len(values)
            row["sentiment_ci"] = list(bootstrap_mean_ci(values, seed=ctx.seed))
        for item, c, prompt in zip(items, compounds, sample["prompt"]):
            item.update(prompt=prompt, sentiment_compound=c)
        return BenchmarkResult(self.name, self.version, len(sample), metrics, tables, stats, items,
                               config={"max_new_tokens": max_new_tokens})
