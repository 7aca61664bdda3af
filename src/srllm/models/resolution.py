"""Resolving a model name (known, local folder or .gguf, hub id) to a `ModelSpec`, offline."""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
from pathlib import Path

from srllm.model_parts import PartError, PartMissingError
from srllm.model_parts import join as join_parts
from srllm.models.cache import (
    ALLOW_DOWNLOADS_ENV,
    _cache_complete,
    _gguf_cache_path,
    cache_root,
    downloads_allowed,
    read_cache_metadata,
)
from srllm.models.registry import (
    DEFAULT_GENERATOR,
    KNOWN_MODELS,
    KnownModel,
    ModelChecksumError,
    ModelError,
    ModelKind,
    ModelNotFoundError,
    ModelSpec,
)


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
