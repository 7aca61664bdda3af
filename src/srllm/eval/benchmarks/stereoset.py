"""`stereoset` (Nadeem et al. 2021), intrasentence: each item's stereotype, anti-stereotype and
unrelated sentence is scored by the model's mean token log-likelihood (length-normalised; option
``score: sum`` for the plain sum), and LMS / SS / ICAT are computed by the official rule
(`srllm.eval.metrics.stereoset_scores`) overall and per domain (gender, profession, race,
religion). How many items were scored is reported; unscored items never count as ideal."""

from __future__ import annotations

from dataclasses import dataclass

from srllm.eval.metrics import stereoset_scores
from srllm.eval.options import Options, option
from srllm.eval.registry import Benchmark, BenchmarkError, BenchmarkResult, Context
from srllm.sampling import stratified_sample

KINDS = ("stereotype", "anti_stereotype", "unrelated")


@dataclass
class StereoSetOptions(Options):
    score: str = option("mean", "how a sentence's log-likelihood is pooled over tokens: mean or sum")

class StereoSetIntrasentence(Benchmark):
    name = "stereoset"
    version = "1"
    description = "StereoSet intrasentence LMS, SS, ICAT from token log-likelihoods"
    datasets = ("stereoset",)
    needs = ("loglik",)
    metrics = {"lms": True, "ss": None, "icat": True, "n_scored": True}
    ideal = {"ss": 50.0}
    default_n = None  # all 2,106 intrasentence items of the dev set
    Options = StereoSetOptions
    paper_table = "7"

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        how = ctx.options.score
        if how not in ("mean", "sum"):
            raise BenchmarkError(f"stereoset: options.score must be 'mean' or 'sum', got {how!r}")
        frame = ctx.adapter("stereoset").load()
        frame = frame[frame["type"] == "intrasentence"]
        frame = stratified_sample(frame, n, ctx.seed, "bias_type", "stereoset")
        texts = [str(t) for kind in KINDS for t in frame[kind]]
        scores = ctx.lm.loglikelihoods(texts, desc="stereoset")
        k = len(frame)
        items = []
        for i, row in enumerate(frame.itertuples(index=False)):
            item = {"item_id": row.item_id, "target": row.target, "domain": row.bias_type}
            for j, kind in enumerate(KINDS):
                s = scores[j * k + i]
                item[kind] = None if s is None else (s.mean if how == "mean" else s.logprob)
            items.append(item)
        overall = stereoset_scores(items)
        per_domain = [{"domain": d, **stereoset_scores([it for it in items if it["domain"] == d])}
                      for d in sorted({it["domain"] for it in items})]
        metrics = {key: overall[key] for key in ("lms", "ss", "icat", "n_scored", "n_unscored")}
        return BenchmarkResult(self.name, self.version, k, metrics, {"per_domain": per_domain}, {}, items,
                               config={"score": how})
