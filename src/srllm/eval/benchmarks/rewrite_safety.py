"""`rewrite-safety`: the safety pipeline on held-out ParaDetox rows and ToxiGen's hate rows beside
copy-input, delete-flagged, zero-shot, MBIAS and the human reference (`srllm.eval.rewrite_safety`, what
`srllm eval rewrite` runs), scored by the pipeline's classifier (a self-score, labelled so) and by the
suite's independent judges."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srllm import formatting as fmt
from srllm.eval.benchmarks.cmd_test import DEFAULT_TEST_FILE, ensure_test_file
from srllm.eval.options import Options, option
from srllm.eval.registry import Benchmark, BenchmarkResult, Context


@dataclass
class RewriteSafetyOptions(Options):
    test_file: str = option(DEFAULT_TEST_FILE, "the corpus test split (ParaDetox rows; built when missing)")
    sets: list[str] = option(["paradetox", "toxigen"], "paradetox and/or toxigen")
    systems: list[str] = option(["srllm", "copy-input", "delete-flagged", "mbias", "reference"],
                                "srllm, copy-input, delete-flagged, zero-shot, mbias, reference")
    resamples: int = option(1000, "bootstrap resamples")


class RewriteSafety(Benchmark):
    name = "rewrite-safety"
    version = "1"
    description = "safety pipeline vs baselines on ParaDetox and ToxiGen: unsafe % per judge, STA, SIM, FL, J"
    datasets = ("mbias",)
    needs = ("rewrite", "classify")
    metrics = {"unsafe_independent": False, "j": True, "sim": True}
    default_n = 200
    Options = RewriteSafetyOptions

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        from srllm.eval.rewrite_safety import evaluate_safety
        from srllm.rewrite import SafetyPipeline

        o = ctx.options
        path = ensure_test_file(Path(o.test_file), ctx.data_dir, True) if "paradetox" in o.sets else None
        pipeline = getattr(ctx.intervention, "pipeline", None) or SafetyPipeline.load()  # the srllm intervention's
        zero_shot = None
        if "zero-shot" in o.systems:
            from srllm.generate import Rewriter

            zero_shot = Rewriter.load(None, max_new_tokens=pipeline.config.max_new_tokens)
        judges = {ctx.label(name): ctx.judge(name) for name in ctx.judge_factories}
        result = evaluate_safety(pipeline, test_file=path, data_dir=ctx.data_dir, sets=o.sets, systems=o.systems,
                                 zero_shot=zero_shot, n=n, n_toxigen=n, seed=ctx.seed, resamples=o.resamples,
                                 judges=judges)
        first = next(iter(result.sets.values()))
        srllm = first.get("srllm") or next(iter(first.values()))
        metrics = {k: srllm.get(k) for k in ("unsafe_independent", "j", "sim")}
        rows = [{"set": s, "system": k, **v} for s, systems in result.sets.items() for k, v in systems.items()]
        items = [{"set": s, **row} for s, rows_ in result.items.items() for row in rows_]
        checksums = {str(path): result.config["test_sha256"]} if path else {}
        return BenchmarkResult(self.name, self.version, sum(result.config["n"].values()), metrics, {"systems": rows},
                               {"timing": result.timing}, items, checksums=checksums,
                               config={"judges": list(judges), "pipeline": result.config["pipeline"]})

    @classmethod
    def report_section(cls, model: str, result: dict[str, Any]) -> list[str]:
        judged = sorted({k for r in result["tables"]["systems"] for k in r if k.startswith("unsafe[") and not k.endswith("_ci")})
        rows = [[r["set"], r["system"], fmt.number(r.get("unsafe_srllm"), 3), fmt.number(r.get("unsafe_independent"), 3),
                 *(fmt.ci(r.get(k), r.get(f"{k}_ci"), 3) for k in judged), fmt.number(r.get("sim"), 3),
                 fmt.number(r.get("j"), 3)] for r in result["tables"]["systems"]]
        return [f"## Safety intervention vs baselines ({result['n']} rows)", "",
                "unsafe (srllm) is the pipeline's own classifier: a self-score for the srllm system.", "",
                *fmt.table(["set", "system", "unsafe (srllm, self-score)", "unsafe (alt-profanity-check)",
                            *judged, "SIM", "J"], rows)]
