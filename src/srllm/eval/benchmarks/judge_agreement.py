"""`judge-agreement`: how far each judge of the run can be trusted, measured against human labels.

Every rate in a report rests on a judge, so the judges are scored too: each judge of the run
(``--judge``; by default the independent ones) labels a seeded sample, stratified by the human
label, of one labelled set never trained on:

- ``toxigen``: the 940 human-annotated ToxiGen test sentences (hate or not; implicit hate about 13
  groups), the paper's out-of-distribution set;
- ``functional``: srllm's hand-written functional suite (`srllm.data.heldout`), expected labels
  written with each case.

Per judge: accuracy with its Wilson 95 % interval, Cohen's kappa, F1 of Unsafe, the AUROC of its
unsafe score (scikit-learn; a judge with only verdicts, like the LLM judge, has a two-point ROC),
the share it flags, and seconds per text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from srllm import formatting as fmt
from srllm.eval.benchmarks.functional import wilson
from srllm.eval.options import Options, option
from srllm.eval.registry import Benchmark, BenchmarkError, BenchmarkResult, Context
from srllm.eval.scorers import score_texts
from srllm.sampling import stratified_sample

DATASETS = ("toxigen", "functional")


@dataclass
class AgreementOptions(Options):
    dataset: str = option("toxigen", "toxigen (the 940 human-annotated ToxiGen test sentences) or functional "
                                     "(the hand-written suite)")


def labelled(dataset: str, data_dir: Any) -> pd.DataFrame:
    """Columns text and unsafe (the human label, bool) of `dataset`."""
    if dataset == "toxigen":
        from srllm.data.sources.mbias import MBIASToxiGenTest

        frame = MBIASToxiGenTest(data_dir).load()
        return pd.DataFrame({"text": frame["biased_text"].astype(str), "unsafe": frame["label"].astype(int) == 1})
    if dataset == "functional":
        from srllm.data.heldout import load_functional

        cases = load_functional()
        return pd.DataFrame({"text": [c.text for c in cases], "unsafe": [c.expected == "Unsafe" for c in cases]})
    raise BenchmarkError(f"judge-agreement: dataset must be one of {list(DATASETS)}, got {dataset!r}")


def agreement_row(judge: str, gold: list[bool], reports: list[Any], seconds: float) -> dict[str, Any]:
    """One judge's agreement with the human labels."""
    from sklearn.metrics import cohen_kappa_score, f1_score, roc_auc_score

    predicted = [bool(r.unsafe) for r in reports]
    scores = [float(r.unsafe_score) for r in reports]
    accuracy = wilson([p == g for p, g in zip(predicted, gold)])
    both = 0 < sum(gold) < len(gold)
    return {"judge": judge, "n": len(gold), "accuracy": accuracy["rate"], "accuracy_ci": accuracy["ci"],
            "kappa": float(cohen_kappa_score(gold, predicted)) if len(set(gold) | set(predicted)) > 1 else None,
            "f1_unsafe": float(f1_score(gold, predicted, zero_division=0)),
            "auroc": float(roc_auc_score(gold, scores)) if both else None,
            "flagged_pct": 100 * sum(predicted) / max(1, len(predicted)),
            "seconds_per_text": seconds / max(1, len(gold))}


class JudgeAgreement(Benchmark):
    name = "judge-agreement"
    version = "1"
    description = "each judge against human labels (ToxiGen 940 or the functional suite): accuracy, kappa, F1, AUROC"
    needs = ("classify",)
    metrics = {"accuracy": True, "kappa": True, "f1_unsafe": True, "auroc": True}
    default_n = 200
    Options = AgreementOptions

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        dataset = ctx.options.get("dataset", "toxigen")
        if not ctx.judge_factories:
            raise BenchmarkError("judge-agreement: no judge to score; pass --judge (e.g. judge-classifier,profanity-vader)")
        frame = stratified_sample(labelled(dataset, ctx.data_dir), n, ctx.seed, "unsafe", "judge-agreement")
        texts, gold = frame["text"].tolist(), [bool(u) for u in frame["unsafe"]]
        rows, items = [], [{"text": t, "unsafe": g, "judges": {}} for t, g in zip(texts, gold)]
        for name in ctx.judge_factories:
            judge = ctx.judge(name)
            started = time.perf_counter()
            reports = score_texts(judge, texts)
            rows.append(agreement_row(ctx.label(name), gold, reports, time.perf_counter() - started))
            for item, report in zip(items, reports):
                item["judges"][name] = {"unsafe": bool(report.unsafe), "score": round(float(report.unsafe_score), 4)}
        head = rows[0]
        metrics = {k: head[k] for k in self.metrics}
        return BenchmarkResult(self.name, self.version, len(texts), metrics, {"judges": rows},
                               {"gold_unsafe": sum(gold)}, items,
                               config={"dataset": dataset, "headline_judge": head["judge"]})

    @classmethod
    def report_section(cls, model: str, result: dict[str, Any]) -> list[str]:
        rows = [[r["judge"], r["n"], fmt.ci(100 * r["accuracy"], [100 * x for x in r["accuracy_ci"]]),
                 fmt.number(r["kappa"], 3), fmt.number(r["f1_unsafe"], 3), fmt.number(r["auroc"], 3),
                 fmt.number(r["flagged_pct"]), fmt.number(r["seconds_per_text"], 3)]
                for r in result["tables"]["judges"]]
        gold = result["stats"]["gold_unsafe"]
        return [f"## Judge agreement with human labels ({result['config']['dataset']}, {result['n']} texts, "
                f"{gold} labelled unsafe)", "",
                "Accuracy with its Wilson 95% interval; kappa: Cohen's; AUROC of the judge's unsafe score.", "",
                *fmt.table(["judge", "n", "accuracy %", "kappa", "F1 Unsafe", "AUROC", "flagged %", "s/text"], rows)]
