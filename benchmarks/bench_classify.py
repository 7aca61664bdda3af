"""Benchmark batch classification on CPU: texts/s and peak memory of each backend.

    python benchmarks/bench_classify.py [--classifier DIR] [--test build/corpus/test.jsonl] [--n 2000]

Takes `n` texts of 20-40 words from the corpus test split (seeded), warms each backend up, then
times `Classifier.predict` over all of them (no word spans, as in a batch job) and, separately,
with the word spans of `--explain-n` texts. Backends: int8 ONNX Runtime (the shipped form) and,
when the folder holds torch weights, fp32 PyTorch. Also reports how often the two agree.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from pathlib import Path

import numpy as np

from srllm.classify.predictor import ONNX_FILE, TORCH_FILE, Classifier, shipped_path
from srllm.data.io import read_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifier", type=Path, default=None, help="classifier folder (default: shipped)")
    parser.add_argument("--test", default="build/corpus/test.jsonl")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--explain-n", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    folder = args.classifier or shipped_path()
    texts = [r.text for r in read_records(args.test) if 20 <= len(r.text.split()) <= 40]
    texts = random.Random(0).sample(texts, min(args.n, len(texts)))
    words = np.mean([len(t.split()) for t in texts])
    print(f"{len(texts)} texts, mean {words:.1f} words, batch {args.batch_size}")
    labels = {}
    for backend, weights in (("onnx", ONNX_FILE), ("torch", TORCH_FILE)):
        if not (folder / weights).is_file():
            print(f"{backend}: skipped ({folder / weights} not there)")
            continue
        clf = Classifier(folder, backend=backend, batch_size=args.batch_size)
        clf.predict(texts[:64])
        started = time.perf_counter()
        reports = clf.predict(texts)
        seconds = time.perf_counter() - started
        labels[backend] = [r.unsafe for r in reports]
        started = time.perf_counter()
        clf.predict(texts[: args.explain_n], explain=True)
        explain_s = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{backend}: {len(texts) / seconds:.0f} texts/s ({seconds:.1f} s); with word spans "
              f"{args.explain_n / explain_s:.1f} texts/s; peak RSS so far {peak:.0f} MiB")
    if len(labels) == 2:
        agree = np.mean([a == b for a, b in zip(labels["onnx"], labels["torch"])])
        print(f"unsafe decisions: int8 ONNX agrees with fp32 torch on {agree:.1%} of texts")


if __name__ == "__main__":
    main()
