"""The real corpus build: counts, labels, contamination and byte-identical rebuilds."""

import json
from collections import Counter

import pytest

from srllm.cli import main
from srllm.data.build import BuildConfig, build_corpus
from srllm.data.contamination import EvalIndex
from srllm.data.io import read_records
from srllm.data.registry import sha256_file
from srllm.data.sources import adapters
from srllm.data.sources.base import is_implied
from srllm.taxonomy import LEVELS

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def built(real_data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    result = build_corpus(BuildConfig(data_dir=real_data_dir, out_dir=out, formats=("jsonl", "parquet")))
    return result, out


def test_every_split_has_thousands_of_rows_and_every_level(built):
    result, out = built
    for split in ("train", "dev", "test"):
        rows = read_records(out / f"{split}.jsonl")
        assert len(rows) > 5000
        for category, levels in LEVELS.items():
            assert {getattr(r, category) for r in rows} == set(levels), (split, category)
        assert {r.annotation for r in rows} == {"Benign", "Unsafe"}
    shares = Counter(r.split for r in result.records)
    total = sum(shares.values())
    assert abs(shares["train"] / total - 0.7) < 0.01 and abs(shares["test"] / total - 0.2) < 0.01


def test_human_rewrites_become_benign_variations(built):
    result, _ = built
    originals = [r for r in result.records if r.source in ("neutral_rewriter", "wnc") and r.parent_id is None]
    assert originals and all(r.benign_variation for r in originals)
    paradetox_pairs = [r for r in result.records if r.source == "paradetox" and r.parent_id is None
                       and "cannot_rewrite" not in r.id]
    assert sum(r.benign_variation is not None for r in paradetox_pairs) / len(paradetox_pairs) > 0.99
    ids = {r.id for r in result.records}
    assert all(r.parent_id in ids for r in result.records if r.parent_id)
    split_of = {r.id: r.split for r in result.records}
    assert all(split_of[r.parent_id] == r.split for r in result.records if r.parent_id)


def test_no_text_of_any_evaluation_set_is_in_the_corpus(built, real_data_dir):
    result, out = built
    index = EvalIndex()
    for name, cls in adapters("eval").items():
        index.add(name, cls(real_data_dir).texts())
    assert not any(index.record_hits(r) for r in result.records)
    manifest = json.loads((out / "manifest.json").read_text())
    assert all(row["overlapping_rows"] == 0 for row in manifest["contamination"]["after"])
    before = {row["eval_set"]: row["overlapping_rows"] for row in manifest["contamination"]["before"]}
    assert before["redditbias_pairs"] > 0  # the known leak was found and removed


def test_manifest_records_inputs_seed_and_version(built):
    _, out = built
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 13 and manifest["srllm_version"]
    assert "paradetox/paradetox.tsv" in manifest["input_checksums"]
    assert "toxigen/toxiGen_annotated_subset.json" in manifest["input_checksums"]
    assert manifest["outputs"]["train.jsonl"] == sha256_file(out / "train.jsonl")
    assert (out / "DATACARD.md").read_text().count("| synthetic:") == 30


def test_a_second_build_is_byte_identical(built, real_data_dir, tmp_path):
    _, first = built
    assert main(["data", "build", "--data-dir", str(real_data_dir), "--out", str(tmp_path), "--format", "parquet"]) == 0
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert sha256_file(first / name) == sha256_file(tmp_path / name), name


def test_build_without_data_is_a_clear_error(tmp_path, capsys):
    assert main(["data", "build", "--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "missing data file" in capsys.readouterr().err


def test_v2_sources_caps_spans_and_new_evaluation_sets(built):
    result, out = built
    manifest = json.loads((out / "manifest.json").read_text())
    checked = {row["eval_set"] for row in manifest["contamination"]["after"]}
    assert {"dynahate", "toxic_spans_test"} <= checked
    sources = Counter(r.source for r in result.records)
    assert {"edos_sexism", "implicit_hate_corpus", "sbic", "wiegand_identity_groups", "hatemoji_build", "hatexplain",
            "toxic_spans"} <= set(sources) and "implicit_hate" not in sources
    unpaired = [r for r in result.records if r.source == "davidson" and r.parent_id is None]
    assert len(unpaired) == manifest["caps"]["davidson"] and manifest["capped_rows"]["davidson"] > 0
    assert sum(bool(r.biased_spans) for r in result.records if r.source == "toxic_spans") > 0.9 * sources["toxic_spans"]
    implied = [r for r in result.records if is_implied(r)]
    assert implied and all(r.annotation == "Unsafe" for r in implied)
    by_id = {r.id: r for r in result.records}
    counter = [r for r in result.records if r.id.startswith("synthetic:counter:")]
    assert counter and all(r.annotation == "Benign" for r in counter)
    assert all(r.split == by_id[r.parent_id].split for r in counter)
    datacard = (out / "DATACARD.md").read_text()
    assert all(f"### {name}" in datacard for name in sources)
