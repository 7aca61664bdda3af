"""Quality tiers: named generators, built from config, that the safety pipeline tries in order.

A tier is a `TextRewriter` (``rewrite(texts) -> list[str]``, and for sampled retries
``candidates(texts, n, *, temperature, top_p, seed) -> list[list[str]]``) built from a `TierSpec`:
a base model, an optional LoRA adapter (``shipped``: the packaged one), whether the few-shot
demonstrations are shown, and a generation backend. ``--quality NAME`` picks the tier tried first;
a text whose rewrites all fail there escalates to each later tier before any fallback.

Backends are loaders registered by name (`register_backend`): ``transformers`` and
``transformers-int8`` (`srllm.generate.Rewriter`) are built in; another backend (e.g. llama.cpp)
registers itself with one call. A tier may list several backends in preference order (``backend:
[llama-cpp, transformers]``): the first that loads is used, and `Tier.backend` says which. A tier
none of whose backends loads is reported as unavailable with every reason, never silently skipped.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from srllm.export import MERGED_GGUF_TYPES as GGUF_TYPES  # the types a llama-cpp tier may ask for

log = logging.getLogger(__name__)

#: The shipped tiers, in escalation order (configs/safety-pipeline.yaml spells them out).
#: fast: the distilled student, the shipped LoRA adapter on SmolLM2-135M: merged into a q8_0 GGUF on
#:       llama.cpp where llama-cpp-python is installed (3x lower latency), else transformers.
#: best: the 1.5B Qwen2.5 model few-shot through the llama.cpp backend (available once that backend
#:       and the model are installed; until then the pipeline reports it unavailable and goes on).
DEFAULT_TIERS: dict[str, dict[str, Any]] = {
    "fast": {"adapter": "shipped", "backend": ["llama-cpp", "transformers"]},
    "best": {"model": "qwen2.5-coder-1.5b-instruct", "few_shot": True, "prompt": "safety", "backend": "llama-cpp"},
}
DEFAULT_QUALITY = "fast"
SHIPPED = "shipped"
#: A tier's prompt: ``paper``: the authors' system prompt (`srllm.taxonomy.SYSTEM_PROMPT`) and, with
#: few_shot, `srllm.generate.FEW_SHOT`; ``safety``: `srllm.safety_prompt` (the prompt that forbids
#: hedging, restating and replying, and its few-shot set), which the 1.5B model needs.
PROMPTS = ("paper", "safety")


class TierUnavailableError(RuntimeError):
    """A tier that cannot be built here (missing backend, model or adapter); the message says why."""


@dataclass(frozen=True)
class TierSpec:
    """One tier. model: base model (default: the adapter's, else the default generator); adapter:
    a LoRA adapter folder or ``shipped``; few_shot: show the few-shot demonstrations; prompt: one of
    `PROMPTS`; backend: a registered backend; candidates / max_new_tokens: this tier's sampled retries and generation
    limit (default: the pipeline's); gguf_type: the llama-cpp backend's merged-adapter GGUF type (q8_0, q5_0,
    q4_0, f16, f32; default q8_0)."""

    name: str
    model: str | None = None
    adapter: str | None = None
    few_shot: bool = False
    prompt: str = "paper"
    backend: str | tuple[str, ...] = "transformers"
    candidates: int | None = None
    max_new_tokens: int | None = None
    gguf_type: str | None = None

    def __post_init__(self) -> None:
        backend = (self.backend,) if isinstance(self.backend, str) else self.backend
        if (not isinstance(backend, (list, tuple)) or not backend
                or not all(isinstance(b, str) and b for b in backend)):
            raise ValueError(f"tiers.{self.name}.backend must be a backend name or a non-empty list of them, "
                             f"got {self.backend!r}")
        object.__setattr__(self, "backend", backend[0] if len(backend) == 1 else tuple(backend))
        if self.candidates is not None and (not isinstance(self.candidates, int) or self.candidates < 0):
            raise ValueError(f"tiers.{self.name}.candidates must be an integer >= 0, got {self.candidates!r}")
        if self.max_new_tokens is not None and (not isinstance(self.max_new_tokens, int) or self.max_new_tokens < 1):
            raise ValueError(f"tiers.{self.name}.max_new_tokens must be a positive integer, got {self.max_new_tokens!r}")
        if self.prompt not in PROMPTS:
            raise ValueError(f"tiers.{self.name}.prompt must be one of {list(PROMPTS)}, got {self.prompt!r}")
        if self.gguf_type is not None and self.gguf_type not in GGUF_TYPES:
            raise ValueError(f"tiers.{self.name}.gguf_type must be one of {list(GGUF_TYPES)}, got {self.gguf_type!r}")
        if not isinstance(self.few_shot, bool):
            raise ValueError(f"tiers.{self.name}.few_shot must be true or false, got {self.few_shot!r}")

    @property
    def backends(self) -> tuple[str, ...]:
        """The backends to try, in preference order."""
        return (self.backend,) if isinstance(self.backend, str) else tuple(self.backend)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "name"}
        out["backend"] = self.backend if isinstance(self.backend, str) else list(self.backend)
        return out


def parse_tiers(data: Mapping[str, Any]) -> list[TierSpec]:
    """The tiers of a config mapping ``{name: {key: value}}``, in order; errors name tier and key."""
    if not isinstance(data, Mapping) or not data:
        raise ValueError(f"tiers must be a non-empty mapping of tier name -> settings, got {data!r}")
    known = [f.name for f in fields(TierSpec) if f.name != "name"]
    specs = []
    for name, settings in data.items():
        if not isinstance(settings, Mapping):
            raise ValueError(f"tiers.{name}: expected a mapping of settings, got {type(settings).__name__}")
        unknown = sorted(set(settings) - set(known))
        if unknown:
            raise ValueError(f"tiers.{name}: unknown setting(s) {unknown}; expected some of {known}")
        specs.append(TierSpec(name=str(name), **settings))
    return specs


# --- backends ------------------------------------------------------------------------------------

#: loader(spec, options) -> TextRewriter; options: cache_dir, threads, batch_size, max_new_tokens,
#: and ``shared``, a dict the tiers of one pipeline share (to load one model once).
BackendLoader = Callable[[TierSpec, dict[str, Any]], Any]
_BACKENDS: dict[str, BackendLoader] = {}


def register_backend(name: str, loader: BackendLoader) -> None:
    """Make `name` usable as a tier's ``backend``."""
    _BACKENDS[name] = loader


def backends() -> list[str]:
    return sorted(_BACKENDS)


def _adapter(spec: TierSpec) -> str | None:
    if spec.adapter == SHIPPED:
        from srllm.rewrite.assets import default_adapter

        return str(default_adapter())
    return spec.adapter


def _prompt(spec: TierSpec) -> tuple[tuple[tuple[str, str], ...] | None, str]:
    """The tier's few-shot pairs (None without few_shot) and system prompt."""
    if spec.prompt == "safety":
        from srllm.safety_prompt import SAFETY_FEW_SHOT, SAFETY_SYSTEM_PROMPT

        return (SAFETY_FEW_SHOT if spec.few_shot else None), SAFETY_SYSTEM_PROMPT
    from srllm.generate import FEW_SHOT
    from srllm.taxonomy import SYSTEM_PROMPT

    return (FEW_SHOT if spec.few_shot else None), SYSTEM_PROMPT


def _transformers(quantize: str | None) -> BackendLoader:
    def load(spec: TierSpec, options: dict[str, Any]) -> Any:
        from srllm.generate import Rewriter

        shared = options.setdefault("shared", {})  # the tiers of one pipeline share a loaded model

        adapter = _adapter(spec)
        few_shot, system = _prompt(spec)
        key = (spec.model, adapter, quantize, str(options.get("cache_dir")))
        settings = {"batch_size": options.get("batch_size", 16), "max_new_tokens": options["max_new_tokens"],
                    "name": spec.name, "system": system}
        if key in shared:
            return shared[key].with_few_shot(few_shot, **settings)
        rewriter = Rewriter.load(spec.model, adapter=adapter, few_shot=few_shot, cache_dir=options.get("cache_dir"),
                                 threads=options.get("threads"), quantize=quantize, **settings)
        shared[key] = rewriter
        return rewriter

    return load


def _llama_cpp(spec: TierSpec, options: dict[str, Any]) -> Any:
    """A GGUF model in llama.cpp (`srllm.backends.llamacpp`): the 1.5B teacher, or an adapter's merged GGUF."""
    from srllm.backends import require_llama_cpp

    require_llama_cpp()  # a one-line hint naming the extra when llama-cpp-python is missing
    from srllm.backends.llamacpp import LlamaCppRewriter

    shared = options.setdefault("shared", {})
    adapter = _adapter(spec)
    key = ("llama-cpp", spec.model, adapter, spec.gguf_type, str(options.get("cache_dir")))
    few_shot, system = _prompt(spec)
    settings = {"max_new_tokens": options["max_new_tokens"], "name": spec.name, "system": system}
    if key in shared:
        return shared[key].with_few_shot(few_shot, **settings)
    typed = {"gguf_type": spec.gguf_type} if spec.gguf_type else {}
    rewriter = LlamaCppRewriter.load(spec.model, adapter=adapter, few_shot=few_shot, cache_dir=options.get("cache_dir"),
                                     threads=options.get("threads"), **typed, **settings)
    shared[key] = rewriter
    return rewriter


register_backend("transformers", _transformers(None))
register_backend("transformers-int8", _transformers("int8"))
register_backend("llama-cpp", _llama_cpp)


# --- tiers ---------------------------------------------------------------------------------------


class Tier:
    """A named generator, built on first use; `get()` is None when it cannot be built here, and
    `error` says why."""

    def __init__(self, spec: TierSpec, generator: Any = None, options: dict[str, Any] | None = None):
        self.spec = spec
        self.options = dict(options or {})  # a copy, but "shared" stays the same dict
        self._generator = generator
        self.error: str | None = None
        #: the backend that loaded (None until then, or for a generator passed in)
        self.backend: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def load(self) -> Any:
        """The generator from the first of the tier's backends that loads; raises
        `TierUnavailableError` with every backend's reason when none does."""
        if self._generator is not None:
            return self._generator
        if self.error is not None:
            raise TierUnavailableError(self.error)
        reasons = []
        for backend in self.spec.backends:
            loader = _BACKENDS.get(backend)
            try:
                if loader is None:
                    raise TierUnavailableError(f"backend {backend!r} is not installed (available: {backends()})")
                self._generator = loader(self.spec, self.options)
                self.backend = backend
                if reasons:  # a preferred backend failed: say so, never fall back silently
                    log.warning("tier %r runs on %s: %s", self.name, backend, "; ".join(reasons))
                return self._generator
            except TierUnavailableError as exc:
                reasons.append(str(exc))
            except (OSError, ImportError, ValueError, LookupError, RuntimeError) as exc:  # ModelError, AssetMissingError
                reasons.append(f"{self.spec.model or 'default model'}, {backend}: {exc}")
        self.error = f"tier {self.name!r}: " + "; ".join(reasons)
        raise TierUnavailableError(self.error)

    def get(self) -> Any:
        try:
            return self.load()
        except TierUnavailableError:
            return None


def build_tiers(specs: list[TierSpec], quality: str, *, cache_dir: str | os.PathLike[str] | None = None,
                threads: int | None = None, batch_size: int = 16, max_new_tokens: int = 96) -> list[Tier]:
    """The tiers from `quality` onwards (escalation order), unloaded."""
    names = [s.name for s in specs]
    if quality not in names:
        raise ValueError(f"quality {quality!r} is not one of the configured tiers {names}")
    shared: dict[Any, Any] = {}
    options = {"cache_dir": cache_dir, "threads": threads, "batch_size": batch_size, "shared": shared}
    return [Tier(s, options=options | {"max_new_tokens": s.max_new_tokens or max_new_tokens})
            for s in specs[names.index(quality):]]
