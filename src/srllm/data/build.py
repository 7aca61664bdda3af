"""`srllm data build`: the CMD training corpus from the TRAIN sources.

Steps: load every TRAIN adapter (and the synthetic pairs) -> deduplicate by normalised text ->
drop rows whose text or benign variation occurs in any EVALUATION set -> verify the overlap is
now 0 (else fail) -> split 70/10/20 (seeded, stratified, pairs kept together) -> write the
splits, statistics, a manifest and a data card. Every dropped or skipped row is counted.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from srllm.data.contamination import EvalIndex, OverlapReport, build_eval_index, overlap_report, text_hash
from srllm.data.heldout import heldout_leaks, leak_message
from srllm.data.io import write_records
from srllm.data.registry import sha256_file
from srllm.data.schema import SPLITS, CMDRecord
from srllm.data.sources import adapters
from srllm.data.split import DEFAULT_RATIOS, assign_splits
from srllm.provenance import run_metadata

TRAIN_SOURCES = ("paradetox", "davidson", "implicit_hate", "redditbias_annotated", "neutral_rewriter", "wnc", "hh_rlhf")
FORMATS = ("jsonl", "csv", "parquet")
LABELS = ("bias", "toxicity", "sentiment", "harm", "annotation")


class ContaminationError(RuntimeError):
    """Training rows still overlap an evaluation set after decontamination."""


@dataclass(frozen=True)
class BuildConfig:
    data_dir: Path
    out_dir: Path
    seed: int = 13
    formats: tuple[str, ...] = ("jsonl",)
    ratios: tuple[float, float, float] = DEFAULT_RATIOS
    sources: tuple[str, ...] = TRAIN_SOURCES
    synthetic: bool = True

    def __post_init__(self) -> None:
        bad = [f for f in self.formats if f not in FORMATS]
        if bad:
            raise ValueError(f"formats: {bad} not supported; expected values from {list(FORMATS)}")
        train = adapters("train")
        unknown = [s for s in self.sources if s not in train]
        if unknown:
            raise ValueError(f"sources: {unknown} are not TRAIN sources; expected values from {list(train)}")
        if len(self.ratios) != 3 or abs(sum(self.ratios) - 1) > 1e-9:
            raise ValueError(f"ratios: expected three numbers summing to 1 (train, dev, test), got {self.ratios}")


@dataclass
class BuildResult:
    config: BuildConfig
    records: list[CMDRecord]
    paths: dict[str, Path]
    manifest: dict
    contamination: OverlapReport
    log_lines: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for r in self.records:
            table[r.split][r.annotation] += 1
        return table

    def summary(self) -> str:
        lines = ["| split | rows | Unsafe | Benign | with benign variation |", "|---|---:|---:|---:|---:|"]
        for split in SPLITS:
            rows = [r for r in self.records if r.split == split]
            unsafe = sum(r.annotation == "Unsafe" for r in rows)
            variations = sum(r.benign_variation is not None for r in rows)
            lines.append(f"| {split} | {len(rows)} | {unsafe} | {len(rows) - unsafe} | {variations} |")
        lines.append("")
        lines.append(f"Contamination after decontamination: {self.contamination.total} overlapping rows")
        lines.append(f"Wrote {', '.join(str(p) for p in self.paths.values())}")
        return "\n".join(lines)


def _dedupe(records: Sequence[CMDRecord]) -> tuple[list[CMDRecord], dict]:
    """Keep the first record of each normalised text; re-point children of dropped duplicates."""
    first: dict[str, CMDRecord] = {}
    replaced: dict[str, str] = {}
    dropped: Counter[str] = Counter()
    conflicting = 0
    for record in records:
        h = text_hash(record.text)
        kept = first.get(h)
        if kept is None:
            first[h] = record
            continue
        dropped[record.source] += 1
        replaced[record.id] = kept.id
        if any(getattr(kept, k) != getattr(record, k) for k in LABELS):
            conflicting += 1
    out = []
    for record in first.values():
        if record.parent_id in replaced:
            record = record.model_copy(update={"parent_id": replaced[record.parent_id]})
        out.append(record)
    return out, {"dropped_by_source": dict(sorted(dropped.items())), "with_conflicting_labels": conflicting}


def _decontaminate(records: Sequence[CMDRecord], index: EvalIndex) -> tuple[list[CMDRecord], OverlapReport]:
    """Drop rows found in an evaluation set, and the rows derived from them."""
    before = overlap_report(records, index)
    bad = {r.id for r in records if index.record_hits(r)}
    kept = [r for r in records if r.id not in bad and r.parent_id not in bad]
    return kept, before


def _write_splits(records: Sequence[CMDRecord], config: BuildConfig) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    for split in SPLITS:
        rows = sorted((r for r in records if r.split == split), key=lambda r: r.id)
        for fmt in dict.fromkeys(("jsonl", *config.formats)):
            path = config.out_dir / f"{split}.{fmt}"
            write_records(rows, path)
            paths[f"{split}.{fmt}"] = path
    return paths


def build_corpus(config: BuildConfig, log: Callable[[str], None] = lambda _: None) -> BuildResult:
    from srllm.data import datacard, stats, synthetic

    train_adapters = {name: adapters("train")[name](config.data_dir) for name in config.sources}
    records: list[CMDRecord] = []
    skipped: dict[str, dict[str, int]] = {}
    for name, adapter in train_adapters.items():
        rows = list(adapter.records())
        records.extend(rows)
        skipped[name] = dict(sorted(adapter.skipped.items()))
        log(f"loaded {len(rows):>6} records from {name} ({sum(adapter.skipped.values())} source rows skipped)")
    synthetic_rows: list[CMDRecord] = []
    if config.synthetic:
        pairs = adapters("lexicon")["debiaswe"](config.data_dir).gender_pairs()
        synthetic_rows = synthetic.generate(config.seed, gender_pairs=pairs)
        records.extend(synthetic_rows)
        log(f"generated {len(synthetic_rows):>6} synthetic records")

    records, dedupe = _dedupe(records)
    log(f"deduplicated: dropped {sum(dedupe['dropped_by_source'].values())} repeated texts")
    if leaks := heldout_leaks(records):  # the hand-written held-out sets must never be trained on
        raise ContaminationError(leak_message(leaks))

    log("indexing evaluation sets for the contamination check:")
    eval_adapters = {name: cls(config.data_dir) for name, cls in adapters("eval").items()}
    index = build_eval_index({name: a.texts for name, a in eval_adapters.items()}, log)
    n_before = len(records)
    records, before = _decontaminate(records, index)
    after = overlap_report(records, index)
    log(f"decontaminated: dropped {n_before - len(records)} rows found in evaluation sets (with their derived rows)")
    if after.total:
        raise ContaminationError(f"{after.total} training rows still overlap evaluation sets:\n{after.markdown()}")

    assignment = assign_splits(records, config.seed, config.ratios)
    records = [r.model_copy(update={"split": assignment[r.id]}) for r in records]

    config.out_dir.mkdir(parents=True, exist_ok=True)
    paths = _write_splits(records, config)
    for split in SPLITS:
        result = stats.run_stats(paths[f"{split}.jsonl"])
        paths.update({f"{split}.stats.{k}": p for k, p in result.paths.items()})

    input_checksums = {}
    for adapter in [*train_adapters.values(), adapters("lexicon")["debiaswe"](config.data_dir), *eval_adapters.values()]:
        input_checksums.update(adapter.checksums())
    manifest = {
        "seed": config.seed,
        "ratios": list(config.ratios),
        "sources": list(config.sources),
        "synthetic": config.synthetic,
        **run_metadata(),
        "input_checksums": dict(sorted(input_checksums.items())),
        "skipped_source_rows": skipped,
        "deduplication": dedupe,
        "contamination": {"before": before.rows(), "after": after.rows(),
                          "before_by_source": {k: dict(sorted(v.items())) for k, v in sorted(before.by_source.items())}},
        "counts": _counts(records),
        "label_origin": {name: dict(a.label_origin) for name, a in train_adapters.items()}
        | ({"synthetic": dict(synthetic.LABEL_ORIGIN)} if config.synthetic else {}),
        "outputs": {name: sha256_file(p) for name, p in sorted(paths.items())},
    }
    manifest_path = config.out_dir / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    paths["manifest"] = manifest_path
    result = BuildResult(config, records, paths, manifest, after)
    paths["datacard"] = datacard.write_datacard(result, before, synthetic_rows)
    return result


def _counts(records: Sequence[CMDRecord]) -> dict:
    by_split_source: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for r in records:
        by_split_source[r.split][r.source][r.annotation] += 1
    return {
        split: {source: dict(sorted(c.items())) for source, c in sorted(sources.items())}
        for split, sources in sorted(by_split_source.items())
    }
