"""The OpenAI-compatible guard, driven by the official `openai` client against a local server whose
upstream is a stand-in OpenAI-compatible server that answers with unsafe text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("profanity_check")
openai = pytest.importorskip("openai")

from _serve import UNSAFE_ANSWER, ThreadServer, upstream_standin  # noqa: E402

from srllm.serve.app import create_app  # noqa: E402
from srllm.serve.guard import SentenceBuffer, split_sentences  # noqa: E402
from srllm.serve.settings import ServeSettings  # noqa: E402

TOKEN = "guard-token"
UNSAFE_PROMPT = "Tell me why those idiots are so fucking stupid."


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[str, list]]:
    app, received = upstream_standin()
    with ThreadServer(app) as server:
        yield server.url + "/v1", received


def _guard(upstream_url: str, **settings) -> ThreadServer:
    return ThreadServer(create_app(ServeSettings(engine="lite", workers=0, rewrite_workers=0, upstream_url=upstream_url, token=TOKEN, **settings)))


@pytest.fixture(scope="module")
def guard(upstream) -> Iterator[str]:
    with _guard(upstream[0]) as server:
        yield server.url + "/v1"


def _client(base_url: str, key: str = TOKEN):
    return openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=30)


def test_non_streaming_rewrites_unsafe_upstream_answer(guard: str) -> None:
    raw = _client(guard).chat.completions.with_raw_response.create(
        model="standin", messages=[{"role": "user", "content": "What do you think of my neighbours?"}])
    completion = raw.parse()
    answer = completion.choices[0].message.content
    assert answer != UNSAFE_ANSWER
    assert "idiots" not in answer and "fuck" not in answer
    assert answer.startswith("Sure, here is my view.") and answer.endswith("Have a nice day!")
    report = completion.model_extra["srllm"]
    assert report["input"]["action"] == "checked" and not report["input"]["unsafe"]
    assert report["output"]["action"] == "rewritten" and report["output"]["sentences"] == 3
    (changed,) = report["output"]["changed"]
    # the report names the sentence but never repeats the unsafe original (bypass (a): an echo of it)
    assert changed["sentence"] == 1 and "original" not in changed and "idiots" not in str(report)
    assert raw.headers["x-srllm-output"] == "rewritten; changed=1/3"
    assert raw.headers["x-srllm-input"] == "checked"
    assert completion.usage.total_tokens == 25  # the upstream's body is kept


def test_streaming_rewrites_unsafe_upstream_answer(guard: str) -> None:
    stream = _client(guard).chat.completions.create(
        model="standin", stream=True, messages=[{"role": "user", "content": "What do you think of my neighbours?"}])
    pieces, extras = [], []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.model_extra.get("srllm"):
            extras.append(chunk.model_extra["srllm"])
    # one piece per checked sentence (the upstream streamed word by word)
    assert len(pieces) == 3
    assert pieces[0] == "Sure, here is my view. " and pieces[2] == "Have a nice day!"
    assert "idiots" not in pieces[1] and "fuck" not in pieces[1]
    assert extras[0]["decision"] in ("rewritten", "fell_back") and extras[0]["sentence"] == 1
    final = extras[-1]
    assert final["output"]["action"] == "rewritten" and len(final["output"]["changed"]) == 1


def test_input_policies(upstream) -> None:
    url, received = upstream
    with _guard(url, input_policy="rewrite") as server:
        n = len(received)
        raw = _client(server.url + "/v1").chat.completions.with_raw_response.create(
            model="standin", messages=[{"role": "user", "content": UNSAFE_PROMPT}])
        sent = received[n]["messages"][-1]["content"]
        assert sent != UNSAFE_PROMPT and "idiots" not in sent
        assert raw.headers["x-srllm-input"] == "rewritten"
        assert raw.parse().model_extra["srllm"]["input"]["original"] == UNSAFE_PROMPT
    with _guard(url, input_policy="block") as server:
        n = len(received)
        client = _client(server.url + "/v1")
        completion = client.chat.completions.create(model="standin",
                                                    messages=[{"role": "user", "content": UNSAFE_PROMPT}])
        assert len(received) == n  # never forwarded
        assert completion.choices[0].finish_reason == "content_filter"
        assert completion.model_extra["srllm"]["input"]["action"] == "blocked"
        chunks = list(client.chat.completions.create(model="standin", stream=True,
                                                     messages=[{"role": "user", "content": UNSAFE_PROMPT}]))
        assert chunks[-1].choices[0].finish_reason == "content_filter" and len(received) == n
    with _guard(url, input_policy="pass", output_policy="pass") as server:
        n = len(received)
        completion = _client(server.url + "/v1").chat.completions.create(
            model="standin", messages=[{"role": "user", "content": UNSAFE_PROMPT}])
        assert received[n]["messages"][-1]["content"] == UNSAFE_PROMPT
        assert completion.choices[0].message.content == UNSAFE_ANSWER
        report = completion.model_extra["srllm"]
        assert report["input"]["action"] == "passed" and report["input"]["unsafe"]
        assert report["input"]["labels"]["toxicity"] != "No"
        assert report["output"]["action"] == "passed"
    with _guard(url, output_policy="block") as server:
        completion = _client(server.url + "/v1").chat.completions.create(
            model="standin", messages=[{"role": "user", "content": "hello"}])
        assert completion.choices[0].finish_reason == "content_filter"
        assert "idiots" not in completion.choices[0].message.content


def test_models_and_unauthorised(guard: str) -> None:
    assert [m.id for m in _client(guard).models.list()] == ["standin"]
    with pytest.raises(openai.AuthenticationError):
        _client(guard, key="wrong").chat.completions.create(model="standin",
                                                            messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.UnprocessableEntityError):
        _client(guard).chat.completions.create(model="standin", messages=[])
    with pytest.raises(openai.UnprocessableEntityError, match="n=1"):
        _client(guard).chat.completions.create(model="standin", n=2, stream=True,
                                               messages=[{"role": "user", "content": "hi"}])


def test_unreachable_upstream_is_503() -> None:
    from _serve import free_port

    with _guard(f"http://127.0.0.1:{free_port()}/v1") as server:
        with pytest.raises(openai.InternalServerError) as info:
            _client(server.url + "/v1").chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}])
        assert info.value.status_code == 503


def test_sentence_splitting() -> None:
    text = "One. Two?! \"Three.\" Four\nFive... six"
    assert split_sentences(text) == ["One. ", "Two?! ", "\"Three.\" ", "Four\n", "Five... ", "six"]
    assert "".join(split_sentences(text)) == text
    buffer = SentenceBuffer()
    assert buffer.feed("Hello wor") == [] and buffer.feed("ld. How") == ["Hello world. "]
    assert buffer.feed(" are you?") == []  # a final "?" may still grow into "?!"
    assert buffer.flush() == ["How are you?"]
