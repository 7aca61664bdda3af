"""The cache folder of converted models, its metadata file, and the file lock that guards writes."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

ALLOW_DOWNLOADS_ENV = "SRLLM_ALLOW_DOWNLOADS"
CACHE_ENV = "SRLLM_CACHE"
METADATA_FILE = "srllm-model.json"
#: Bump when the conversion itself changes, so old cache folders are not reused.
CONVERSION_VERSION = 1


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
