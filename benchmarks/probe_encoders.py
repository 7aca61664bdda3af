"""Which sentence encoder generalises: a linear probe on frozen embeddings, per encoder, out of distribution.

For each encoder (all-MiniLM-L6-v2, all-mpnet-base-v2, ...): mean-pooled, L2-normalised embeddings of a
seeded, source-weighted sample of the corpus train split; one logistic regression per label (unsafe,
toxicity any, bias); AUROC on sets never trained on (ToxiGen 940, BABE SG2, DynaHate test, the
hand-written functional suite), beside the shipped fine-tuned classifier's heads on the same rows, and
the encoder's embedding speed on this machine. It answers "is the larger encoder worth fine-tuning",
not "what to ship": a probe is a floor for what fine-tuning reaches.

    python benchmarks/probe_encoders.py --encoders minilm-l6-v2,all-mpnet-base-v2 --n 16000

Embeddings are cached under ``--cache`` (one .npy per encoder, set and sample), so a re-run only refits.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

SEED = 13
LABELS = ("unsafe", "toxic", "bias")


def embed(encoder: str, texts: list[str], threads: int, batch: int = 64, max_length: int = 96) -> tuple[np.ndarray, float]:
    """L2-normalised mean-pooled embeddings of `texts` (`srllm.models.embed_sentences`, input order; sorted
    by length first so batches pad little) and texts per second."""
    import torch

    from srllm.models import embed_sentences, load_encoder

    torch.set_num_threads(threads)
    model, tokenizer = load_encoder(encoder)
    order = np.argsort([len(t) for t in texts], kind="stable")
    started = time.perf_counter()
    vectors = embed_sentences(model, tokenizer, [texts[i] for i in order], batch_size=batch, max_length=max_length)
    rate = len(texts) / (time.perf_counter() - started)
    out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
    out[order] = vectors.numpy()
    return out, rate


def cached(cache: Path, encoder: str, name: str, texts: list[str], threads: int) -> tuple[np.ndarray, float | None]:
    path = cache / f"cache-{encoder}" / f"{name}.npy"
    if path.is_file():
        array = np.load(path)
        if len(array) == len(texts):
            return array, None
    array, rate = embed(encoder, texts, threads)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, array)
    return array, rate


def eval_sets(data_dir: str) -> dict[str, tuple[list[str], np.ndarray]]:
    """name -> (texts, 0/1 labels) of the out-of-distribution sets."""
    from srllm.data.heldout import load_functional
    from srllm.data.sources.mbias import MBIASToxiGenTest
    from srllm.eval.classifier import babe_sg2, dynahate_test

    toxigen = MBIASToxiGenTest(data_dir).load()
    babe, dynahate, functional = babe_sg2(data_dir), dynahate_test(data_dir), load_functional()
    return {
        "toxigen": (toxigen["biased_text"].tolist(), toxigen["label"].to_numpy(dtype=int)),
        "babe": (babe["text"].tolist(), (babe["label_bias"] == "Biased").to_numpy(dtype=int)),
        "dynahate": (dynahate["text"].tolist(), (dynahate["label"] == "hate").to_numpy(dtype=int)),
        "functional": ([c.text for c in functional], np.array([c.expected == "Unsafe" for c in functional], dtype=int)),
    }


def shipped_scores(texts: list[str]) -> dict[str, np.ndarray]:
    from srllm.classify import load_classifier

    clf = load_classifier()
    probs = clf.probabilities(texts)
    return {"unsafe": probs["unsafe"][:, clf.levels["unsafe"].index("Unsafe")],
            "toxic": 1.0 - probs["toxicity"][:, clf.levels["toxicity"].index("No")],
            "bias": probs["bias"][:, clf.levels["bias"].index("Yes")]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", default="minilm-l6-v2,all-mpnet-base-v2")
    parser.add_argument("--train", default="build/corpus/train.jsonl")
    parser.add_argument("--n", type=int, default=16000, help="training rows (sqrt source weighting, seeded)")
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--speed-n", type=int, default=512, help="train texts embedded uncached to time each encoder")
    parser.add_argument("--C", type=float, default=4.0, help="inverse L2 strength of the logistic regressions")
    parser.add_argument("--cache", type=Path, default=Path("build/probe-encoders"))
    parser.add_argument("--out", type=Path, default=Path("build/bench/probe-encoders.json"))
    args = parser.parse_args(argv)

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from srllm.classify.data import stratified_sample
    from srllm.data.io import read_records
    from srllm.provenance import run_metadata

    train = stratified_sample(read_records(args.train), args.n, SEED, "sqrt")
    labels = {"unsafe": np.array([r.annotation == "Unsafe" for r in train], dtype=int),
              "toxic": np.array([r.toxicity != "No" for r in train], dtype=int),
              "bias": np.array([r.bias == "Yes" for r in train], dtype=int)}
    sets = eval_sets(args.data_dir)
    report: dict = {"config": {k: str(v) for k, v in vars(args).items()}, "auroc": {}, "texts_per_s": {}}
    shipped = {name: shipped_scores(texts) for name, (texts, _) in sets.items()}
    report["auroc"]["shipped classifier (fine-tuned MiniLM)"] = {
        name: {label: round(float(roc_auc_score(y, shipped[name][label])), 3) for label in LABELS}
        for name, (_, y) in sets.items()}
    for encoder in [e.strip() for e in args.encoders.split(",") if e.strip()]:
        x_train, _ = cached(args.cache, encoder, f"train{args.n}", [r.text for r in train], args.threads)
        if args.speed_n:
            report["texts_per_s"][encoder] = round(embed(encoder, [r.text for r in train[: args.speed_n]], args.threads)[1], 1)
        probes = {label: LogisticRegression(C=args.C, max_iter=2000).fit(x_train, y) for label, y in labels.items()}
        rows = {}
        for name, (texts, y) in sets.items():
            x, _ = cached(args.cache, encoder, name, texts, args.threads)
            rows[name] = {label: round(float(roc_auc_score(y, probe.predict_proba(x)[:, 1])), 3)
                          for label, probe in probes.items()}
        report["auroc"][f"{encoder} probe"] = rows
        print(encoder, json.dumps(rows), flush=True)
    report["metadata"] = run_metadata()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("auroc", "texts_per_s")}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
