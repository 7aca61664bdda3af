"""`srllm data build`: the CMD training corpus from the TRAIN sources.

Steps: load every TRAIN adapter (and the synthetic pairs) -> deduplicate by normalised text (the
first source in `sources` order wins, so the richly human-labelled sets come first) -> drop rows
whose text or benign variation occurs in any EVALUATION set -> verify the overlap is now 0 (else
fail) -> cap the profanity-heavy sources (`caps`) -> split 70/10/20 (seeded, stratified, pairs kept
together) -> write the splits, statistics, a manifest and a data card. Every dropped or skipped
row is counted.
"""

from __future__ import annotations

import hashlib
import json
import time
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

#: default TRAIN sources, in deduplication priority (human stance labels and targets first; SBIC before
#: Davidson, whose tweets it contains). `implicit_hate` (a subset of implicit_hate_corpus) is not a default.
TRAIN_SOURCES = ("edos_sexism", "implicit_hate_corpus", "sbic", "wiegand_identity_groups", "hatemoji_build",
                 "hatexplain", "toxic_spans", "redditbias_annotated", "davidson", "paradetox", "neutral_rewriter",
                 "wnc", "hh_rlhf")
#: default caps: ParaDetox and Davidson are mostly explicit profanity; uncapped they are a third of the corpus
#: and teach "swear word = unsafe". A cap keeps that many original rows without a human rewrite (a seeded
#: sample); rows with a human rewrite (ParaDetox pairs) and their rewrites are always kept.
DEFAULT_CAPS: dict[str, int] = {"davidson": 6000, "paradetox": 6000}
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
    caps: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CAPS))

    def __post_init__(self) -> None:
        bad = [f for f in self.formats if f not in FORMATS]
        if bad:
            raise ValueError(f"formats: {bad} not supported; expected values from {list(FORMATS)}")
        train = adapters("train")
        unknown = [s for s in self.sources if s not in train]
        if unknown:
            raise ValueError(f"sources: {unknown} are not TRAIN sources; expected values from {list(train)}")
        bad_caps = {k: v for k, v in self.caps.items() if k not in train or not isinstance(v, int) or v < 0}
        if bad_caps:
            raise ValueError(f"caps: {bad_caps} invalid; expected TRAIN source -> a non-negative row count")
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
    seconds: float = 0.0

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
        lines += ["", *source_table(self.records), "", *label_table(self.records), ""]
        lines.append(f"Contamination after decontamination: {self.contamination.total} overlapping rows")
        lines.append(f"Build time: {self.seconds:.0f} s")
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


def source_table(records: Sequence[CMDRecord]) -> list[str]:
    """Markdown: rows, Unsafe rows and rows with word spans per source and split."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for r in records:
        row = table[r.source]
        row[r.split or "unsplit"] += 1
        row["rows"] += 1
        row["Unsafe"] += r.annotation == "Unsafe"
        row["spans"] += bool(r.biased_spans)
    lines = ["| source | rows | Unsafe | with spans | train | dev | test |", "|---|---:|---:|---:|---:|---:|---:|"]
    for source, c in sorted(table.items()):
        lines.append(f"| {source} | {c['rows']} | {c['Unsafe']} | {c['spans']} | {c['train']} | {c['dev']} | {c['test']} |")
    return lines


def label_table(records: Sequence[CMDRecord]) -> list[str]:
    """Markdown: how many rows have each level of each label."""
    lines = ["| label | levels (rows) |", "|---|---|"]
    for label in LABELS:
        counts = Counter(getattr(r, label) for r in records)
        lines.append(f"| {label} | " + ", ".join(f"{level} {n}" for level, n in sorted(counts.items())) + " |")
    return lines


def _cap(records: Sequence[CMDRecord], caps: dict[str, int], seed: int) -> tuple[list[CMDRecord], dict[str, int]]:
    """Keep at most caps[source] original rows without a benign variation per source (those whose
    seeded hash of the id is smallest), and drop the rows derived from the others."""
    def order(record: CMDRecord) -> str:
        return hashlib.blake2b(f"{seed}|{record.id}".encode(), digest_size=8).hexdigest()

    drop: set[str] = set()
    for source, cap in caps.items():
        candidates = [r for r in records if r.source == source and r.parent_id is None and r.benign_variation is None]
        drop.update(r.id for r in sorted(candidates, key=order)[cap:])
    kept = [r for r in records if r.id not in drop and r.parent_id not in drop]
    dropped = Counter(r.source for r in records if r.id in drop or r.parent_id in drop)
    return kept, dict(sorted(dropped.items()))


def _decontaminate(records: Sequence[CMDRecord], index: EvalIndex) -> tuple[list[CMDRecord], OverlapReport]:
    """Drop rows found in an evaluation set, and the rows derived from them."""
    before = overlap_report(records, index)
    bad = {r.id for r in records if index.record_hits(r)}
    while True:  # and their descendants (a framed row of an implied statement of a post)
        children = {r.id for r in records if r.parent_id in bad} - bad
        if not children:
            break
        bad |= children
    return [r for r in records if r.id not in bad], before


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
    from srllm.data import datacard, stats, synthetic, synthetic_counter, synthetic_neutral

    started = time.perf_counter()
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
        synthetic_rows += synthetic_neutral.generate(config.seed, exclude=(r.text for r in synthetic_rows))
        synthetic_rows += synthetic_counter.generate(config.seed, records)
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

    records, capped = _cap(records, config.caps, config.seed)
    if capped:
        log(f"capped: dropped {', '.join(f'{n} {s}' for s, n in capped.items())} rows (caps {config.caps})")

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
        "caps": dict(sorted(config.caps.items())),
        "capped_rows": capped,
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
    result.seconds = time.perf_counter() - started
    return result


def _counts(records: Sequence[CMDRecord]) -> dict:
    by_split_source: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for r in records:
        by_split_source[r.split][r.source][r.annotation] += 1
    return {
        split: {source: dict(sorted(c.items())) for source, c in sorted(sources.items())}
        for split, sources in sorted(by_split_source.items())
    }
