"""What produced an output: package versions and the git commit, recorded in every manifest."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import srllm

TRACKED_PACKAGES = ("pandas", "pyarrow", "pydantic", "vadersentiment", "statsmodels", "matplotlib", "numpy")


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: "<commit> [dirty]" of the tree a wheel was built from (absent in a source checkout)
BUILD_COMMIT_FILE = "BUILD_COMMIT"


def git_commit(path: Path | None = None) -> dict[str, object]:
    """The commit of the repository holding `path` (default: this package) and whether it is dirty."""
    cwd = path or Path(srllm.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True, text=True, check=True
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        built = Path(srllm.__file__).resolve().parent / BUILD_COMMIT_FILE  # written into the wheel by setup.py
        if path is None and built.is_file():
            commit, _, state = built.read_text(encoding="utf-8").strip().partition(" ")
            return {"commit": commit or None, "dirty": state == "dirty"}
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def run_metadata() -> dict[str, object]:
    """srllm version, git commit, Python and package versions: deterministic for one environment."""
    return {
        "srllm_version": srllm.__version__,
        "git": git_commit(),
        "python": platform.python_version(),
        "packages": package_versions(),
    }
