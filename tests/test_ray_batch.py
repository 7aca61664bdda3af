"""`srllm classify --ray`: Ray Data map_batches over the same predictor on a local Ray instance
(`ray.init(num_cpus=2)`) gives the same rows and results as the single-process job, loses nothing,
and resumes by output partition."""

from __future__ import annotations

import json

import pandas as pd
import pytest

ray = pytest.importorskip("ray")

from srllm.batch import BatchInputError, run_batch  # noqa: E402
from srllm.cli import main  # noqa: E402
from srllm.processors import ClassifyProcessor  # noqa: E402
from srllm.ray_batch import MANIFEST, run_ray_batch  # noqa: E402

TEXTS = ["Have a lovely day.", "You are a stupid idiot.", "Those people are all thieves.", "The report is late."]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning")
    yield
    ray.shutdown()


@pytest.fixture
def source(tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": i, "text": f"{TEXTS[i % 4]} ({i})"}) for i in range(130)]
    lines[7] = '{"id": 7, "text": "bad \\ud800"}'
    lines[60] = "{broken"
    src.write_text("\n".join(lines) + "\n")
    return src


def _frame(folder):
    return pd.read_parquet(folder).sort_values("row").reset_index(drop=True)


def test_ray_gives_the_rows_and_results_of_the_local_job_and_resumes_by_partition(local_ray, source, tmp_path, capsys):
    processor = ClassifyProcessor(explain=False)
    run_batch(source, tmp_path / "local.jsonl", processor, batch_size=16, progress=False)
    local = pd.read_json(tmp_path / "local.jsonl", lines=True)
    out = tmp_path / "ray-out"
    argv = ["classify", "--input", str(source), "--output", str(out), "--ray", "--partition-rows", "50",
            "--batch-size", "16", "--no-explain"]
    assert main(argv) == 0
    assert "130 rows" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "part-00000.parquet", "part-00001.parquet",
                                                     "part-00002.parquet"]
    remote = _frame(out)
    assert remote["row"].tolist() == list(range(130))
    assert remote["text"].fillna("").tolist() == local["text"].fillna("").tolist()
    assert remote["unsafe"].fillna("").tolist() == local["unsafe"].fillna("").tolist()
    assert remote["unsafe_score"].fillna(-1).tolist() == pytest.approx(local["unsafe_score"].fillna(-1).tolist(), abs=1e-4)
    assert "lone surrogate" in remote.loc[7, "error"] and "broken JSON" in remote.loc[60, "error"]

    (out / "part-00001.parquet").unlink()  # as after a job killed while partition 1 was in flight
    summary = run_ray_batch(source, out, processor, partition_rows=50, batch_size=16,
                            options=processor.options())
    assert (summary.rows, summary.resumed, summary.processed) == (130, 80, 50)
    assert _frame(out).drop(columns=["spans"]).equals(remote.drop(columns=["spans"]))

    with pytest.raises(BatchInputError, match="different input or options.*--restart"):
        run_ray_batch(source, out, processor, partition_rows=25, options=processor.options())
    summary = run_ray_batch(source, out, processor, partition_rows=100, output_format="jsonl",
                            options=processor.options(), restart=True)
    assert (summary.processed, summary.resumed) == (130, 0)
    assert sorted(p.name for p in out.glob("part-*")) == ["part-00000.jsonl", "part-00001.jsonl"]
