"""Shared fixtures: the real data directory (skipped when absent) and fixture data sets whose
checksums are registered so adapters verify them like the real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from srllm.data import registry


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    try:
        return registry.default_data_dir()
    except registry.DataSourceError as exc:
        pytest.skip(f"real data not available: {exc}")


@pytest.fixture
def fixture_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """write(files) -> data dir: writes {relative path: text or bytes} and pins their checksums."""
    pinned = dict(registry.manifest())
    monkeypatch.setattr(registry, "manifest", lambda: pinned)

    def write(files: dict[str, str | bytes]) -> Path:
        for rel, content in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            path.write_bytes(data)
            pinned[rel] = registry.FileEntry(rel, len(data), None, registry.sha256_file(path))
        return tmp_path

    return write
