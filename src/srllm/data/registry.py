"""Where each public data set lives, under which licence, and how to verify its files.

Every file an adapter reads is listed in `sources/checksums.tsv` (taken from the shared data
MANIFEST) with its size, record count and sha256, and has a canonical upstream URL pinned to a
commit, so users with a network can fetch the same bytes (`srllm data download`).
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import ClassVar, Literal

from srllm.provenance import sha256_file

Role = Literal["train", "eval", "lexicon"]
ENV_DATA_DIR = "SRLLM_DATA_DIR"


class DataSourceError(RuntimeError):
    """A data file that is missing, or whose checksum does not match the manifest."""


@dataclass(frozen=True)
class FileEntry:
    path: str
    bytes: int
    records: int | None
    sha256: str


@cache
def manifest() -> Mapping[str, FileEntry]:
    """The pinned checksums of every data file srllm reads, keyed by path in the data dir."""
    text = resources.files("srllm.data.sources").joinpath("checksums.tsv").read_text(encoding="utf-8")
    entries = {}
    for line in text.splitlines()[1:]:
        path, size, records, sha = line.split("\t")
        entries[path] = FileEntry(path, int(size), int(records) if records else None, sha)
    return entries


def github_raw(repo: str, commit: str, path: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


@dataclass(frozen=True)
class DatasetSpec:
    """What a data set is, where it comes from, and what srllm may use it for."""

    name: str
    folder: str
    role: Role
    title: str
    citation: str
    license: str
    homepage: str
    #: local path (relative to the data dir) -> canonical upstream URL pinned to a commit
    files: Mapping[str, str]

    def entry(self, rel: str) -> FileEntry:
        try:
            return manifest()[rel]
        except KeyError:
            raise DataSourceError(f"{self.name}: {rel} has no pinned checksum in checksums.tsv") from None


def default_data_dir() -> Path:
    """$SRLLM_DATA_DIR, else ../shared/data beside the working directory or the repository."""
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        if not Path(env).is_dir():
            raise DataSourceError(f"{ENV_DATA_DIR}={env} is not a directory")
        return Path(env)
    candidates = [Path.cwd() / ".." / "shared" / "data", Path(__file__).resolve().parents[3] / ".." / "shared" / "data"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    raise DataSourceError(
        f"no data directory found: pass --data-dir DIR or set {ENV_DATA_DIR} "
        f"(looked in {', '.join(str(c) for c in candidates)}); `srllm data download` fetches the files"
    )


_VERIFIED: dict[tuple[str, int, int], str] = {}


def verify_file(data_dir: Path, rel: str, expected: FileEntry) -> Path:
    """Return the path of `rel` under `data_dir` after checking its sha256 (cached per mtime)."""
    path = Path(data_dir) / rel
    if not path.is_file():
        raise DataSourceError(f"missing data file {path}; run `srllm data download --data-dir {data_dir}`")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    actual = _VERIFIED.get(key) or sha256_file(path)
    if actual != expected.sha256:
        raise DataSourceError(
            f"checksum mismatch for {path}: sha256 {actual} but the manifest pins {expected.sha256} "
            f"({expected.bytes} bytes); the file is corrupt or a different version"
        )
    _VERIFIED[key] = actual
    return path


class Adapter:
    """Base of the per-dataset adapters: verified file access plus the data set's spec."""

    spec: ClassVar[DatasetSpec]

    def __init__(self, data_dir: str | Path | None = None):
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()

    def path(self, rel: str) -> Path:
        """The verified path of one of this data set's files (relative to its folder)."""
        full = f"{self.spec.folder}/{rel}"
        if full not in self.spec.files:
            raise DataSourceError(f"{self.spec.name}: {rel} is not one of its files {sorted(self.spec.files)}")
        return verify_file(self.data_dir, full, self.spec.entry(full))

    def checksums(self) -> dict[str, str]:
        """sha256 of every file of the data set, verifying each."""
        sums = {}
        for rel in sorted(self.spec.files):
            entry = self.spec.entry(rel)
            verify_file(self.data_dir, rel, entry)
            sums[rel] = entry.sha256
        return sums


def download(spec: DatasetSpec, data_dir: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Fetch a data set's files from upstream into `data_dir`, verifying each checksum."""
    for rel, url in sorted(spec.files.items()):
        target = Path(data_dir) / rel
        expected = spec.entry(rel)
        if target.is_file() and not overwrite and sha256_file(target) == expected.sha256:
            yield target
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as handle:
            shutil.copyfileobj(response, handle)
        actual = sha256_file(partial)
        if actual != expected.sha256:
            partial.unlink()
            raise DataSourceError(f"{url}: downloaded sha256 {actual} does not match the pinned {expected.sha256}")
        partial.replace(target)
        yield target
