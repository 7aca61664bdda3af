"""Benchmark classification on CPU: texts/s with and without word spans, per export, in one run.

    python benchmarks/bench_classify.py [--classifier DIR] [--test build/corpus/test.jsonl] [--n 2000]
        [--quantize weights-int8 static-int8 dynamic-int8] [--file-rows 100000]

Takes `n` texts of 20-40 words from the corpus test split (seeded) and, for the classifier folder
(default: the shipped one), times in the same process:
- the plain forward pass (`predict`, no spans): the baseline every ratio is against;
- spans from the token head (`predict(explain="head")`, the default of `srllm classify`);
- spans by occlusion (`explain="occlusion"`, on `--explain-n` texts: one extra pass per word).
With `--quantize`, a folder holding torch weights is re-exported to each ONNX form in a temporary
folder (calibrated and checked on the first 512 dev texts, as training does), and each form is timed
the same way, with its agreement with fp32 torch on unsafe decisions and the largest change of a
score between a text alone and in a batch. The first ONNX form is also timed one batch at a time on
every core (``batch_workers=1``), the baseline of the default, one batch per core.
With `--file-rows`, `srllm classify --input FILE --output OUT` (spans on, as by default) runs as a
separate process over a JSONL file of that many rows (the sample repeated), and its wall time and
peak RSS are reported: the batch path streams results to disk, so memory stays flat.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from srllm.classify.predictor import ONNX_FILE, TORCH_FILE, Classifier, shipped_path
from srllm.data.io import read_records


def timed(clf: Classifier, texts: list[str], explain: bool | str) -> tuple[float, list]:
    started = time.perf_counter()
    reports = clf.predict(texts, explain=explain)
    return len(texts) / (time.perf_counter() - started), reports


def measure(name: str, clf: Classifier, texts: list[str], explain_n: int) -> dict:
    clf.predict(texts[:64], explain=bool(clf.has_span_head))  # warm-up
    plain, reports = timed(clf, texts, False)
    row = {"form": name, "plain_texts_per_s": round(plain, 1), "unsafe": [r.unsafe for r in reports]}
    if clf.has_span_head:
        head, _ = timed(clf, texts, "head")
        row.update(head_texts_per_s=round(head, 1), head_vs_plain=round(head / plain, 3))
    occlusion, _ = timed(clf, texts[:explain_n], "occlusion")
    row.update(occlusion_texts_per_s=round(occlusion, 1), occlusion_vs_plain=round(occlusion / plain, 4))
    alone = np.array([clf.predict([t])[0].unsafe_score for t in texts[:32]])
    row["batch_vs_alone_max_diff"] = round(float(np.abs(alone - [r.unsafe_score for r in reports[:32]]).max()), 6)
    return row


def file_run(folder: Path, texts: list[str], rows: int, threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with source.open("w", encoding="utf-8") as f:
            for i in range(rows):
                f.write(json.dumps({"id": str(i), "text": texts[i % len(texts)]}) + "\n")
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "srllm.cli", "classify", "--classifier", str(folder),
                                  "--threads", str(threads), "--input", str(source), "--output", str(out)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = 0.0
        while child.poll() is None:
            peak = max(peak, _peak_rss_mib(child.pid))
            time.sleep(0.5)
        seconds = time.perf_counter() - started
        if child.returncode:
            raise subprocess.CalledProcessError(child.returncode, child.args)
        written = sum(1 for _ in out.open(encoding="utf-8"))
    return {"rows": rows, "written": written, "seconds": round(seconds, 1), "texts_per_s": round(rows / seconds, 1),
            "peak_rss_mib": round(peak, 1)}


def _peak_rss_mib(pid: int) -> float:
    """The process's own peak RSS (VmHWM) from /proc: `getrusage(RUSAGE_CHILDREN)` would also count the
    pages the child shared with this (large) process between fork and exec."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifier", type=Path, default=None, help="classifier folder (default: shipped)")
    parser.add_argument("--test", default="build/corpus/test.jsonl")
    parser.add_argument("--dev", default="build/corpus/dev.jsonl",
                        help="calibration and check texts of the --quantize exports (its first 512, as training uses)")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--explain-n", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quantize", nargs="*", default=[], help="ONNX forms to export and compare (needs torch weights)")
    parser.add_argument("--file-rows", type=int, default=0, help="also time `srllm classify --input` on this many rows")
    args = parser.parse_args()
    folder = args.classifier or shipped_path()
    texts = [r.text for r in read_records(args.test) if 20 <= len(r.text.split()) <= 40]
    texts = random.Random(0).sample(texts, min(args.n, len(texts)))
    print(f"{len(texts)} texts, mean {np.mean([len(t.split()) for t in texts]):.1f} words, batch {args.batch_size}, "
          f"{args.threads} threads")
    rows = []
    forms: list[tuple[str, Path]] = [("as shipped" if args.classifier is None else "onnx", folder)]
    tmp = Path(tempfile.mkdtemp())
    try:
        if args.quantize:
            from srllm.classify.onnx_export import EXPORT_CHECK_TEXTS, export_onnx

            if not (folder / TORCH_FILE).is_file():
                sys.exit(f"--quantize needs torch weights ({folder / TORCH_FILE})")
            forms = []
            dev_texts = [r.text for r in read_records(args.dev)[:EXPORT_CHECK_TEXTS]]
            for mode in args.quantize:
                copy = tmp / mode
                shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(ONNX_FILE))
                export_onnx(copy, quantize=mode, check_texts=dev_texts)
                forms.append((mode, copy))
        for k, (name, path) in enumerate(forms):
            if (path / ONNX_FILE).is_file():
                rows.append(measure(name, Classifier(path, backend="onnx", threads=args.threads,
                                                     batch_size=args.batch_size), texts, args.explain_n))
                if k == 0 and args.threads > 1:  # the baseline of the batch workers: one batch at a time, every core
                    rows.append(measure(f"{name}, one batch at a time", Classifier(
                        path, backend="onnx", threads=args.threads, batch_size=args.batch_size, batch_workers=1),
                        texts, args.explain_n))
        if (folder / TORCH_FILE).is_file():
            rows.append(measure("fp32 torch", Classifier(folder, backend="torch", threads=args.threads,
                                                          batch_size=args.batch_size), texts, args.explain_n))
        reference = rows[-1]["unsafe"] if rows[-1]["form"] == "fp32 torch" else None
        print("\n| form | plain texts/s | spans (head) texts/s | head / plain | occlusion texts/s | occlusion / plain "
              "| unsafe agrees with fp32 | batch vs alone |")
        print("|---|---|---|---|---|---|---|---|")
        for row in rows:
            agree = f"{np.mean(np.equal(row['unsafe'], reference)):.1%}" if reference is not None else "–"
            print(f"| {row['form']} | {row['plain_texts_per_s']} | {row.get('head_texts_per_s', '–')} | "
                  f"{row.get('head_vs_plain', '–')} | {row['occlusion_texts_per_s']} | {row['occlusion_vs_plain']} | "
                  f"{agree} | {row['batch_vs_alone_max_diff']} |")
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        if args.file_rows:
            print("srllm classify --input:", json.dumps(file_run(forms[0][1], texts, args.file_rows, args.threads)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
