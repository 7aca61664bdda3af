"""Choose the classifier's encoder by measurement: quality and speed of each candidate, side by side.

    python benchmarks/bench_encoders.py --corpus build/corpus [--encoders minilm-l6-v2 all-mpnet-base-v2]
        [--n-train 4000] [--threads 2]

Quality is a linear probe, the same for every encoder: mean-pooled sentence embeddings of a seeded,
source-weighted sample of the train split, one logistic regression per target (unsafe, toxicity > No,
bias = Yes; scikit-learn, C=1), scored on data none of them trained on: the corpus dev split
(unsafe macro-F1), ToxiGen's 940 human-annotated test rows (toxicity AUROC), BABE SG2 (bias AUROC)
and DynaHate dev+test (unsafe AUROC / accuracy at 0.5). A probe ranks encoders by what their
embeddings already separate; fine-tuning moves every number, but rarely the order.
Speed: embedding throughput (texts/s, fp32 torch, `--threads`) on the same texts, and its ratio to
the first encoder, measured in this run.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def embed(name: str, texts: list[str], threads: int, max_length: int = 96) -> tuple[np.ndarray, float]:
    import torch

    from srllm.models import embed_sentences, load_encoder

    torch.set_num_threads(threads)
    model, tokenizer = load_encoder(name)
    embed_sentences(model, tokenizer, texts[:32], max_length=max_length)  # warm-up
    order = np.argsort([len(t) for t in texts])  # length-bucketed batches, as the predictor does
    started = time.perf_counter()
    vectors = embed_sentences(model, tokenizer, [texts[i] for i in order], batch_size=64, max_length=max_length)
    seconds = time.perf_counter() - started
    out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
    out[order] = vectors.numpy()
    return out, len(texts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("build/corpus"))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--encoders", nargs="+", default=["minilm-l6-v2", "all-mpnet-base-v2"])
    parser.add_argument("--n-train", type=int, default=4000)
    parser.add_argument("--n-dev", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args()

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, roc_auc_score

    from srllm.classify.data import stratified_sample
    from srllm.data.io import read_records
    from srllm.data.sources.babe import BABE
    from srllm.data.sources.mbias import MBIASToxiGenTest

    train = stratified_sample(read_records(args.corpus / "train.jsonl"), args.n_train, 13, "sqrt")
    dev = stratified_sample(read_records(args.corpus / "dev.jsonl"), args.n_dev, 13, "sqrt")
    toxigen = MBIASToxiGenTest(args.data_dir).load()
    babe = BABE(args.data_dir).load()
    babe = babe[(babe["subgroup"] == "SG2") & (babe["label_bias"] != "No agreement")]
    sets = {"train": [r.text for r in train], "dev": [r.text for r in dev],
            "toxigen": toxigen["biased_text"].tolist(), "babe": babe["text"].tolist()}
    gold = {"toxigen": toxigen["label"].to_numpy(), "babe": (babe["label_bias"] == "Biased").to_numpy().astype(int)}
    try:
        from srllm.data.sources.dynahate import DynaHate

        dyna = DynaHate(args.data_dir).load()
        sets["dynahate"] = dyna["text"].tolist()
        gold["dynahate"] = (dyna["label"] == "hate").to_numpy().astype(int)
    except ImportError:
        print("dynahate: no adapter in this checkout; skipped")
    targets = {"unsafe": np.array([r.annotation == "Unsafe" for r in train], dtype=int),
               "toxic": np.array([r.toxicity != "No" for r in train], dtype=int),
               "bias": np.array([r.bias == "Yes" for r in train], dtype=int)}
    dev_unsafe = np.array([r.annotation == "Unsafe" for r in dev], dtype=int)
    texts = [t for name in sets for t in sets[name]]
    print(f"{len(texts)} texts: " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))

    results = {}
    for name in args.encoders:
        vectors, speed = embed(name, texts, args.threads)
        parts, start = {}, 0
        for key, values in sets.items():
            parts[key] = vectors[start : start + len(values)]
            start += len(values)
        probes = {t: LogisticRegression(C=1.0, max_iter=2000).fit(parts["train"], y) for t, y in targets.items()}
        row = {"texts_per_s": round(speed, 1), "dim": int(vectors.shape[1]),
               "dev_unsafe_macro_f1": f1_score(dev_unsafe, probes["unsafe"].predict(parts["dev"]), average="macro"),
               "toxigen_toxicity_auroc": roc_auc_score(gold["toxigen"], probes["toxic"].predict_proba(parts["toxigen"])[:, 1]),
               "babe_bias_auroc": roc_auc_score(gold["babe"], probes["bias"].predict_proba(parts["babe"])[:, 1])}
        if "dynahate" in parts:
            p = probes["unsafe"].predict_proba(parts["dynahate"])[:, 1]
            row["dynahate_unsafe_auroc"] = roc_auc_score(gold["dynahate"], p)
            row["dynahate_accuracy"] = float(((p >= 0.5) == gold["dynahate"]).mean())
        results[name] = {k: round(float(v), 4) if isinstance(v, float) else v for k, v in row.items()}
        print(name, json.dumps(results[name]))
    first = results[args.encoders[0]]["texts_per_s"]
    print("\n| encoder | texts/s | speed vs first | " + " | ".join(k for k in results[args.encoders[0]] if k not in ("texts_per_s", "dim")) + " |")
    for name, row in results.items():
        metrics = " | ".join(f"{v:.3f}" for k, v in row.items() if k not in ("texts_per_s", "dim"))
        print(f"| {name} | {row['texts_per_s']:.0f} | {row['texts_per_s'] / first:.2f}x | {metrics} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"config": vars(args) | {"corpus": str(args.corpus), "out": str(args.out)},
                                        "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
