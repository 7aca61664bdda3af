"""The default engine (trained classifier + safety pipeline) behind the API, the offline guard on
the packaged SmolLM2 chat model, and the `srllm serve` command line (load test included)."""

from __future__ import annotations

import importlib
import json
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from srllm.cli import main  # noqa: E402
from srllm.serve.engine import DefaultEngine, Engine, make_engine  # noqa: E402
from srllm.serve.settings import ServeSettings  # noqa: E402

UNSAFE = "You are a stupid idiot and nobody wants you here."


def _default_engine_missing() -> str | None:
    for module, name in (("srllm.classify", "load_classifier"), ("srllm.rewrite", "SafetyPipeline")):
        try:
            if not hasattr(importlib.import_module(module), name):
                return f"{module}.{name} does not exist yet"
        except ImportError as exc:
            return f"{module} is not importable yet ({exc})"
    return None


def test_engines_follow_the_protocol() -> None:
    pytest.importorskip("profanity_check")
    for name in ("default", "lite"):
        assert isinstance(make_engine(name), Engine)
    with pytest.raises(ValueError, match="unknown engine"):
        make_engine("huge")


@pytest.mark.skipif(_default_engine_missing() is not None, reason=f"default engine: {_default_engine_missing()}")
def test_default_engine_behind_the_api() -> None:
    from fastapi.testclient import TestClient

    from srllm.serve.app import create_app

    with TestClient(create_app(ServeSettings(engine="default", request_timeout_s=300), DefaultEngine())) as c:
        deadline = time.monotonic() + 600
        while (ready := c.get("/readyz")).status_code != 200:
            detail = ready.json().get("detail") or ""
            if "FileNotFoundError" in detail or "ModelNotFoundError" in detail:
                pytest.skip(f"default engine: its trained weights are not there yet ({detail})")
            assert ready.json()["status"] == "loading", ready.json()
            assert time.monotonic() < deadline
            time.sleep(0.5)
        reports = c.post("/v1/classify", json={"texts": [UNSAFE, "Have a nice day."], "explain": True}).json()
        assert reports["engine"] == "default" and len(reports["results"]) == 2
        assert set(reports["results"][0]["labels"]) == {"bias", "toxicity", "sentiment", "harm"}
        rewrite = c.post("/v1/rewrite", json={"texts": [UNSAFE]}).json()["results"][0]
        assert rewrite["decision"] in ("kept", "rewritten", "fell_back") and rewrite["output"]
        moderation = c.post("/v1/moderate", json={"input": [UNSAFE]}).json()["results"][0]
        assert isinstance(moderation["flagged"], bool)


@pytest.mark.skipif(_default_engine_missing() is not None, reason=f"default engine: {_default_engine_missing()}")
def test_default_engine_serves_the_pipeline_of_its_config() -> None:
    """--pipeline-config safety-pipeline-fast.yaml: the fast tier only (no escalation to the 1.5B model),
    one sampled retry, the loaded classifier shared with /v1/classify."""
    pytest.importorskip("transformers")
    engine = DefaultEngine(pipeline_config="safety-pipeline-fast.yaml")
    engine.load_for("rewrite")
    pipeline = engine._pipeline
    assert [tier.name for tier in pipeline.tiers] == ["fast"] and pipeline.config.candidates == 1
    assert pipeline.classifier is engine._classifier
    result = engine.rewrite([UNSAFE])[0]
    assert result.decision in ("rewritten", "fell_back") and result.tier in (None, "fast")


@pytest.mark.slow
def test_offline_guard_on_the_packaged_chat_model() -> None:
    """No upstream: the guard answers with SmolLM2-135M-Instruct (streaming and not)."""
    pytest.importorskip("transformers")
    pytest.importorskip("profanity_check")
    openai = pytest.importorskip("openai")
    from _serve import ThreadServer

    from srllm.serve.app import create_app

    with ThreadServer(create_app(ServeSettings(engine="lite", workers=0, rewrite_workers=0, chat_max_tokens=24, upstream_timeout_s=600))) as server:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="none", max_retries=0, timeout=300)
        assert [m.id for m in client.models.list()] == ["smollm2-135m-instruct"]
        messages = [{"role": "user", "content": "Write two short sentences about the sea."}]
        completion = client.chat.completions.create(model="smollm2-135m-instruct", messages=messages)
        assert completion.choices[0].message.content.strip()
        assert completion.model_extra["srllm"]["output"]["action"] in ("checked", "rewritten")
        chunks = list(client.chat.completions.create(model="smollm2-135m-instruct", messages=messages, stream=True))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text.strip()
        assert chunks[-1].model_extra["srllm"]["output"]["sentences"] >= 1


@pytest.mark.parametrize("client", ["httpx", "aiohttp"])
def test_cli_loadtest_spawns_a_server_and_reports(client: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("profanity_check")
    pytest.importorskip(client)
    out = tmp_path / "load.json"
    code = main(["serve", "loadtest", "--duration", "2", "--classify-clients", "4", "--rewrite-clients", "1",
                 "--client", client, "--out", str(out)])
    assert code == 0, capsys.readouterr()
    report = json.loads(out.read_text())
    assert report["total_errors"] == 0 and report["engine"] == "lite" and report["client"] == client
    paths = {s["path"]: s for s in report["scenarios"]}
    assert set(paths) == {"/v1/classify", "/v1/rewrite"}
    for s in paths.values():
        assert s["requests"] > 0 and s["p50_ms"] <= s["p95_ms"] and s["requests_per_s"] > 0
    assert "req/s" in capsys.readouterr().out


def test_cli_refuses_remote_load_tests_and_bad_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "loadtest", "--url", "http://192.0.2.1:8000", "--duration", "1"]) == 1
    assert "only run against loopback" in capsys.readouterr().err
    bad = tmp_path / "serve.yaml"
    bad.write_text("serve:\n  engine: enormous\n", encoding="utf-8")
    assert main(["serve", "--config", str(bad)]) == 2
    assert "engine='enormous'" in capsys.readouterr().err
