"""The HTTP fuzz at a small size (`make fuzz-http` runs 10,000 requests), its checker, and the model
worker processes: concurrent requests batched into one forward pass, seen in /metrics."""

from __future__ import annotations

import asyncio
import re

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("profanity_check")

from srllm.serve.fuzz import check, requests, run_fuzz  # noqa: E402


def test_requests_cover_every_endpoint_and_are_reproducible() -> None:
    sample = list(requests(1000, seed=3))
    assert sample == list(requests(1000, seed=3))
    paths = {path for _, path, _, _ in sample}
    assert {"/v1/classify", "/v1/rewrite", "/v1/moderate", "/v1/chat/completions", "/v1/models"} <= paths
    bodies = [body for *_, body in sample]
    assert any(b"\\ud800" in b for b in bodies) and any(b.startswith(b"[[[[") for b in bodies)
    assert any(not _utf8(b) for b in bodies)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def test_checker() -> None:
    assert check(200, "{}") is None
    assert check(422, '{"error": {"param": "texts.0", "message": "texts.0: bad"}}') is None
    assert check(500, "oops") is not None
    assert check(400, '{"detail": "There was an error parsing the body"}') is not None
    assert check(422, '{"error": {"param": null, "message": "bad"}}') is not None


def test_small_fuzz_finds_no_5xx_no_unnamed_4xx_no_traceback(tmp_path) -> None:
    env = {"SRLLM_SERVE_WORKERS": "0", "SRLLM_SERVE_REWRITE_WORKERS": "0"}  # the models in the server: faster start
    report = run_fuzz(200, seed=1, concurrency=4, log_path=tmp_path / "server.log", env=env)
    assert report.requests == sum(report.statuses.values()) == 200
    assert report.ok, report.samples
    assert report.statuses.get("200", 0) > 10 and report.statuses.get("422", 0) > 60


def test_worker_processes_batch_concurrent_requests() -> None:
    import httpx

    from srllm.serve.app import create_app
    from srllm.serve.settings import ServeSettings

    app = create_app(ServeSettings(engine="lite", workers=1, rewrite_workers=0, batch_wait_ms=20))

    async def scenario() -> tuple[list[int], str]:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                while (await c.get("/readyz")).status_code != 200:
                    await asyncio.sleep(0.1)
                texts = [f"text number {i}, you idiot" for i in range(40)]
                answers = await asyncio.gather(*(c.post("/v1/classify", json={"texts": [t]}) for t in texts))
                assert [a.json()["results"][0]["text"] for a in answers] == texts  # each gets its own result
                rewrite = await c.post("/v1/rewrite", json={"texts": ["You are a stupid idiot."]})
                return [a.status_code for a in answers] + [rewrite.status_code], (await c.get("/metrics")).text

    codes, metrics = asyncio.run(scenario())
    assert set(codes) == {200}
    batches = float(re.search(r'srllm_batch_size_count\{batcher="classify"\} (\S+)', metrics).group(1))
    items = float(re.search(r'srllm_batch_size_sum\{batcher="classify"\} (\S+)', metrics).group(1))
    assert items == 40 and batches < 40  # concurrent requests shared forward passes
    assert re.search(r'srllm_batch_size_count\{batcher="rewrite"\} [1-9]', metrics)
