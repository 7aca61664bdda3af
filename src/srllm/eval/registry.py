"""The benchmark registry: each benchmark is a class registered by name, with a version, the data
sets it loads (``srllm.data.sources`` adapters, verified by checksum), what it needs from a model,
its metrics with ``higher_is_better``, a default sample size matching the paper and a seed.

Users add benchmarks from a Python file (``load_benchmark_file``): every `Benchmark` subclass
defined in it with a `name` is registered.
"""

from __future__ import annotations

import difflib
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any, ClassVar

from srllm.eval.options import describe as describe_options

#: What a benchmark may need: continuations, rewrites (the intervention), risk scores, log-likelihoods.
NEEDS = ("generate", "rewrite", "classify", "loglik")

Intervention = Callable[[list[str]], list[str]]


class BenchmarkError(ValueError):
    """A benchmark is unknown, badly declared or badly configured."""


@dataclass
class Context:
    """What a benchmark run gets: lazily built model and scorer, the intervention, data, sizes."""

    data_dir: Path | None = None
    n: int | None = None
    seed: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    intervention: Intervention | None = None
    intervention_name: str | None = None
    lm_factory: Callable[[], Any] | None = None
    scorer_factory: Callable[[], Any] | None = None
    #: the scorer's name (to label its rates as a self-score when the intervention consults it)
    scorer_name: str | None = None
    #: judge name -> factory of the judges that score the intervention's outputs (`srllm.eval.judges`)
    judge_factories: dict[str, Callable[[], Any]] = field(default_factory=dict)
    progress: bool = False
    _lm: Any = None
    _scorer: Any = None
    _judges: dict[str, Any] = field(default_factory=dict)

    @property
    def lm(self) -> Any:
        if self._lm is None:
            if self.lm_factory is None:
                raise BenchmarkError("this benchmark needs a model, but none was given")
            self._lm = self.lm_factory()
        return self._lm

    @property
    def scorer(self) -> Any:
        if self._scorer is None:
            if self.scorer_factory is None:
                raise BenchmarkError("this benchmark needs a scorer, but none was given")
            self._scorer = self.scorer_factory()
        return self._scorer

    def judge(self, name: str) -> Any:
        if name not in self._judges:
            self._judges[name] = self.judge_factories[name]()
        return self._judges[name]

    def label(self, judge: str) -> str:
        """How reports name a judge: "(self-score)" when the intervention consults it."""
        from srllm.eval.judges import judge_label

        return judge_label(judge, self.intervention_name)

    def adapter(self, name: str, **kwargs: Any) -> Any:
        from srllm.data.sources import adapter_class

        return adapter_class(name)(self.data_dir, **kwargs)


@dataclass
class BenchmarkResult:
    """One benchmark's outcome: headline metrics, tables (name -> rows), statistics, per-item rows."""

    name: str
    version: str
    n: int
    metrics: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    checksums: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    #: CPU seconds of this process (all threads): on a shared machine a fairer cost than wall time
    cpu_s: float = 0.0

    def to_dict(self, with_items: bool = False) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("name", "version", "n", "metrics", "tables", "stats", "checksums",
                                               "config", "seconds", "cpu_s")}
        if with_items:
            out["items"] = self.items
        return out


class Benchmark:
    """Subclass, set the class attributes, implement `evaluate(ctx, n)`."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    datasets: ClassVar[tuple[str, ...]] = ()
    needs: ClassVar[tuple[str, ...]] = ()
    #: metric -> higher_is_better (None: closer to an ideal value is better, documented per metric)
    metrics: ClassVar[dict[str, bool | None]] = {}
    #: metric -> its ideal value, for metrics whose higher_is_better is None
    ideal: ClassVar[dict[str, float]] = {}
    default_n: ClassVar[int | None] = None
    seed: ClassVar[int] = 0
    #: the paper's table this benchmark fills, if any
    paper_table: ClassVar[str | None] = None
    #: the typed options (a dataclass subclass of `srllm.eval.options.Options`); None: untyped, unchecked
    Options: ClassVar[type | None] = None

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        raise NotImplementedError

    @classmethod
    def report_section(cls, model: str, result: dict[str, Any]) -> list[str]:
        """Markdown lines of this benchmark for the run's report.md (the paper's tables are written by
        `srllm.eval.report`; other benchmarks describe themselves here)."""
        return []

    def run(self, ctx: Context) -> BenchmarkResult:
        """Verify the data sets, pick the sample size (ctx.n, else the default) and evaluate."""
        n = ctx.n if ctx.n is not None else self.default_n
        if n is not None and n < 1:
            raise BenchmarkError(f"{self.name}: sample size must be positive, got {n}")
        checksums: dict[str, str] = {}
        for dataset in self.datasets:
            checksums.update(ctx.adapter(dataset).checksums())
        from srllm.eval.options import Options, UntypedOptions, build

        if not isinstance(ctx.options, (Options, UntypedOptions)):
            ctx.options = build(self.name, self.Options, dict(ctx.options))
        started, cpu = time.perf_counter(), time.process_time()
        result = self.evaluate(ctx, n)
        result.seconds = round(time.perf_counter() - started, 2)
        result.cpu_s = round(time.process_time() - cpu, 2)
        result.checksums = {**checksums, **result.checksums}
        result.config = {"n": n, "seed": ctx.seed, "options": ctx.options.to_dict(), "needs": list(self.needs),
                         "intervention": ctx.intervention_name, **result.config}
        return result

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {"name": cls.name, "version": cls.version, "description": cls.description,
                "datasets": list(cls.datasets), "needs": list(cls.needs), "metrics": dict(cls.metrics), "ideal": dict(cls.ideal),
                "default_n": cls.default_n, "seed": cls.seed, "paper_table": cls.paper_table,
                "options": describe_options(cls.Options)}


#: name -> "module:Class" under srllm.eval.benchmarks, imported lazily.
_BUILTIN: dict[str, str] = {
    "cmd-test": "cmd_test:CMDTest",
    "counterfactual": "counterfactual:Counterfactual",
    "toxigen": "toxigen:ToxiGenGeneration",
    "toxigen-rewrite": "toxigen:ToxiGenRewrite",
    "bold": "bold:BOLDGeneration",
    "stereoset": "stereoset:StereoSetIntrasentence",
    "crows-pairs": "crows_pairs:CrowSPairsLikelihood",
    "redditbias": "redditbias:RedditBiasPerplexity",
    "holisticbias": "holisticbias:HolisticBiasLikelihood",
    "functional": "functional:Functional",
    "rewrite-challenge": "rewrite_challenge:RewriteChallenge",
    "rewrite-pairs": "rewrite_pairs:RewritePairs",
    "detox": "detox:Detox",
    "rewrite-safety": "rewrite_safety:RewriteSafety",
    "classifier": "classifier:ClassifierEval",
    "judge-agreement": "judge_agreement:JudgeAgreement",
}
_USER: dict[str, type[Benchmark]] = {}


def names() -> list[str]:
    return [*_BUILTIN, *(n for n in _USER if n not in _BUILTIN)]


def _check(cls: type[Benchmark]) -> type[Benchmark]:
    where = f"benchmark {getattr(cls, 'name', cls.__name__)!r}"
    if not getattr(cls, "name", None):
        raise BenchmarkError(f"{cls.__name__}: a benchmark needs a `name`")
    bad = [need for need in cls.needs if need not in NEEDS]
    if bad:
        raise BenchmarkError(f"{where}: needs {bad} not among {list(NEEDS)}")
    if not cls.metrics:
        raise BenchmarkError(f"{where}: declares no metrics")
    vague = [m for m, h in cls.metrics.items() if h is None and m not in cls.ideal]
    if vague:
        raise BenchmarkError(f"{where}: metrics {vague} have higher_is_better None but no `ideal` value")
    if cls.default_n is not None and cls.default_n < 1:
        raise BenchmarkError(f"{where}: default_n must be positive")
    return cls


def register(cls: type[Benchmark]) -> type[Benchmark]:
    """Register a Benchmark subclass under its name (usable as a class decorator)."""
    _USER[_check(cls).name] = cls
    return cls


def get_benchmark(name: str) -> type[Benchmark]:
    """The class registered as `name`; a wrong name gets a 'did you mean'."""
    if name in _USER:
        return _USER[name]
    if name not in _BUILTIN:
        close = difflib.get_close_matches(name, names(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise BenchmarkError(f"unknown benchmark {name!r}{hint} (known: {', '.join(names())})")
    module, cls_name = _BUILTIN[name].split(":")
    return _check(getattr(import_module(f"srllm.eval.benchmarks.{module}"), cls_name))


def load_benchmark_file(path: str | Path) -> list[str]:
    """Import a Python file and register every Benchmark subclass with a `name` it defines."""
    path = Path(path)
    if not path.is_file():
        raise BenchmarkError(f"{path}: no such benchmark file")
    spec = importlib.util.spec_from_file_location(f"srllm_user_benchmark_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise BenchmarkError(f"{path}: not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # report any error in the user's file as one line naming it
        raise BenchmarkError(f"{path}: {type(exc).__name__}: {exc}") from exc
    found = [obj for obj in vars(module).values()
             if isinstance(obj, type) and issubclass(obj, Benchmark) and obj is not Benchmark
             and obj.__module__ == module.__name__ and getattr(obj, "name", None)]
    if not found:
        raise BenchmarkError(f"{path}: defines no Benchmark subclass with a `name`")
    for cls in found:
        register(cls)
    return [cls.name for cls in found]
