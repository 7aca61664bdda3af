"""The moderation API on the lite engine: every endpoint, and oversized, malformed, unauthorised,
slow and overloaded requests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("profanity_check")

from fastapi.testclient import TestClient  # noqa: E402

from srllm.serve.app import create_app  # noqa: E402
from srllm.serve.lite import LiteEngine  # noqa: E402
from srllm.serve.settings import ServeSettings  # noqa: E402

UNSAFE = "You are a stupid idiot and nobody wants you here."
SAFE = "Have a lovely day, and thanks for the help with the garden."
CATEGORIES = {"bias", "toxicity", "sentiment", "harm"}


def _client(settings: ServeSettings, engine=None) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine)) as client:
        deadline = time.monotonic() + 30
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, client.get("/readyz").json()
            time.sleep(0.05)
        yield client


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    yield from _client(ServeSettings(engine="lite", workers=0, rewrite_workers=0, max_texts=8, max_text_chars=500, max_message_chars=10_000,
                                     max_body_bytes=20_000))


@pytest.fixture(scope="module")
def token_client() -> Iterator[TestClient]:
    yield from _client(ServeSettings(engine="lite", workers=0, rewrite_workers=0, token="s3cret"))


class SlowLite(LiteEngine):
    """The lite engine with a fixed delay per batch (to exercise timeouts and queueing)."""

    def __init__(self, delay_s: float):
        super().__init__()
        self.delay_s = delay_s

    def classify(self, texts, explain=False):
        time.sleep(self.delay_s)
        return super().classify(texts, explain)


# --- health, docs, page ------------------------------------------------------------------------


def test_health_ready_docs_and_page(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "engine": None, "detail": None}
    assert client.get("/readyz").json()["status"] == "ready"
    schema = client.get("/openapi.json").json()
    for path in ("/v1/classify", "/v1/rewrite", "/v1/moderate", "/v1/chat/completions", "/v1/models"):
        assert path in schema["paths"]
    assert "ClassifyRequest" in schema["components"]["schemas"]
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<script" in page.text and "http" not in page.text.split("<script")[0].replace('href="data:,"', "")


def test_lazy_loading_without_preload() -> None:
    with TestClient(create_app(ServeSettings(engine="lite", workers=0, rewrite_workers=0, preload=False))) as c:
        assert c.get("/readyz").json()["status"] == "lazy"
        assert c.post("/v1/classify", json={"texts": [SAFE]}).status_code == 200
        assert c.get("/readyz").json()["status"] == "ready"


def test_readyz_reports_a_failed_load() -> None:
    class Broken(LiteEngine):
        def load(self) -> None:
            raise RuntimeError("weights missing")

    with TestClient(create_app(ServeSettings(engine="lite", workers=0, rewrite_workers=0), Broken())) as c:
        deadline = time.monotonic() + 10
        while c.get("/readyz").json()["status"] == "loading" and time.monotonic() < deadline:
            time.sleep(0.05)
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "weights missing" in ready.json()["detail"]
        r = c.post("/v1/classify", json={"texts": [SAFE]})
        assert r.status_code == 503 and r.json()["error"]["code"] == "engine_unavailable"


# --- the three moderation endpoints ------------------------------------------------------------


def test_classify(client: TestClient) -> None:
    r = client.post("/v1/classify", json={"texts": [UNSAFE, SAFE], "explain": True})
    assert r.status_code == 200
    body = r.json()
    assert body["engine"] == "lite"
    bad, good = body["results"]
    assert set(bad["labels"]) == CATEGORIES and bad["unsafe"] and not good["unsafe"]
    assert bad["unsafe_score"] > good["unsafe_score"]
    for report in (bad, good):
        for head, probs in report["probabilities"].items():
            assert sum(probs.values()) == pytest.approx(1.0, abs=1e-4), head
    assert {s["text"] for s in bad["spans"]} >= {"stupid", "idiot"}
    for span in bad["spans"]:
        assert UNSAFE[span["start"]:span["end"]] == span["text"]


def test_rewrite(client: TestClient) -> None:
    r = client.post("/v1/rewrite", json={"texts": [UNSAFE, SAFE]})
    assert r.status_code == 200
    bad, good = r.json()["results"]
    assert bad["decision"] in ("rewritten", "fell_back") and bad["output"] != UNSAFE
    assert bad["risk_before"]["unsafe"] and (bad["decision"] == "fell_back" or not bad["risk_after"]["unsafe"])
    assert "idiot" not in bad["output"]
    assert good == {**good, "decision": "kept", "output": SAFE}


def test_moderate_single_and_batch(client: TestClient) -> None:
    one = client.post("/v1/moderate", json={"input": UNSAFE}).json()
    assert one["id"].startswith("modr-") and len(one["results"]) == 1
    result = one["results"][0]
    assert result["flagged"] and result["categories"]["unsafe"] and result["rewrite"]["output"] != UNSAFE
    assert set(result["category_scores"]) == {"bias", "toxicity", "harm", "negative_sentiment", "unsafe"}
    batch = client.post("/v1/moderate", json={"input": [UNSAFE, SAFE], "rewrite": False}).json()["results"]
    assert [r["flagged"] for r in batch] == [True, False]
    assert batch[0]["rewrite"] is None and batch[1]["rewrite"] is None


# --- bad requests ------------------------------------------------------------------------------


def test_oversized_bodies_get_413(client: TestClient) -> None:
    big = {"texts": ["a" * 30_000]}
    r = client.post("/v1/classify", json=big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"

    def chunks():  # no Content-Length: the limit applies to the streamed body too
        for _ in range(30):
            yield b"x" * 1000

    r = client.post("/v1/classify", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"texts": "not a list"}, "texts"),
        ({"texts": [1, "ok"]}, "texts.0"),
        ({"texts": []}, "texts"),
        ({}, "texts"),
        ({"texts": ["ok"], "explain": "maybe"}, "explain"),
        ({"texts": ["ok"], "colour": "red"}, "colour"),
        ({"texts": ["ok"] * 9}, "texts"),
        ({"texts": ["ok", "x" * 501]}, "texts.1"),
    ],
)
def test_invalid_classify_requests_name_the_field(client: TestClient, body: dict, field: str) -> None:
    r = client.post("/v1/classify", json=body)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["param"] == field and error["message"].startswith(f"{field}: ")


def test_malformed_json_and_other_endpoints(client: TestClient) -> None:
    r = client.post("/v1/classify", content=b'{"texts": [', headers={"content-type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["error"]["message"]
    assert client.post("/v1/rewrite", json={"texts": [None]}).json()["error"]["param"] == "texts.0"
    r = client.post("/v1/moderate", json={"input": []})
    assert r.status_code == 422 and r.json()["error"]["param"] == "input"
    r = client.post("/v1/moderate", json={"input": "x" * 501})
    assert r.status_code == 422 and r.json()["error"]["param"] == "input.0"
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "wizard", "content": "hi"}]})
    assert r.status_code == 422 and r.json()["error"]["param"] == "messages.0.role"
    long = {"messages": [{"role": "user", "content": [{"type": "text", "text": "x" * 15_000}]}]}
    r = client.post("/v1/chat/completions", json=long)
    assert r.status_code == 422 and r.json()["error"]["param"] == "messages.0.content"
    assert client.get("/v1/nothing").status_code == 404


@pytest.mark.parametrize("path", ["/v1/classify", "/v1/rewrite", "/v1/moderate", "/v1/models", "/v1/chat/completions"])
def test_unauthorised(token_client: TestClient, path: str) -> None:
    method = token_client.get if path == "/v1/models" else token_client.post
    body = {} if path == "/v1/models" else {"json": {"texts": [SAFE], "input": SAFE}}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic czNjcmV0"}):
        r = method(path, headers=headers, **body)
        assert r.status_code == 401, (path, headers)
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["code"] == "invalid_api_key"
    assert token_client.get("/healthz").status_code == 200  # probes stay open


def test_authorised(token_client: TestClient) -> None:
    ok = {"Authorization": "Bearer s3cret"}
    assert token_client.post("/v1/classify", json={"texts": [SAFE]}, headers=ok).status_code == 200
    assert token_client.post("/v1/moderate", json={"input": SAFE}, headers=ok).status_code == 200


# --- timeouts, queueing, batching ---------------------------------------------------------------


def test_slow_work_times_out_with_408() -> None:
    settings = ServeSettings(engine="lite", workers=0, rewrite_workers=0, request_timeout_s=0.2)
    for c in _client(settings, SlowLite(1.0)):
        r = c.post("/v1/classify", json={"texts": [SAFE]})
        assert r.status_code == 408 and r.json()["error"]["code"] == "timeout"


def test_full_queue_gets_503_and_batches_form() -> None:
    import httpx

    settings = ServeSettings(engine="lite", workers=0, rewrite_workers=0, max_queue=4, batch_size=4, request_timeout_s=10)
    app = create_app(settings, SlowLite(0.3))

    async def scenario() -> tuple[list[int], int, float]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                while (await c.get("/readyz")).status_code != 200:
                    await asyncio.sleep(0.05)
                tasks = [asyncio.create_task(c.post("/v1/classify", json={"texts": [SAFE]})) for _ in range(12)]
                await asyncio.sleep(0.1)
                t0 = time.perf_counter()
                health = await c.get("/healthz")  # the event loop answers while the model thread works
                health_s = time.perf_counter() - t0
                assert health.status_code == 200
                codes = [r.status_code for r in await asyncio.gather(*tasks)]
                return codes, app.state.service.classifier.stats["max_batch_seen"], health_s

    codes, max_batch, health_s = asyncio.run(scenario())
    assert set(codes) == {200, 503}, codes
    assert codes.count(200) >= 4 and max_batch > 1
    assert health_s < 0.25


# --- settings ------------------------------------------------------------------------------------


def test_settings_yaml_env_and_overrides(tmp_path: Path) -> None:
    config = tmp_path / "serve.yaml"
    config.write_text("serve:\n  port: 9100\n  engine: lite\n  max_texts: 3\n  input_policy: block\n", encoding="utf-8")
    env = {"SRLLM_SERVE_MAX_TEXTS": "5", "SRLLM_SERVE_PRELOAD": "false", "SRLLM_SERVE_TOKEN": "t"}
    s = ServeSettings.load(config, env=env, port=9200)
    assert (s.port, s.max_texts, s.preload, s.input_policy, s.token) == (9200, 5, False, "block", "t")
    assert s.public()["token"] == "set"
    shipped = ServeSettings.load(Path(__file__).resolve().parents[1] / "configs" / "serve.yaml", env={})
    assert shipped == ServeSettings()  # the example file documents the defaults
    with pytest.raises(ValueError, match="input_policy='maybe'"):
        ServeSettings.load(env={"SRLLM_SERVE_INPUT_POLICY": "maybe"})
    with pytest.raises(ValueError, match="max_texts='many': expected an integer"):
        ServeSettings.load(env={"SRLLM_SERVE_MAX_TEXTS": "many"})
    with pytest.raises(ValueError, match="unknown serve setting 'colour'"):
        ServeSettings.load(colour="red")


def test_pipeline_config_setting_is_checked_at_start(tmp_path: Path) -> None:
    assert ServeSettings(pipeline_config="safety-pipeline-fast.yaml").pipeline_config == "safety-pipeline-fast.yaml"
    bad = tmp_path / "pipeline.yaml"
    bad.write_text("quality: fast\ncandidtes: 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"pipeline_config: .*pipeline.yaml: unknown pipeline setting\(s\) \['candidtes'\]"):
        ServeSettings(pipeline_config=str(bad))
    with pytest.raises(ValueError, match="pipeline_config: nope.yaml: no such pipeline config file"):
        ServeSettings.load(env={"SRLLM_SERVE_PIPELINE_CONFIG": "nope.yaml"})
