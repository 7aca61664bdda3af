"""Rewrite latency and throughput on this machine, per generation backend.

Backends (same `Rewriter` interface, same greedy decoding):
- ``transformers``: the merged model in fp32;
- ``transformers-int8``: the same with dynamic int8 Linear layers (``Rewriter.load(quantize="int8")``);
- ``llama-cpp``: the adapter merged into its base and written once into the cache as a GGUF of
  ``--gguf-type`` (F16 by default here; the fast tier uses q8_0)
  (`srllm.export.merged_gguf`), run by llama.cpp with the prompt prefix's KV state reused
  (`srllm.backends.llamacpp.LlamaCppRewriter`; needs ``make gguf-runtime``); ``llama-cpp:TYPE`` names
  the GGUF type (q8_0, q5_0, q4_0, f16), so several types are timed side by side in one run.
Each is timed one sentence per generate() call (what an interactive `srllm rewrite` does) and
`--batch-size` sentences per call, left-padded (what `srllm rewrite --input` and `srllm eval
rewrite` do); the share of int8 outputs equal to fp32's is reported.
The share of each backend's outputs equal to the first backend's is reported.

Reports, per backend: per-sentence latency p50 / p95 (wall seconds of one call for one sentence),
batch throughput (sentences/s and new tokens/s over all sentences), and, with --pipeline, the
whole SafetyPipeline (detect + rewrite + verify + retries) per sentence and per batch.

    python benchmarks/bench_rewrite.py --test build/corpus/test.jsonl --n 32 --adapter DIR

With ``--tier NAME`` the generator of that pipeline tier (configs/safety-pipeline.yaml, e.g.
``fast``) is timed instead of the backends, and ``--words N`` keeps the sentences of N +- 2 words:

    python benchmarks/bench_rewrite.py --tier fast --words 20 --latency-n 10 --n 10 --pipeline
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

BACKENDS = ("transformers", "transformers-int8", "llama-cpp")


def load_backend(backend: str, model: str | None, adapter: str | None, threads: int | None, max_new_tokens: int,
                 gguf_type: str):
    """A rewriter for `backend` (one of `BACKENDS`) on the same model and adapter."""
    if backend == "llama-cpp":
        from srllm.backends.llamacpp import LlamaCppRewriter

        return LlamaCppRewriter.load(model, adapter=adapter, threads=threads, max_new_tokens=max_new_tokens,
                                     gguf_type=gguf_type)
    from srllm.generate import Rewriter

    return Rewriter.load(model, adapter=adapter, threads=threads, max_new_tokens=max_new_tokens,
                         quantize="int8" if backend == "transformers-int8" else None)


def sentences(test: Path | None, n: int, seed: int, words: int | None = None) -> list[str]:
    """`n` sentences (ParaDetox test rows, else ToxiGen hate rows); with `words`, of words +- 2 words."""
    if test is not None:
        from srllm.eval.rewrite_safety import paradetox_items

        texts = [it.text for it in paradetox_items(test, None if words else n, seed)]
    else:
        from srllm.eval.rewrite_safety import toxigen_items

        texts = [it.text for it in toxigen_items(None, None if words else n, seed)]
    if words:
        texts = [t for t in texts if abs(len(t.split()) - words) <= 2][:n]
    return texts


def percentiles(values: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(values, 50)), 3), "p95": round(float(np.percentile(values, 95)), 3),
            "mean": round(float(np.mean(values)), 3)}


def bench_rewriter(rewriter, texts: list[str], batch_size: int, latency_n: int) -> tuple[dict, list[str]]:
    """Per-sentence latency (one call per sentence) and batch throughput; returns the batch outputs."""
    rewriter.rewrite(texts[:1])  # warm-up
    lat, tokens = [], 0
    for text in texts[:latency_n]:
        started = time.perf_counter()
        rewriter.rewrite([text], batch_size=1)
        lat.append(time.perf_counter() - started)
        tokens += rewriter.last_stats["generated_tokens"]
    started = time.perf_counter()
    outputs = rewriter.rewrite(texts, batch_size=batch_size)
    seconds = time.perf_counter() - started
    tok = rewriter.last_stats["generated_tokens"]
    prompt_rate = rewriter.last_stats.get("prompt_tokens_per_s")  # llama.cpp reports prompt evaluation apart
    return {
        "one_by_one": {"sentences": len(lat), "latency_s": percentiles(lat), "sentences_per_s": round(len(lat) / sum(lat), 3),
                       "tokens_per_s": round(tokens / sum(lat), 2)},
        "batched": {"batch_size": batch_size, "sentences": len(texts), "seconds": round(seconds, 2),
                    "sentences_per_s": round(len(texts) / seconds, 3), "tokens_per_s": round(tok / seconds, 2),
                    "seconds_per_sentence": round(seconds / len(texts), 3),
                    **({"prompt_tokens_per_s": prompt_rate} if prompt_rate is not None else {})},
    }, outputs


def bench_pipeline(pipe, texts: list[str], latency_n: int) -> dict[str, dict]:
    lat, decisions = [], {}
    for text in texts[:latency_n]:
        result = pipe.run(text)
        lat.append(result.timings["total_s"])
        decisions[result.decision] = decisions.get(result.decision, 0) + 1
    started = time.perf_counter()
    results = pipe.run_many(texts)
    seconds = time.perf_counter() - started
    batch_decisions: dict[str, int] = {}
    for r in results:
        batch_decisions[r.decision] = batch_decisions.get(r.decision, 0) + 1
    return {"pipeline-1": {"latency_s": percentiles(lat), "decisions": decisions, "sentences": len(lat)},
            "pipeline-batch": {"sentences": len(texts), "seconds": round(seconds, 2),
                               "sentences_per_s": round(len(texts) / seconds, 3), "decisions": batch_decisions,
                               "stage_seconds": results[0].timings}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", type=Path, default=None, help="corpus test split (ParaDetox rows); default ToxiGen hate rows")
    parser.add_argument("--n", type=int, default=32, help="sentences for the batch run")
    parser.add_argument("--latency-n", type=int, default=12, help="sentences timed one by one")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--adapter", default=None, help="adapter folder (default: the shipped one)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--backends", default="transformers,transformers-int8",
                        help="comma-separated: transformers (fp32), transformers-int8 (dynamic int8 Linear layers), "
                             "llama-cpp (merged GGUF of --gguf-type), llama-cpp:TYPE (that GGUF type)")
    parser.add_argument("--gguf-type", default="f16", help="llama-cpp: the merged adapter's GGUF type (f16, f32, q8_0)")
    parser.add_argument("--pipeline", action="store_true", help="also time the whole SafetyPipeline (needs the classifier)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tier", default=None, help="time this pipeline tier's generator (e.g. fast) instead of --backends")
    parser.add_argument("--words", type=int, default=None, help="only sentences of this many words (+- 2)")
    parser.add_argument("--out", type=Path, default=Path("runs/bench/rewrite.json"))
    args = parser.parse_args(argv)

    from srllm.provenance import run_metadata
    from srllm.rewrite.assets import default_adapter

    texts = sentences(args.test, args.n, args.seed, args.words)
    if not texts:
        parser.error("no sentences of that length in the set")
    adapter = args.adapter or (None if args.model else str(default_adapter()))
    report = {"machine": {"cpus_allowed": len(os.sched_getaffinity(0)), "load_average": os.getloadavg(),
                          "platform": platform.platform(), "python": sys.version.split()[0]},
              "config": vars(args) | {"test": str(args.test), "out": str(args.out), "adapter": adapter},
              "backends": {}}
    reference: list[str] | None = None
    rewriter = None
    if args.tier is not None:
        from srllm.rewrite import PipelineConfig
        from srllm.rewrite.tiers import build_tiers

        config = PipelineConfig(max_new_tokens=args.max_new_tokens)
        started = time.perf_counter()
        (tier, *_) = build_tiers(config.tier_specs(), args.tier, threads=args.threads, batch_size=args.batch_size,
                                 max_new_tokens=args.max_new_tokens)
        rewriter = tier.load()
        stats, _ = bench_rewriter(rewriter, texts, args.batch_size, args.latency_n)
        stats |= {"load_s": round(time.perf_counter() - started, 2), "tier": tier.spec.to_dict(),
                  "words_per_sentence": round(float(np.mean([len(t.split()) for t in texts])), 1)}
        report["backends"][f"tier-{args.tier}"] = stats
        print(f"tier {args.tier}", json.dumps(stats), flush=True)
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()] if args.tier is None else []:
        name, _, gguf_type = backend.partition(":")
        if name not in BACKENDS or (gguf_type and name != "llama-cpp"):
            parser.error(f"unknown backend {backend!r}; expected some of {list(BACKENDS)} (llama-cpp:TYPE for a GGUF type)")
        started = time.perf_counter()
        rewriter = load_backend(name, args.model, adapter, args.threads, args.max_new_tokens, gguf_type or args.gguf_type)
        load_s = time.perf_counter() - started
        stats, outputs = bench_rewriter(rewriter, texts, args.batch_size, args.latency_n)
        stats["load_s"] = round(load_s, 2)
        if reference is None:
            reference = outputs
        stats["same_output_as_first_backend"] = round(sum(a == b for a, b in zip(outputs, reference)) / len(texts), 3)
        report["backends"][backend] = stats
        print(backend, json.dumps(stats), flush=True)
    if args.pipeline:
        from srllm.eval.rewrite_pairs import encoder_embedder
        from srllm.rewrite import PipelineConfig, SafetyPipeline, embedding_similarity
        from srllm.rewrite.assets import load_default_classifier

        pipe = SafetyPipeline(load_default_classifier(), rewriter, embedding_similarity(encoder_embedder()),
                              PipelineConfig(max_new_tokens=args.max_new_tokens))  # on the last backend loaded
        report["backends"].update(bench_pipeline(pipe, texts, args.latency_n))
    report["metadata"] = run_metadata()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(json.dumps(report["backends"], indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
