"""`cmd-test`: the corpus's held-out test split (paper Table 5): % unsafe before and after the
intervention, per target demographic and per judge, plus how well the scorer agrees with the gold
Annotation (scikit-learn precision / recall / F1 of "Unsafe").

When ``test_file`` does not exist and ``build`` is on (the default), the corpus is built into
``test_file``'s folder first (`srllm.data.build`, what `srllm data build` runs; a few minutes, once).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from srllm.eval.benchmarks._common import safety_block
from srllm.eval.options import Options, option
from srllm.eval.registry import Benchmark, BenchmarkError, BenchmarkResult, Context
from srllm.sampling import stratified_sample

DEFAULT_TEST_FILE = "build/corpus/test.jsonl"


@dataclass
class CMDTestOptions(Options):
    test_file: str = option(DEFAULT_TEST_FILE, "the corpus test split (JSONL / CSV / Parquet)")
    build: bool = option(True, "build the corpus into test_file's folder when test_file is missing")


def ensure_test_file(path: Path, data_dir: Path | None, build: bool) -> Path:
    """`path`, building the corpus (train/dev/test) into its folder first when it is missing."""
    if path.is_file():
        return path
    if not build:
        raise BenchmarkError(f"cmd-test: test_file {path} does not exist; run `srllm data build --out {path.parent}` "
                             "or set benchmarks.cmd-test.test_file in the suite config")
    from srllm.data.build import BuildConfig, build_corpus
    from srllm.data.registry import default_data_dir

    if path.suffix != ".jsonl" or path.stem != "test":
        raise BenchmarkError(f"cmd-test: test_file {path} does not exist and is not a corpus test.jsonl to build")
    build_corpus(BuildConfig(data_dir=data_dir or default_data_dir(), out_dir=path.parent))
    return path


class CMDTest(Benchmark):
    name = "cmd-test"
    version = "1"
    description = "CMD test split: unsafe % before/after the intervention (Table 5)"
    needs = ("classify", "rewrite")
    metrics = {"unsafe_pct": False, "unsafe_pct_after": False, "toxic_pct": False, "toxic_pct_after": False,
               "gold_unsafe_pct": False, "scorer_f1": True}
    default_n = 500
    Options = CMDTestOptions
    paper_table = "5"

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        from sklearn.metrics import precision_recall_fscore_support

        from srllm.data.io import read_records
        from srllm.provenance import sha256_file

        path = ensure_test_file(Path(ctx.options.test_file), ctx.data_dir, ctx.options.build)
        records = read_records(path)
        frame = pd.DataFrame({"text": [r.text for r in records], "source": [r.source for r in records],
                              "gold": [r.annotation for r in records],
                              "group": [(r.target_demographic or ["none"])[0] for r in records]})
        frame = stratified_sample(frame, n, ctx.seed, "source", "cmd-test")
        metrics, tables, stats, items = safety_block(ctx, frame["text"].tolist(), frame["group"].tolist())
        gold = (frame["gold"] == "Unsafe").tolist()
        predicted = [item["unsafe"] for item in items]
        p, r, f, _ = precision_recall_fscore_support(gold, predicted, average="binary", zero_division=0)
        metrics.update(gold_unsafe_pct=100 * sum(gold) / len(gold), scorer_precision=float(p), scorer_recall=float(r),
                       scorer_f1=float(f))
        for item, g, source in zip(items, frame["gold"], frame["source"]):
            item.update(gold=g, source=source)
        return BenchmarkResult(self.name, self.version, len(frame), metrics, tables, stats, items,
                               checksums={str(path): sha256_file(path)}, config={"test_file": str(path)})
