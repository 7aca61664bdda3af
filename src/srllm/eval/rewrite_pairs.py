"""Held-out rewrite pairs: how close each system's rewrites come to the benign variations.

`evaluate_rewrites` samples `n` pairs (rows with a `benign_variation`) from a test split,
stratified by source and seeded, runs every system on their texts, and scores the outputs. Two
reference systems are always measured in the same run, on the same items:

- ``copy-input``: the output is the input unchanged. The floor a rewriter must beat: on pairs
  whose variation changes a few words it already scores a high chrF against the reference.
- ``reference``: the output is the reference itself. The ceiling (chrF 100, similarity 1).

Metrics per system (each averaged over items unless said otherwise):

- chrF vs reference: character n-gram F-score (Popovic 2015, WMT15) of the output against the
  reference, ``sacrebleu.sentence_chrf`` (chrF2: character 6-grams, beta=2), 0-100; also the corpus
  chrF, ``sacrebleu.corpus_chrf``, which pools the n-gram statistics of all items before the F-score.
  Worked example: an output identical to its reference scores 100; an empty output scores 0.
- chrF vs input: the same against the input, i.e. how much of the original text survives
  (``copy-input`` scores 100).
- sim vs reference / sim vs input: cosine similarity of all-MiniLM-L6-v2 sentence embeddings
  (mean pooling, L2-normalised: ``models.embed_sentences``), meaning preservation. An empty output
  gets 0.0 (the embedding of an empty string would be an arbitrary vector).
- copy rate: output == input after collapsing whitespace; empty rate: output is blank;
  truncated: outputs that used all of `max_new_tokens` without ending the turn (generators only).
- mean words: mean output length in whitespace-separated words.

Uncertainty: 95% percentile bootstrap intervals (1000 resamples of the items, seeded; the same
resamples for every system) for the mean sentence chrF and the mean similarity vs reference.
Pairs of systems are compared on the per-item differences: the mean difference with its paired
bootstrap interval and two-sided paired-bootstrap p-value (Koehn 2004), and the Wilcoxon
signed-rank test (``scipy.stats.wilcoxon``, zero differences dropped) with Holm's adjustment over
all comparisons of one metric.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from srllm.eval.rewrite_systems import BUILTIN_SYSTEMS, COPY_INPUT, REFERENCE, System, build_systems, parse_systems
from srllm.sampling import stratified_indices
from srllm.similarity import Embedder, corpus_chrf, cosine_rows, encoder_embedder, normalise_whitespace, sentence_chrf
from srllm.statistics import bootstrap_ci, bootstrap_indices, holm, paired_comparison

RESULT_JSON = "rewrite_pairs.json"
RESULT_MD = "rewrite_pairs.md"
ITEMS_JSONL = "rewrite_pairs.items.jsonl"


@dataclass(frozen=True)
class Pair:
    """One held-out rewrite pair."""

    id: str
    source: str
    text: str
    reference: str


# --- sampling ------------------------------------------------------------------------------------


def pairs_from_records(records: Sequence[Any]) -> list[Pair]:
    """The rows with a benign variation, as pairs."""
    return [Pair(r.id, r.source, r.text, r.benign_variation) for r in records if r.benign_variation is not None]


def sample_pairs(pairs: Sequence[Pair], n: int | None, seed: int = 0) -> list[Pair]:
    """`n` pairs (all when None), stratified by source and seeded (`srllm.sampling.stratified_indices`
    with salt ``rewrite-pairs``): within each source the pairs are sorted by id, so one source's draw
    does not depend on the others. Returned sorted by (source, id)."""
    if n is not None and n < 1:
        raise ValueError(f"n must be positive, got {n}")
    pairs = list(pairs)
    chosen = stratified_indices([p.source for p in pairs], n, seed, "rewrite-pairs", order=[p.id for p in pairs])
    return sorted((pairs[i] for i in chosen), key=lambda p: (p.source, p.id))


# --- the result ----------------------------------------------------------------------------------


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN to None."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass
class RewriteEvalResult:
    """Everything one run measured. `systems[name]` holds the summary metrics, `per_source[source]
    [name]` the same per source, `comparisons` the paired tests, `items` every pair with each
    system's output and per-item scores."""

    config: dict[str, Any]
    systems: dict[str, dict[str, Any]]
    per_source: dict[str, dict[str, dict[str, Any]]]
    comparisons: list[dict[str, Any]]
    items: list[dict[str, Any]]
    timing: dict[str, dict[str, Any]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _clean({
            "config": self.config, "systems": self.systems, "per_source": self.per_source,
            "comparisons": self.comparisons, "timing": self.timing, "metadata": self.metadata, "items": self.items,
        })

    def comparison(self, a: str, b: str, metric: str = "chrf_ref") -> dict[str, Any]:
        """The comparison of systems `a` and `b` on `metric`, oriented as a - b."""
        for row in self.comparisons:
            if row["metric"] == metric and (row["a"], row["b"]) in ((a, b), (b, a)):
                if row["a"] == a:
                    return row
                flipped = dict(row, a=a, b=b, mean_diff=-row["mean_diff"], ci_low=-row["ci_high"],
                               ci_high=-row["ci_low"], wins=row["losses"], losses=row["wins"])
                return flipped
        raise KeyError(f"no {metric} comparison of {a!r} and {b!r}")

    def markdown(self) -> str:
        from srllm.eval.rewrite_pairs_report import pairs_markdown

        return pairs_markdown(self)

    def write(self, out_dir: str | Path) -> dict[str, str]:
        """Write rewrite_pairs.json (everything, items included), rewrite_pairs.md and
        rewrite_pairs.items.jsonl (one pair per line with every system's output)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"json": str(out / RESULT_JSON), "markdown": str(out / RESULT_MD), "items": str(out / ITEMS_JSONL)}
        self.paths = paths
        Path(paths["json"]).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        Path(paths["markdown"]).write_text(self.markdown(), encoding="utf-8")
        with open(paths["items"], "w", encoding="utf-8") as handle:
            for item in self.items:
                handle.write(json.dumps(_clean(item), ensure_ascii=False) + "\n")
        return paths


# --- scoring -------------------------------------------------------------------------------------


def _system_scores(outputs: list[str], pairs: Sequence[Pair], emb: dict[str, np.ndarray] | None,
                   embedder: Embedder | None) -> dict[str, np.ndarray]:
    texts = [p.text for p in pairs]
    refs = [p.reference for p in pairs]
    empty = np.array([not o.strip() for o in outputs])
    scores = {
        "chrf_ref": sentence_chrf(outputs, refs),
        "chrf_input": sentence_chrf(outputs, texts),
        "copy": np.array([normalise_whitespace(o) == normalise_whitespace(t) for o, t in zip(outputs, texts)]),
        "empty": empty,
        "words": np.array([len(o.split()) for o in outputs], dtype=float),
    }
    if emb is not None and embedder is not None:
        vectors = np.asarray(embedder(outputs), dtype=float)
        scores["sim_ref"] = np.where(empty, 0.0, cosine_rows(vectors, emb["reference"]))
        scores["sim_input"] = np.where(empty, 0.0, cosine_rows(vectors, emb["text"]))
    return scores


def _summary(scores: dict[str, np.ndarray], outputs: list[str], refs: list[str], texts: list[str],
             indices: np.ndarray | None) -> dict[str, Any]:
    sim = "sim_ref" in scores
    summary = {
        "n": len(outputs),
        "chrf_ref": _mean(scores["chrf_ref"]),
        "corpus_chrf_ref": corpus_chrf(outputs, refs),
        "chrf_input": _mean(scores["chrf_input"]),
        "corpus_chrf_input": corpus_chrf(outputs, texts),
        "sim_ref": _mean(scores["sim_ref"]) if sim else None,
        "sim_input": _mean(scores["sim_input"]) if sim else None,
        "copy_rate": _mean(scores["copy"]),
        "empty_rate": _mean(scores["empty"]),
        "mean_words": _mean(scores["words"]),
    }
    if indices is not None:
        summary["chrf_ref_ci"] = list(bootstrap_ci(scores["chrf_ref"], indices))
        summary["sim_ref_ci"] = list(bootstrap_ci(scores["sim_ref"], indices)) if sim else [None, None]
    return summary


def score_outputs(
    pairs: Sequence[Pair],
    outputs: Mapping[str, Sequence[str]],
    embedder: Embedder | None = None,
    *,
    resamples: int = 1000,
    seed: int = 0,
    timing: Mapping[str, Mapping[str, Any]] | None = None,
    config: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> RewriteEvalResult:
    """Score given outputs (no models run here except `embedder`). `outputs` maps a system name to
    one output per pair; ``copy-input`` and ``reference`` are added when missing. `embedder` maps
    texts to (n, d) sentence embeddings; without it the similarity metrics are None."""
    pairs = list(pairs)
    if not pairs:
        raise ValueError("no pairs to score")
    texts = [p.text for p in pairs]
    refs = [p.reference for p in pairs]
    all_outputs: dict[str, list[str]] = {}
    for name, values in outputs.items():
        values = list(values)
        if len(values) != len(pairs):
            raise ValueError(f"system {name!r} returned {len(values)} outputs for {len(pairs)} inputs")
        if not all(isinstance(v, str) for v in values):
            raise TypeError(f"system {name!r} returned a non-string output")
        all_outputs[name] = values
    all_outputs.setdefault(COPY_INPUT, list(texts))
    all_outputs.setdefault(REFERENCE, list(refs))
    names = [n for n in all_outputs if n not in BUILTIN_SYSTEMS] + list(BUILTIN_SYSTEMS)

    emb = None
    if embedder is not None:
        emb = {"text": np.asarray(embedder(texts), dtype=float), "reference": np.asarray(embedder(refs), dtype=float)}
    indices = bootstrap_indices(len(pairs), resamples, seed)
    scores = {name: _system_scores(all_outputs[name], pairs, emb, embedder) for name in names}
    timing = {k: dict(v) for k, v in (timing or {}).items()}

    systems = {}
    for name in names:
        summary = _summary(scores[name], all_outputs[name], refs, texts, indices)
        truncated = timing.get(name, {}).get("truncated")
        summary["truncated_rate"] = truncated / len(pairs) if truncated is not None else None
        systems[name] = summary

    sources = sorted({p.source for p in pairs})
    per_source: dict[str, dict[str, dict[str, Any]]] = {}
    for source in sources:
        rows = np.array([i for i, p in enumerate(pairs) if p.source == source])
        per_source[source] = {}
        for name in names:
            sub = {k: v[rows] for k, v in scores[name].items()}
            outs = [all_outputs[name][i] for i in rows]
            per_source[source][name] = _summary(sub, outs, [refs[i] for i in rows], [texts[i] for i in rows], None)

    comparisons: list[dict[str, Any]] = []
    metrics = ["chrf_ref"] + (["sim_ref"] if emb is not None else [])
    for metric in metrics:
        block = []
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                row = {"metric": metric, "a": a, "b": b, **paired_comparison(scores[a][metric], scores[b][metric], indices)}
                block.append(row)
        for row, adjusted in zip(block, holm([r["p_wilcoxon"] for r in block])):
            row["p_wilcoxon_holm"] = adjusted
        comparisons.extend(block)

    items = []
    for i, pair in enumerate(pairs):
        items.append({
            "id": pair.id, "source": pair.source, "text": pair.text, "reference": pair.reference,
            "outputs": {name: all_outputs[name][i] for name in names},
            "scores": {
                name: {k: (bool(v[i]) if v.dtype == bool else round(float(v[i]), 4)) for k, v in scores[name].items()}
                for name in names
            },
        })
    cfg = {"n": len(pairs), "seed": seed, "resamples": resamples, "by_source": dict(sorted(Counter(p.source for p in pairs).items())),
           "systems": names, **(config or {})}
    cfg.setdefault("test_file", None)
    return RewriteEvalResult(config=cfg, systems=systems, per_source=per_source, comparisons=comparisons, items=items,
                             timing=timing, metadata=dict(metadata or {}))


# --- running systems -----------------------------------------------------------------------------


def evaluate_rewrites(
    test_file: str | Path,
    systems: Mapping[str, System] | str | Sequence[str] | None = None,
    n: int | None = 200,
    seed: int = 0,
    *,
    model: str | None = None,
    adapters: Sequence[str] = (),
    cache_dir: Any = None,
    batch_size: int = 16,
    max_new_tokens: int = 64,
    format: str = "auto",
    threads: int | None = None,
    encoder: str | None = "minilm-l6-v2",
    embedder: Embedder | None = None,
    resamples: int = 1000,
    out_dir: str | Path | None = None,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> RewriteEvalResult:
    """Sample `n` held-out pairs of `test_file` (stratified by source, seeded), run each system on
    their texts, score them (see the module docstring) and, with `out_dir`, write the results.

    `systems` is a mapping of name -> callable(list of texts) -> list of rewrites, or system names
    (a list or a comma-separated string of ``zero-shot``, ``few-shot``, ``adapter``, ``copy-input``,
    ``reference``) that are built with `model`, `adapters`, `batch_size` and `max_new_tokens`. The
    ``copy-input`` and ``reference`` systems are always measured. `embedder` (texts -> embeddings)
    overrides `encoder`; ``encoder=None`` without an embedder skips the similarity metrics.
    """
    from srllm.data.io import read_records
    from srllm.provenance import package_versions, run_metadata, sha256_file

    log = log or (lambda message: None)
    records = read_records(test_file)
    all_pairs = pairs_from_records(records)
    if not all_pairs:
        raise ValueError(f"{test_file}: no rewrite pairs (rows with a benign_variation)")
    pairs = sample_pairs(all_pairs, n, seed)
    log(f"{len(pairs)} of {len(all_pairs)} pairs: " + ", ".join(f"{s} {k}" for s, k in sorted(Counter(p.source for p in pairs).items())))

    if systems is None or isinstance(systems, (str, list, tuple)):
        names = parse_systems(systems, adapters)
        if "few-shot" in names:
            from srllm.generate import check_demonstrations

            check_demonstrations(records)
        runnable: dict[str, System] = build_systems(
            names, model=model, adapters=adapters, cache_dir=cache_dir, batch_size=batch_size,
            max_new_tokens=max_new_tokens, format=format, progress=progress, threads=threads)
    else:
        reserved = [k for k in systems if k in BUILTIN_SYSTEMS]
        if reserved:
            raise ValueError(f"{reserved} are measured by the evaluator itself; do not pass them as systems")
        runnable = dict(systems)

    texts = [p.text for p in pairs]
    outputs: dict[str, list[str]] = {}
    timing: dict[str, dict[str, Any]] = {}
    for name, system in runnable.items():
        started = time.perf_counter()
        result = list(system(list(texts)))
        seconds = time.perf_counter() - started
        stats = dict(getattr(system, "last_stats", None) or {})
        tokens = stats.get("generated_tokens")
        timing[name] = {
            "seconds": round(seconds, 2),
            "texts_per_s": round(len(texts) / seconds, 3) if seconds > 0 else None,
            "generated_tokens": tokens,
            "tokens_per_s": round(tokens / seconds, 2) if tokens is not None and seconds > 0 else None,
            "truncated": stats.get("truncated"),
        }
        outputs[name] = result
        log(f"{name}: {len(texts)} texts in {seconds:.1f} s"
            + (f", {tokens} new tokens, {timing[name]['tokens_per_s']} tokens/s, "
               f"{stats.get('truncated')} stopped at max_new_tokens" if tokens is not None else ""))

    if embedder is None and encoder is not None:
        embedder = encoder_embedder(encoder, cache_dir)
    system_info = {name: getattr(system, "info", None) for name, system in runnable.items()}
    config = {
        "test_file": str(test_file), "test_sha256": sha256_file(test_file), "pairs_in_file": len(all_pairs),
        "batch_size": batch_size, "max_new_tokens": max_new_tokens, "encoder": encoder if embedder is not None else None,
        "model": model, "adapters": list(adapters), "decoding": "greedy (do_sample=False)", "threads": threads,
    }
    if any(name == "few-shot" for name in runnable):
        from srllm.generate import FEW_SHOT_DEMONSTRATIONS

        config["few_shot_demonstrations"] = [d.id for d in FEW_SHOT_DEMONSTRATIONS]
    metadata = {**run_metadata(), "eval_packages": package_versions(("sacrebleu", "scipy", "torch", "transformers", "peft")),
                "system_info": system_info}
    result = score_outputs(pairs, outputs, embedder, resamples=resamples, seed=seed, timing=timing, config=config,
                           metadata=metadata)
    if out_dir is not None:
        result.write(out_dir)
    return result
