"""Helpers for adapter tests, beside the fixtures of conftest.py (`fixture_data`, `real_data_dir`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from srllm.data import registry


def record_reads(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Record the data-dir path of every file an adapter opens through `Adapter.path`."""
    seen: set[str] = set()
    verify = registry.verify_file

    def recording(data_dir, rel, expected):
        seen.add(rel)
        return verify(data_dir, rel, expected)

    monkeypatch.setattr(registry, "verify_file", recording)
    return seen


def corrupt(path: Path) -> None:
    """Change a file's bytes and size (so no checksum cache keyed on size/mtime can hide it)."""
    path.write_bytes(path.read_bytes() + b"\ncorrupted")


def manifest_records(rels: Iterable[str]) -> int:
    """Sum of the record counts the manifest pins for `rels`."""
    return sum(registry.manifest()[rel].records for rel in rels)
