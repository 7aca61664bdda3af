"""`crows-pairs` (Nangia et al. 2020) for causal LMs, as lm-evaluation-harness scores it: % of
pairs whose more-stereotypical sentence has the higher summed token log-likelihood, overall and
per bias type (ideal 50), with a bootstrap CI and the mean log-likelihood difference."""

from __future__ import annotations

from srllm.eval.metrics import preference_rate
from srllm.eval.options import Options
from srllm.eval.registry import Benchmark, BenchmarkResult, Context
from srllm.sampling import stratified_sample
from srllm.statistics import one_sample_ttest, proportion_summary


class CrowSPairsLikelihood(Benchmark):
    name = "crows-pairs"
    version = "1"
    description = "% of CrowS-Pairs where the stereotypical sentence is more likely"
    datasets = ("crows_pairs",)
    needs = ("loglik",)
    metrics = {"stereotype_pct": None, "n_scored": True}
    ideal = {"stereotype_pct": 50.0}
    default_n = None  # all 1,508 pairs
    Options = Options  # no options

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        frame = stratified_sample(ctx.adapter("crows_pairs").load(), n, ctx.seed, "bias_type", "crows-pairs")
        k = len(frame)
        scores = ctx.lm.loglikelihoods(frame["sent_more"].tolist() + frame["sent_less"].tolist(), desc="crows-pairs")
        pairs = [(None if scores[i] is None else scores[i].logprob, None if scores[k + i] is None else scores[k + i].logprob)
                 for i in range(k)]
        overall = preference_rate(pairs)
        rows = []
        for bias_type in sorted(frame["bias_type"].unique()):
            idx = [i for i, b in enumerate(frame["bias_type"]) if b == bias_type]
            rows.append({"bias_type": bias_type, **preference_rate([pairs[i] for i in idx])})
        scored = [(a, b) for a, b in pairs if a is not None and b is not None]
        stats = {"stereotype": proportion_summary([a > b for a, b in scored], seed=ctx.seed),
                 "loglik_diff_vs_0": one_sample_ttest([a - b for a, b in scored], 0.0)}
        items = [{"pair_id": int(pid), "bias_type": bt, "loglik_more": a, "loglik_less": b}
                 for pid, bt, (a, b) in zip(frame["pair_id"], frame["bias_type"], pairs)]
        metrics = {"stereotype_pct": overall["pct"], "n_scored": overall["n_scored"], "n_unscored": overall["n_unscored"]}
        return BenchmarkResult(self.name, self.version, k, metrics, {"per_bias_type": rows}, stats, items)
