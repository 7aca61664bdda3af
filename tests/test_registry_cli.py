"""Download with checksum verification (over file:// URLs: no network) and the data CLI listings."""

import json

import pytest

from srllm.cli import main
from srllm.data import registry
from srllm.data.registry import DatasetSpec, DataSourceError, download


def spec_for(url: str) -> DatasetSpec:
    return DatasetSpec(name="toy", folder="toy", role="eval", title="t", citation="c", license="MIT",
                       homepage="https://example.org", files={"toy/data.txt": url})


def test_download_verifies_and_is_idempotent(fixture_data, tmp_path):
    upstream = fixture_data({"toy/data.txt": "hello\n"}) / "toy" / "data.txt"
    target_dir = tmp_path / "fetched"
    [path] = list(download(spec_for(upstream.as_uri()), target_dir))
    assert path.read_text() == "hello\n"
    mtime = path.stat().st_mtime_ns
    assert list(download(spec_for(upstream.as_uri()), target_dir)) == [path]  # verified copy is kept
    assert path.stat().st_mtime_ns == mtime


def test_download_rejects_a_wrong_checksum_and_keeps_nothing(fixture_data, tmp_path):
    upstream = fixture_data({"toy/data.txt": "hello\n"}) / "toy" / "data.txt"
    upstream.write_text("tampered\n")
    target_dir = tmp_path / "fetched"
    with pytest.raises(DataSourceError, match="does not match the pinned"):
        list(download(spec_for(upstream.as_uri()), target_dir))
    assert not [p for p in target_dir.rglob("*") if p.is_file()]


def test_schema_command_prints_json_schema(capsys):
    assert main(["data", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["toxicity"]["enum"] == ["No", "Mild", "High"]
    assert "annotation" in schema["required"]


def test_sources_command_lists_every_data_set(real_data_dir, capsys):
    assert main(["data", "sources", "--data-dir", str(real_data_dir)]) == 0
    out = capsys.readouterr().out
    for name in ("paradetox", "toxigen", "holistic_bias", "babe"):
        assert f"| {name} |" in out
    assert "FAILED" not in out


def test_data_dir_from_environment_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv(registry.ENV_DATA_DIR, str(tmp_path / "absent"))
    with pytest.raises(DataSourceError, match="is not a directory"):
        registry.default_data_dir()
