"""Run a suite of benchmarks for one or more models and write a run folder:

- ``results.json``: config, per-model benchmark results (metrics, tables, statistics, data
  checksums, seconds), run metadata (srllm version, git commit, package versions), wall time,
  energy and carbon (``srllm.energy.EnergyMeter``);
- ``items/<model>/<benchmark>.jsonl``: every scored item;
- ``report.md``: the paper-style tables; ``plots/*.png``.

Benchmarks that need no model (classify / rewrite only) run once and are shared by every model.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from srllm.eval.registry import BenchmarkError, Context, get_benchmark, load_benchmark_file
from srllm.formatting import short

RESULTS_JSON = "results.json"
REPORT_MD = "report.md"
MODEL_FREE = "(no model)"


@dataclass
class SuiteConfig:
    """A suite: which benchmarks (name -> options, incl. an optional sample size `n`), which models,
    scorer and intervention. Validated on creation; errors name the field."""

    name: str = "paper"
    models: list[str] = field(default_factory=lambda: ["smollm2-135m-instruct"])
    scorer: str = "srllm"
    intervention: str = "none"
    #: who scores the intervention's outputs: "auto" (every independent judge available, never the
    #: classifier the intervention consults) or judge names (`srllm.eval.judges`)
    judges: list[str] | str = "auto"
    seed: int = 0
    batch_size: int = 16
    threads: int | None = None
    limit: int | None = None
    benchmark_files: list[str] = field(default_factory=list)
    benchmarks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.models, str):
            self.models = [self.models]
        if not self.models:
            raise BenchmarkError("suite config: `models` must name at least one model")
        if self.batch_size < 1:
            raise BenchmarkError(f"suite config: `batch_size` must be positive, got {self.batch_size}")
        if self.limit is not None and self.limit < 1:
            raise BenchmarkError(f"suite config: `limit` must be positive, got {self.limit}")
        if not isinstance(self.benchmarks, dict) or not self.benchmarks:
            raise BenchmarkError("suite config: `benchmarks` must map benchmark names to options")
        if self.judges != "auto":
            from srllm.eval.judges import parse_judges

            self.judges = parse_judges(self.judges, self.intervention)  # unknown names fail here
        for path in self.benchmark_files:
            load_benchmark_file(path)
        for name, options in self.benchmarks.items():
            get_benchmark(name)  # unknown names fail here, with a "did you mean"
            if options is not None and not isinstance(options, dict):
                raise BenchmarkError(f"suite config: benchmarks.{name} must be a mapping of options")
            self.benchmarks[name] = dict(options or {})
            self.check_options(name)

    def check_options(self, name: str) -> None:
        """Unknown keys and wrong types fail here, naming the benchmark, the key and the allowed keys."""
        from srllm.eval.options import build

        options = dict(self.benchmarks[name])
        n = options.pop("n", None)
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise BenchmarkError(f"benchmark {name!r}: option 'n' must be a positive integer, got {n!r}")
        build(name, get_benchmark(name).Options, options)

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> SuiteConfig:
        path = Path(path)
        if not path.is_file():
            raise BenchmarkError(f"{path}: no such suite config")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        known = {f.name for f in fields(cls)}
        if "model" in data:
            data["models"] = data.pop("model")
        unknown = sorted(set(data) - known)
        if unknown:
            raise BenchmarkError(f"{path}: unknown field(s) {unknown}; allowed: {sorted(known)}")
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**data)


def builtin_suite(name: str) -> Path:
    """The shipped suite ``eval-<name>.yaml`` (package data ``srllm/configs``: the repository's
    configs/ folder, linked into the package and copied into the wheel)."""
    from srllm.configs_path import config_file

    try:
        return config_file(f"eval-{name}.yaml")
    except FileNotFoundError as exc:
        raise BenchmarkError(f"no suite {name!r}: {exc} (pass a YAML file with --config)") from None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "model"


def run_suite(config: SuiteConfig, out_dir: str | Path, *, data_dir: str | Path | None = None,
              progress: bool = True, log: Callable[[str], None] | None = None,
              lm_loader: Callable[[str], Any] | None = None, scorer: Any = None,
              intervention: Callable[[list[str]], list[str]] | None = None) -> dict[str, Any]:
    """Run every benchmark of `config` for every model; write the run folder; return the results.

    `lm_loader` (model name -> CausalLM), `scorer` and `intervention` override what the config
    names (the Python API's way to plug in other components)."""
    from srllm.energy import EnergyMeter
    from srllm.eval.interventions import load_intervention
    from srllm.eval.judges import default_judges, is_available, load_judge, parse_judges
    from srllm.eval.likelihood import CausalLM
    from srllm.eval.scorers import load_scorer
    from srllm.provenance import package_versions, run_metadata

    log = log or (lambda message: None)
    out = Path(out_dir)
    (out / "items").mkdir(parents=True, exist_ok=True)
    judge_names = parse_judges(config.judges, config.intervention)
    if config.judges == "auto" and config.intervention != "none" and not is_available("judge-classifier"):
        log("judge-classifier is not built (`make judge`); judging with " + (", ".join(judge_names) or "nothing"))
    judge_factories = {name: (lambda name=name: load_judge(name)) for name in judge_names}
    for name in judge_names:  # a named judge that cannot load fails now, with its hint, not per benchmark
        if not is_available(name):
            load_judge(name)
    if intervention is None:
        intervention = load_intervention(config.intervention)
    scorer_cache: dict[str, Any] = {"scorer": scorer}

    def get_scorer() -> Any:
        if scorer_cache["scorer"] is None:
            scorer_cache["scorer"] = load_scorer(config.scorer)
        return scorer_cache["scorer"]

    loader = lm_loader or (lambda name: CausalLM.load(name, threads=config.threads, batch_size=config.batch_size,
                                                      progress=progress))
    specs = {name: get_benchmark(name) for name in config.benchmarks}
    shared = [n for n, cls in specs.items() if not {"generate", "loglik"} & set(cls.needs)]
    per_model = [n for n in specs if n not in shared]
    jobs: list[tuple[str, str]] = [(MODEL_FREE, n) for n in shared] + [(m, n) for m in config.models for n in per_model]
    results: dict[str, dict[str, Any]] = {}
    errors: list[dict[str, str]] = []
    lms: dict[str, Any] = {}
    meter = EnergyMeter().start()
    started = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="suite", unit="benchmark")
    for model, name in jobs:
        cls = specs[name]
        options = dict(config.benchmarks[name])
        n = options.pop("n", None)
        from srllm.eval.options import build

        options = build(name, cls.Options, options)
        if config.limit is not None:
            n = min(n or config.limit, config.limit)
        ctx = Context(data_dir=Path(data_dir) if data_dir else None, n=n, seed=config.seed, options=options,
                      intervention=intervention, intervention_name=config.intervention,
                      lm_factory=(lambda m=model: lms[m] if m in lms else lms.setdefault(m, loader(m)))
                      if model != MODEL_FREE else None,
                      scorer_factory=get_scorer, scorer_name=config.scorer,
                      judge_factories=judge_factories, progress=progress)
        if bar is not None:
            bar.set_postfix_str(f"{name} / {model}")
        try:
            result = cls().run(ctx)
        except Exception as exc:  # one failing benchmark is reported, the others still run
            if isinstance(exc, (KeyboardInterrupt, MemoryError)):
                raise
            errors.append({"model": model, "benchmark": name, "error": f"{type(exc).__name__}: {exc}"})
            log(f"{name} ({model}) failed: {type(exc).__name__}: {exc}")
        else:
            results.setdefault(model, {})[name] = result.to_dict()
            items_dir = out / "items" / _slug(model)
            items_dir.mkdir(parents=True, exist_ok=True)
            with open(items_dir / f"{name}.jsonl", "w", encoding="utf-8") as handle:
                for item in result.items:
                    handle.write(json.dumps(item, default=str) + "\n")
            log(f"{name} ({model}): n={result.n} in {result.seconds:.1f} s: "
                + ", ".join(f"{k}={short(v)}" for k, v in result.metrics.items()))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    energy = meter.stop()
    data = {
        "suite": config.name,
        "config": asdict(config),
        "benchmarks": {n: cls.describe() for n, cls in specs.items()},
        "judges": {"names": judge_names, "default": default_judges(config.intervention),
                   "self_scored": [j for j in (config.scorer, *judge_names) if j in _consulted(config.intervention)]},
        "results": results,
        "errors": errors,
        "models": {m: {"name": m, **({"stats": lms[m].stats} if m in lms else {})} for m in config.models},
        "wall_s": round(time.perf_counter() - started, 2),
        "energy": energy.to_dict(),
        "metadata": {**run_metadata(), "eval_packages": package_versions(
            ("torch", "transformers", "scipy", "scikit-learn", "sacrebleu", "alt-profanity-check", "vadersentiment"))},
    }
    data["data_checksums"] = {k: v for r in results.values() for b in r.values() for k, v in b["checksums"].items()}
    (out / RESULTS_JSON).write_text(json.dumps(data, indent=2, default=_json_default), encoding="utf-8")
    from srllm.eval.report import markdown_report, write_plots

    plots = write_plots(data, out / "plots", out)
    (out / REPORT_MD).write_text(markdown_report(data, plots=[p.relative_to(out) for p in plots]), encoding="utf-8")
    return data


def _consulted(intervention: str | None) -> tuple[str, ...]:
    from srllm.eval.judges import consulted

    return consulted(intervention)


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def load_run(path: str | Path) -> dict[str, Any]:
    """The results.json of a run folder (or the file itself)."""
    path = Path(path)
    file = path / RESULTS_JSON if path.is_dir() else path
    if not file.is_file():
        raise BenchmarkError(f"{path}: no {RESULTS_JSON} (not a run folder of `srllm eval run`)")
    return json.loads(file.read_text(encoding="utf-8"))


def load_items(run_dir: str | Path, model: str, benchmark: str) -> list[dict[str, Any]]:
    path = Path(run_dir) / "items" / _slug(model) / f"{benchmark}.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def parse_names(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    return [v.strip() for v in items if v.strip()]
