"""Regression tests of the hostile test's HTTP findings: lone surrogates, non-string content parts,
an upstream reply without `choices`, 400 bodies that named nothing, /docs blank offline; and the
Prometheus metrics."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("profanity_check")
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from _serve import ThreadServer  # noqa: E402

from srllm.serve.app import create_app  # noqa: E402
from srllm.serve.settings import ServeSettings  # noqa: E402

LITE = {"engine": "lite", "workers": 0, "rewrite_workers": 0}
LONE = '"bad \\ud800 text"'  # JSON text with a lone surrogate


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(ServeSettings(**LITE))) as c:
        yield c


def _post_raw(client: TestClient, path: str, body: str):
    return client.post(path, content=body.encode("utf-8"), headers={"content-type": "application/json"})


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/classify", '{"texts": ["ok", %s]}' % LONE, "texts.1"),
    ("/v1/rewrite", '{"texts": [%s]}' % LONE, "texts.0"),
    ("/v1/moderate", '{"input": %s}' % LONE, "input.0"),
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": %s}]}' % LONE, "messages.0.content"),
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": [{"type": "text", "text": %s}]}]}' % LONE,
     "messages.0.content.0.text"),
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "hi"}], "user": %s}' % LONE, "user"),
])
def test_lone_surrogates_are_422_naming_the_field(client: TestClient, path: str, body: str, field: str) -> None:
    r = _post_raw(client, path, body)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["param"] == field and error["message"].startswith(f"{field}: lone surrogate U+D800")


@pytest.mark.parametrize(("part", "field"), [
    ({"type": "text", "text": 5}, "messages.0.content.0.text"),
    ({"type": "input_text", "text": ["a"]}, "messages.0.content.0.text"),
    ({"type": "refusal", "refusal": {"x": 1}}, "messages.0.content.0.refusal"),
    ({"text": "no type"}, "messages.0.content.0.type"),
])
def test_content_parts_with_non_string_text_are_422(client: TestClient, part: dict, field: str) -> None:
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": [part]}]})
    assert r.status_code == 422 and r.json()["error"]["param"] == field


def test_unparsable_bodies_name_what_is_wrong(client: TestClient) -> None:
    r = client.post("/v1/classify", content=b'{"texts": ["caf\xe9"]}', headers={"content-type": "application/json"})
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["param"] == "body" and "not valid UTF-8 at byte 15" in error["message"]
    r = _post_raw(client, "/v1/classify", "[" * 100_000 + "]" * 100_000)
    assert r.status_code in (400, 422), r.text
    error = r.json()["error"]
    assert error["param"] == "body" and "There was an error parsing the body" not in error["message"]
    r = _post_raw(client, "/v1/classify", '{"texts": ["a"],}')
    assert r.status_code == 422 and r.json()["error"]["message"].startswith("body: invalid JSON at character")
    r = client.get("/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["param"] == "path" and "/v1/nothing" in r.json()["error"]["message"]
    r = client.get("/v1/classify")
    assert r.status_code == 405 and r.json()["error"]["param"] == "method"


def _broken_upstream(reply: object) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> object:
        await request.json()
        return reply

    return app


@pytest.mark.parametrize(("reply", "field"), [
    ({"id": "x", "object": "chat.completion"}, "choices"),
    ({"choices": []}, "choices"),
    ({"choices": [{"index": 0}]}, "choices.0.message"),
    (["not", "an", "object"], "body"),
])
def test_upstream_reply_without_choices_is_502_naming_the_field(reply: object, field: str) -> None:
    with ThreadServer(_broken_upstream(reply)) as upstream:
        settings = ServeSettings(**LITE, upstream_url=upstream.url + "/v1")
        with TestClient(create_app(settings)) as c:
            r = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hello"}]})
    assert r.status_code == 502 and r.json()["error"]["param"] == field


def test_docs_work_offline(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "swagger-ui" in html.lower()
    urls = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", html)
    assert urls and not [u for u in urls if u.startswith(("http://", "https://", "//"))], urls
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get("/openapi.json").json()["info"]["title"] == "srllm"


def test_metrics_count_batches_latency_and_decisions(client: TestClient) -> None:
    client.post("/v1/classify", json={"texts": ["Have a nice day.", "You are a stupid idiot.", "אתה אידיוט מטומטם"]})
    client.post("/v1/rewrite", json={"texts": ["You are a stupid idiot."]})
    text = client.get("/metrics").text
    assert 'srllm_batch_size_count{batcher="classify"}' in text and 'srllm_queue_depth{batcher="classify"}' in text
    assert re.search(r'srllm_request_seconds_count\{endpoint="/v1/classify",status="200"\} [1-9]', text)
    for decision in ("safe", "unsafe", "not_judged"):
        assert re.search(rf'srllm_decisions_total\{{decision="{decision}",endpoint="classify"\}} [1-9]', text), decision
    assert re.search(r'srllm_decisions_total\{decision="\w+",endpoint="rewrite"\} 1', text)
    client.get("/random/path/" + "x" * 50)
    assert "/random/path" not in client.get("/metrics").text  # unknown paths share one label


def test_language_is_reported_and_not_judged_text_is_never_benign(client: TestClient) -> None:
    texts = ["אתה אידיוט מטומטם ואף אחד לא רוצה אותך כאן", "Ты тупой идиот, и никто тебя здесь не хочет.",
             "You are a stupid idiot and nobody wants you here."]
    results = client.post("/v1/classify", json={"texts": texts}).json()["results"]
    assert [(r["language"], r["judged"]) for r in results] == [("he", False), ("ru", False), ("en", True)]
    assert all(r["annotation"] == "Not judged" for r in results[:2])
    moderated = client.post("/v1/moderate", json={"input": texts[:2], "rewrite": False}).json()["results"]
    assert all(m["flagged"] and not m["judged"] for m in moderated)
    rewrite = client.post("/v1/rewrite", json={"texts": texts[:1]}).json()["results"][0]
    assert rewrite["risk_before"]["judged"] is False and rewrite["output"] == texts[0]
    assert rewrite["risk_before"]["annotation"] == "Not judged"
