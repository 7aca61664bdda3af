"""`classifier`: a risk classifier beside its peers on the corpus test split, ToxiGen (940), BABE and a
counterfactual set (`srllm.eval.classifier`, what `srllm eval classifier` runs), as a registered
benchmark. ``n`` caps the corpus test rows and BABE sentences."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srllm import formatting as fmt
from srllm.eval.benchmarks.cmd_test import DEFAULT_TEST_FILE, ensure_test_file
from srllm.eval.options import Options, option
from srllm.eval.registry import Benchmark, BenchmarkResult, Context


@dataclass
class ClassifierOptions(Options):
    classifier: str | None = option(None, "classifier folder (default: the shipped one)")
    test_file: str = option(DEFAULT_TEST_FILE, "the corpus test split (built when missing)")
    train_file: str = option("build/corpus/train.jsonl", "the corpus train split (majority baseline)")


class ClassifierEval(Benchmark):
    name = "classifier"
    version = "1"
    description = "risk classifier vs HateBERT, alt-profanity-check, VADER and majority on CMD, ToxiGen, BABE"
    datasets = ("mbias", "babe", "holistic_bias", "dynahate", "toxic_spans_test")
    needs = ("classify",)
    metrics = {"unsafe_f1_macro": True, "toxigen_auroc": True, "toxigen_toxicity_auroc": True, "babe_bias_f1": True,
               "babe_bias_auroc": True, "dynahate_accuracy": True, "span_f1": True, "counterfactual_spread": False}
    default_n = None
    Options = ClassifierOptions

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        from srllm.classify.predictor import Classifier
        from srllm.eval.classifier import evaluate_classifier

        o = ctx.options
        test = ensure_test_file(Path(o.test_file), ctx.data_dir, True)
        train = Path(o.train_file) if Path(o.train_file).is_file() else test.with_name("train.jsonl")
        result = evaluate_classifier(Classifier.load(o.classifier), str(test), str(train),
                                     str(ctx.data_dir) if ctx.data_dir else None, n)
        c, t, b, cf = result["corpus_test"], result["toxigen"], result["babe"], result["counterfactual"]
        d, sp = result["dynahate"], result["spans"]
        metrics = {"unsafe_f1_macro": c["heads"]["unsafe"]["f1_macro"], "toxigen_auroc": t["srllm unsafe"].get("auroc"),
                   "toxigen_toxicity_auroc": t["srllm toxicity"].get("auroc"),
                   "babe_bias_f1": b["srllm bias"]["f1"], "babe_bias_auroc": b["srllm bias"].get("auroc"),
                   "dynahate_accuracy": d["srllm unsafe"]["accuracy"],
                   "span_f1": sp.get("head", sp.get(next(k for k in sp if k.startswith("occlusion")))),
                   "counterfactual_spread": max(a["spread"] for a in cf["axes"].values())}
        heads = [{"head": h, "system": "classifier", **m} for h, m in c["heads"].items()]
        heads += [{"head": h, "system": "majority", **m} for h, m in c["peers"]["majority"].items()]
        peers = [{"set": "toxigen", "system": k, **v} for k, v in t.items() if isinstance(v, dict)]
        peers += [{"set": "babe", "system": k, **v} for k, v in b.items() if isinstance(v, dict) and "f1" in v]
        peers += [{"set": "dynahate", "system": k, **v} for k, v in d.items() if isinstance(v, dict)]
        spans = [{"method": k, "span_f1": v} for k, v in sp.items() if k != "n"]
        axes = [{"axis": a, **{k: v for k, v in m.items() if k != "highest"}} for a, m in cf["axes"].items()]
        return BenchmarkResult(self.name, self.version, c["n"], metrics,
                               {"heads": heads, "peers": peers, "spans": spans, "counterfactual": axes}, {"result": result},
                               checksums={str(test): result["data"]["test_sha256"]},
                               config={"classifier": result["classifier"], "backend": result["backend"]})

    @classmethod
    def report_section(cls, model: str, result: dict[str, Any]) -> list[str]:
        rows = [[r["set"], r["system"], fmt.number(r.get("f1"), 3), fmt.number(r.get("auroc"), 3),
                 fmt.number(r.get("accuracy"), 3)] for r in result["tables"]["peers"]]
        spans = [[r["method"], fmt.number(r["span_f1"], 3)] for r in result["tables"].get("spans", [])]
        heads = [[r["head"], r["system"], fmt.number(r.get("f1_macro"), 3), fmt.number(r.get("auroc"), 3)]
                 for r in result["tables"]["heads"]]
        return [f"## Classifier evaluation ({result['config']['classifier']})", "",
                *fmt.table(["head", "system", "macro-F1", "AUROC"], heads),
                *fmt.table(["set", "system", "F1", "AUROC", "accuracy"], rows),
                *fmt.table(["Toxic Spans test: spans by", "span F1 (SemEval-2021 Task 5)"], spans)]
