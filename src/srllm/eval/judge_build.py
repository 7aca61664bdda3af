"""Build the independent judge classifier (`make judge`, `srllm eval build-judge`).

Reads configs/judge-classifier.yaml: the classifier recipe plus ``judge_sources`` (the TRAIN
sources the judge learns from), ``intervention_sources`` (the other half; the two must be disjoint)
and ``dest``. The corpus's train and dev splits are filtered to the judge's sources, the classifier
is trained on them with the recipe's own seed (`srllm.classify.train.train_classifier`) and shipped
with the shared packaging code (`srllm.classify.package.package_classifier`) and a model card that
names its sources.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

JUDGE_KEYS = ("judge_sources", "intervention_sources", "dest")


class JudgeBuildError(ValueError):
    """A bad judge config or data without the judge's sources."""


def read_judge_config(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(judge keys, classifier recipe) of a judge config; errors name the file and the field."""
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    missing = [k for k in JUDGE_KEYS if k not in data]
    if missing:
        raise JudgeBuildError(f"{path}: missing field(s) {missing}")
    judge = {k: data.pop(k) for k in JUDGE_KEYS}
    for key in ("judge_sources", "intervention_sources"):
        if not isinstance(judge[key], list) or not judge[key]:
            raise JudgeBuildError(f"{path}: {key} must be a non-empty list of source names")
    shared = sorted(set(judge["judge_sources"]) & set(judge["intervention_sources"]))
    if shared:
        raise JudgeBuildError(f"{path}: judge_sources and intervention_sources must be disjoint; both list {shared}")
    return judge, data


def filter_split(source_file: str | Path, target: Path, sources: Sequence[str]) -> Counter:
    """Write the rows of `source_file` whose source is in `sources` to `target`; per-source counts."""
    from srllm.data.io import read_records, write_records

    records = read_records(source_file)
    kept = [r for r in records if r.source in set(sources)]
    if not kept:
        found = sorted({r.source for r in records})
        raise JudgeBuildError(f"{source_file}: no rows from {list(sources)} (sources in the file: {found})")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_records(kept, target)
    return Counter(r.source for r in kept)


def build_judge(config_path: str | Path, overrides: Sequence[str] = (), log: Callable[[str], None] = print) -> Path:
    """Filter, train, ship; returns the shipped folder. `overrides` are ``--key value`` pairs of the recipe
    (and ``--dest``)."""
    from srllm.classify.package import package_classifier
    from srllm.classify.train import load_classifier_config, train_classifier

    judge, recipe = read_judge_config(config_path)
    overrides = list(overrides)
    if "--dest" in overrides:
        k = overrides.index("--dest")
        judge["dest"] = overrides[k + 1]
        del overrides[k:k + 2]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:  # the recipe without the judge's keys, read like any classifier recipe
        recipe_file = Path(tmp) / "recipe.yaml"
        recipe_file.write_text(yaml.safe_dump(recipe), encoding="utf-8")
        probe = load_classifier_config(recipe_file, overrides)
    work = Path(probe.output_dir) / "data"
    counts = {split: filter_split(getattr(probe, f"{split}_file"), work / f"{split}.jsonl", judge["judge_sources"])
              for split in ("train", "dev")}
    log("judge data: " + "; ".join(f"{split} " + ", ".join(f"{s} {n}" for s, n in sorted(c.items()))
                                   for split, c in counts.items()))
    probe.train_file, probe.dev_file = str(work / "train.jsonl"), str(work / "dev.jsonl")
    config = probe
    run = train_classifier(config)
    about = (f"The independent judge of `srllm eval` (`--judge judge-classifier`), not the classifier the safety "
             f"pipeline consults. Trained with seed {config.seed} only on the rows of the TRAIN sources "
             f"{judge['judge_sources']}; the other half {judge['intervention_sources']} is not used.",
             "Rows per source: " + "; ".join(f"{split}: " + ", ".join(f"{s} {n}" for s, n in sorted(c.items()))
                                             for split, c in counts.items()) + ".")
    dest = package_classifier(run.output_dir, judge["dest"], title="srllm judge classifier (independent of the "
                              "intervention's classifier)", about=about, recipe=f"{config_path}` via `make judge")
    log(f"shipped the judge -> {dest}")
    return dest
