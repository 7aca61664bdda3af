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
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

COPY_INPUT = "copy-input"
REFERENCE = "reference"
BUILTIN_SYSTEMS = (COPY_INPUT, REFERENCE)
GENERATOR_SYSTEMS = ("zero-shot", "few-shot", "adapter")
DEFAULT_SYSTEMS = ("zero-shot", "few-shot", "adapter", COPY_INPUT, REFERENCE)
RESULT_JSON = "rewrite_pairs.json"
RESULT_MD = "rewrite_pairs.md"
ITEMS_JSONL = "rewrite_pairs.items.jsonl"

System = Callable[[list[str]], list[str]]
Embedder = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Pair:
    """One held-out rewrite pair."""

    id: str
    source: str
    text: str
    reference: str


# --- sampling ------------------------------------------------------------------------------------


def allocate(counts: Mapping[str, int], n: int) -> dict[str, int]:
    """How many items to draw from each stratum: proportional to its size (largest remainder),
    at least one per stratum when `n` allows it, never more than the stratum holds."""
    total = sum(counts.values())
    if n >= total:
        return dict(counts)
    keys = sorted(counts)
    raw = {k: n * counts[k] / total for k in keys}
    take = {k: int(raw[k]) for k in keys}
    for k in sorted(keys, key=lambda k: (take[k] - raw[k], k))[: n - sum(take.values())]:
        take[k] += 1
    if n >= len(keys):  # give empty strata one item, taken from the largest
        for k in keys:
            if take[k] == 0 and counts[k] > 0:
                donor = max(keys, key=lambda d: (take[d], d))
                take[donor] -= 1
                take[k] = 1
    return take


def pairs_from_records(records: Sequence[Any]) -> list[Pair]:
    """The rows with a benign variation, as pairs."""
    return [Pair(r.id, r.source, r.text, r.benign_variation) for r in records if r.benign_variation is not None]


def sample_pairs(pairs: Sequence[Pair], n: int | None, seed: int = 0) -> list[Pair]:
    """`n` pairs (all when None), stratified by source and seeded: within each source the pairs are
    sorted by id and sampled with ``random.Random(f"rewrite-pairs:{seed}:{source}")``, so one
    source's draw does not depend on the others. Returned sorted by (source, id)."""
    by_source: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_source[pair.source].append(pair)
    if n is None:
        n = len(pairs)
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    take = allocate({s: len(v) for s, v in by_source.items()}, n)
    chosen: list[Pair] = []
    for source in sorted(by_source):
        group = sorted(by_source[source], key=lambda p: p.id)
        chosen.extend(random.Random(f"rewrite-pairs:{seed}:{source}").sample(group, take[source]))
    return sorted(chosen, key=lambda p: (p.source, p.id))


# --- metrics -------------------------------------------------------------------------------------


def _sacrebleu() -> Any:
    try:
        import sacrebleu
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("chrF needs sacrebleu: pip install 'sacrebleu>=2.4'") from exc
    return sacrebleu


def normalise_whitespace(text: str) -> str:
    return " ".join(text.split())


def sentence_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """Per-item chrF (0-100) of each hypothesis against its one reference."""
    sacrebleu = _sacrebleu()
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    return np.array([sacrebleu.sentence_chrf(h, [r]).score for h, r in zip(hypotheses, references)], dtype=float)


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """chrF over the whole set: n-gram statistics pooled over items, then one F-score."""
    if not hypotheses:
        return float("nan")
    return float(_sacrebleu().corpus_chrf(list(hypotheses), [list(references)]).score)


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two (n, d) arrays."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.where(norms > 0, (a * b).sum(1) / np.where(norms > 0, norms, 1.0), 0.0)


def bootstrap_indices(n: int, resamples: int = 1000, seed: int = 0) -> np.ndarray:
    """(resamples, n) item indices drawn with replacement, seeded; shared by every system so the
    intervals and paired tests of one run use the same resamples."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def bootstrap_ci(values: np.ndarray, indices: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values`."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return float("nan"), float("nan")
    means = values[indices].mean(axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def paired_comparison(a: np.ndarray, b: np.ndarray, indices: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """A vs B on per-item scores: mean difference (A - B, positive when A scores higher), its
    paired-bootstrap interval, the two-sided paired-bootstrap p-value ``min(1, 2 (k+1)/(R+1))``
    where k counts the resampled mean differences on the other side of zero, and the Wilcoxon
    signed-rank p-value (1.0 when every difference is zero)."""
    from scipy.stats import wilcoxon

    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    mean = float(diff.mean()) if diff.size else float("nan")
    low, high = bootstrap_ci(diff, indices, level)
    boot = diff[indices].mean(axis=1)
    resamples = len(boot)
    if diff.size == 0 or mean == 0:
        p_boot = 1.0
    else:
        against = int((boot <= 0).sum()) if mean > 0 else int((boot >= 0).sum())
        p_boot = min(1.0, 2 * (against + 1) / (resamples + 1))
    nonzero = diff[diff != 0]
    if nonzero.size == 0:
        p_wilcoxon = 1.0
    else:
        p_wilcoxon = float(wilcoxon(diff, zero_method="wilcox", alternative="two-sided").pvalue)
    return {
        "mean_diff": mean, "ci_low": low, "ci_high": high, "p_bootstrap": p_boot, "p_wilcoxon": p_wilcoxon,
        "wins": int((diff > 0).sum()), "losses": int((diff < 0).sum()), "ties": int((diff == 0).sum()),
    }


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


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
        c = self.config
        lines = [
            "# Held-out rewrite pairs",
            "",
            f"{c['n']} pairs from `{c['test_file']}` (stratified by source, seed {c['seed']}): "
            + ", ".join(f"{s} {k}" for s, k in c["by_source"].items())
            + ". "
            + (f"Greedy decoding, batch {c['batch_size']}, max {c['max_new_tokens']} new tokens. "
               if c.get("batch_size") else "")
            + "chrF = sacrebleu chrF2 (0-100), "
            + (f"sim = cosine of {c['encoder']} embeddings; " if c.get("encoder") else "no similarity (no encoder); ")
            + f"[95% bootstrap CI, {c['resamples']} resamples].",
            "",
            "| system | chrF vs ref [95% CI] | corpus chrF vs ref | sim vs ref [95% CI] | chrF vs input | "
            "sim vs input | copy % | empty % | truncated % | mean words | seconds | tokens/s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, s in self.systems.items():
            t = self.timing.get(name, {})
            lines.append(
                f"| {name} | {_ci(s['chrf_ref'], s['chrf_ref_ci'], 1)} | "
                f"{_f(s['corpus_chrf_ref'], 1)} | {_ci(s['sim_ref'], s['sim_ref_ci'], 3)} | {_f(s['chrf_input'], 1)} | {_f(s['sim_input'], 3)} | "
                f"{_f(100 * s['copy_rate'], 1)} | {_f(100 * s['empty_rate'], 1)} | "
                f"{_f(100 * s['truncated_rate'] if s.get('truncated_rate') is not None else None, 1)} | "
                f"{_f(s['mean_words'], 1)} | {_f(t.get('seconds'), 1)} | {_f(t.get('tokens_per_s'), 1)} |"
            )
        lines += ["", "## Per source (chrF vs ref / sim vs ref / copy %)", ""]
        names = list(self.systems)
        lines.append("| source | n | " + " | ".join(names) + " |")
        lines.append("|---|---|" + "---|" * len(names))
        for source, by_system in self.per_source.items():
            n = next(iter(by_system.values()))["n"]
            cells = [f"{_f(by_system[s]['chrf_ref'], 1)} / {_f(by_system[s]['sim_ref'], 3)} / "
                     f"{_f(100 * by_system[s]['copy_rate'], 0)}" for s in names]
            lines.append(f"| {source} | {n} | " + " | ".join(cells) + " |")
        lines += ["", "## Paired comparisons (A - B per item)", "",
                  "| metric | A | B | mean diff [95% CI] | wins/ties/losses | p bootstrap | p Wilcoxon | p Wilcoxon (Holm) |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in self.comparisons:
            digits = 1 if r["metric"].startswith("chrf") else 3
            lines.append(
                f"| {r['metric']} | {r['a']} | {r['b']} | {_f(r['mean_diff'], digits)} [{_f(r['ci_low'], digits)}, "
                f"{_f(r['ci_high'], digits)}] | {r['wins']}/{r['ties']}/{r['losses']} | {_p(r['p_bootstrap'])} | "
                f"{_p(r['p_wilcoxon'])} | {_p(r['p_wilcoxon_holm'])} |"
            )
        generated = [n for n in names if n not in BUILTIN_SYSTEMS]
        if generated and self.items:
            lines += ["", "## Examples (first item of each source)", ""]
            seen: set[str] = set()
            for item in self.items:
                if item["source"] in seen:
                    continue
                seen.add(item["source"])
                lines.append(f"- `{item['id']}`: {_q(item['text'])}")
                lines.append(f"  - reference: {_q(item['reference'])}")
                for name in generated:
                    lines.append(f"  - {name}: {_q(item['outputs'][name])}")
        return "\n".join(lines) + "\n"

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


def _f(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def _ci(value: Any, ci: Sequence[Any], digits: int) -> str:
    if value is None:
        return "-"
    return f"{_f(value, digits)} [{_f(ci[0], digits)}, {_f(ci[1], digits)}]"


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _q(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return f"“{text[:200]}{'…' if len(text) > 200 else ''}”"


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


def encoder_embedder(name: str = "minilm-l6-v2", cache_dir: Any = None, batch_size: int = 64) -> Embedder:
    """An embedder from a sentence encoder name (`models.load_encoder` + `models.embed_sentences`)."""
    from srllm.models import embed_sentences, load_encoder

    model, tokenizer = load_encoder(name, cache_dir)

    def embed(texts: Sequence[str]) -> np.ndarray:
        return embed_sentences(model, tokenizer, list(texts), batch_size=batch_size).cpu().numpy()

    return embed


def parse_systems(systems: str | Sequence[str] | None, adapters: Sequence[str] = ()) -> list[str]:
    """System names from a comma-separated string or a list; None means the defaults (``adapter``
    only when adapters are given). Unknown names raise ValueError with the allowed ones."""
    if systems is None:
        names = [n for n in DEFAULT_SYSTEMS if n != "adapter" or adapters]
    else:
        names = [s.strip() for s in (systems.split(",") if isinstance(systems, str) else systems) if s.strip()]
    unknown = [n for n in names if n not in DEFAULT_SYSTEMS]
    if unknown:
        raise ValueError(f"unknown system(s) {unknown}; expected some of {list(DEFAULT_SYSTEMS)}")
    if "adapter" in names and not adapters:
        raise ValueError("system 'adapter' needs at least one adapter folder (--adapter DIR)")
    return list(dict.fromkeys(names))


def adapter_names(adapters: Sequence[str]) -> list[str]:
    """``adapter`` for one adapter folder; ``adapter:<folder>`` (made unique) for several."""
    if len(adapters) == 1:
        return ["adapter"]
    names: list[str] = []
    for path in adapters:
        p = Path(path)
        base = f"adapter:{p.name if p.name != 'adapter' else p.parent.name + '/' + p.name}"
        name, k = base, 2
        while name in names:
            name, k = f"{base}#{k}", k + 1
        names.append(name)
    return names


def build_systems(
    names: Sequence[str],
    *,
    model: str | None = None,
    adapters: Sequence[str] = (),
    cache_dir: Any = None,
    batch_size: int = 16,
    max_new_tokens: int = 64,
    format: str = "auto",
    progress: bool = False,
    threads: int | None = None,
) -> dict[str, System]:
    """The generator systems among `names` as Rewriters (the built-in ones are not built here).
    zero-shot and few-shot share one base model; each adapter is loaded on its own base."""
    from srllm.generate import FEW_SHOT, Rewriter

    systems: dict[str, System] = {}
    settings = {"batch_size": batch_size, "max_new_tokens": max_new_tokens, "threads": threads}
    if "zero-shot" in names or "few-shot" in names:
        base = Rewriter.load(model, format=format, cache_dir=cache_dir, **settings)
        if "zero-shot" in names:
            systems["zero-shot"] = base.with_few_shot(None, progress="zero-shot" if progress else False, name="zero-shot")
        if "few-shot" in names:
            systems["few-shot"] = base.with_few_shot(FEW_SHOT, progress="few-shot" if progress else False, name="few-shot")
    if "adapter" in names:
        for name, path in zip(adapter_names(adapters), adapters):
            systems[name] = Rewriter.load(model, adapter=path, format=format, cache_dir=cache_dir,
                                          progress=name if progress else False, name=name, **settings)
    return systems


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
