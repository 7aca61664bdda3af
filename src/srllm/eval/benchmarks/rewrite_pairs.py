"""`rewrite-pairs`: held-out rewrite pairs scored against their references (`srllm.eval.rewrite_pairs`,
what `srllm eval rewrite-pairs` runs), as a registered benchmark of the suite: chrF and MiniLM
similarity vs the reference per system, with copy-input (floor) and the reference (ceiling)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srllm import formatting as fmt
from srllm.eval.benchmarks.cmd_test import DEFAULT_TEST_FILE, ensure_test_file
from srllm.eval.options import Options, option
from srllm.eval.registry import Benchmark, BenchmarkResult, Context


@dataclass
class RewritePairsOptions(Options):
    test_file: str = option(DEFAULT_TEST_FILE, "the corpus test split (built when missing)")
    systems: list[str] = option(["zero-shot", "few-shot"], "zero-shot, few-shot, adapter (copy-input and reference always)")
    adapters: list[str] = option([], "trained LoRA adapter folders (system 'adapter')")
    model: str | None = option(None, "base model (default smollm2-135m-instruct)")
    encoder: str | None = option("minilm-l6-v2", "sentence encoder of the similarity (null: none)")
    max_new_tokens: int = option(64, "new tokens per rewrite (greedy)")
    resamples: int = option(1000, "bootstrap resamples")


class RewritePairs(Benchmark):
    name = "rewrite-pairs"
    version = "1"
    description = "held-out rewrite pairs: chrF / similarity vs the reference per system, bootstrap CIs, paired tests"
    needs = ("rewrite",)
    metrics = {"chrf_ref": True, "sim_ref": True, "copy_pct": False}
    default_n = 200
    Options = RewritePairsOptions

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        from srllm.eval.rewrite_pairs import evaluate_rewrites
        from srllm.provenance import sha256_file

        o = ctx.options
        path = ensure_test_file(Path(o.test_file), ctx.data_dir, True)
        result = evaluate_rewrites(path, list(o.systems), n=n, seed=ctx.seed, model=o.model, adapters=o.adapters,
                                   max_new_tokens=o.max_new_tokens, encoder=o.encoder, resamples=o.resamples,
                                   progress=ctx.progress)
        data = result.to_dict()
        primary = next((s for s in data["systems"] if s not in ("copy-input", "reference")), "copy-input")
        head = data["systems"][primary]
        metrics = {"chrf_ref": head["chrf_ref"], "sim_ref": head["sim_ref"], "copy_pct": 100 * head["copy_rate"]}
        systems = [{"system": k, **v, **data["timing"].get(k, {})} for k, v in data["systems"].items()]
        return BenchmarkResult(self.name, self.version, data["config"]["n"], metrics,
                               {"systems": systems, "comparisons": data["comparisons"]}, {"per_source": data["per_source"]},
                               data["items"], checksums={str(path): sha256_file(path)},
                               config={"test_file": str(path), "headline_system": primary})

    @classmethod
    def report_section(cls, model: str, result: dict[str, Any]) -> list[str]:
        rows = [[s["system"], fmt.ci(s["chrf_ref"], s.get("chrf_ref_ci")), fmt.ci(s["sim_ref"], s.get("sim_ref_ci"), 3),
                 fmt.number(s["chrf_input"]), fmt.number(100 * s["copy_rate"])] for s in result["tables"]["systems"]]
        return [f"## Held-out rewrite pairs ({result['n']} pairs)", "",
                *fmt.table(["system", "chrF vs ref [95% CI]", "sim vs ref [95% CI]", "chrF vs input", "copy %"], rows)]
