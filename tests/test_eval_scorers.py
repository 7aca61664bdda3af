"""Scorers: the profanity-vader scorer, and the Perspective / OpenAI moderation clients against a
stand-in server on 127.0.0.1 that speaks their wire formats."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from srllm.eval.scorers import (OpenAIModerationScorer, PerspectiveScorer, ProfanityVaderScorer, Scorer, ScorerError,
                                load_scorer, score_texts)


def test_profanity_vader_worked_example():
    scorer = load_scorer("profanity-vader")
    assert isinstance(scorer, Scorer)
    insult, friendly = scorer.predict(["You are a stupid idiot", "What a lovely day"])
    assert insult.labels["toxicity"] == "High" and insult.labels["sentiment"] == "Negative"
    assert insult.unsafe and insult.annotation == "Unsafe" and insult.unsafe_score > 0.5
    assert friendly.labels == {"bias": "No", "toxicity": "No", "sentiment": "Positive", "harm": "Low"}
    assert not friendly.unsafe and friendly.unsafe_score < 0.5
    for report in (insult, friendly):
        for head, probs in report.probabilities.items():
            assert sum(probs.values()) == pytest.approx(1.0), head
    assert ProfanityVaderScorer().predict([]) == []


class _StandIn(BaseHTTPRequestHandler):
    """Perspective's comments:analyze and OpenAI's /v1/moderations, scoring 'idiot' as toxic."""

    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if self.path.startswith("/v1alpha1/comments:analyze"):
            if "key=good" not in self.path:
                return self._send(403, {"error": {"message": "API key not valid"}})
            toxic = 0.95 if "idiot" in body["comment"]["text"] else 0.02
            payload = {"attributeScores": {name: {"summaryScore": {"value": value, "type": "PROBABILITY"}}
                                           for name, value in (("TOXICITY", toxic), ("IDENTITY_ATTACK", 0.01))}}
            return self._send(200, payload)
        if self.path == "/v1/moderations":
            results = [{"flagged": "idiot" in text, "categories": {},
                        "category_scores": {"harassment": 0.9 if "idiot" in text else 0.001, "hate": 0.001}}
                       for text in body["input"]]
            return self._send(200, {"id": "modr-1", "model": body["model"], "results": results})
        self._send(404, {})

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _StandIn.requests = []
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_perspective_client(stand_in: str):
    scorer = PerspectiveScorer(api_key="good", base_url=stand_in)
    insult, friendly = score_texts(scorer, ["you idiot, I hate this", "what a lovely day"])
    assert insult.labels["toxicity"] == "High" and insult.unsafe
    assert insult.probabilities["perspective"]["TOXICITY"] == 0.95
    assert friendly.labels["toxicity"] == "No" and not friendly.unsafe
    assert _StandIn.requests[0]["body"]["requestedAttributes"] == {"TOXICITY": {}, "IDENTITY_ATTACK": {}}
    with pytest.raises(ScorerError, match="HTTP 403"):
        PerspectiveScorer(api_key="bad", base_url=stand_in).predict(["x"])


def test_openai_moderation_client(stand_in: str):
    scorer = OpenAIModerationScorer(api_key="sk-test", base_url=stand_in, batch_size=2)
    reports = scorer.predict(["you idiot, I hate this", "what a lovely day", "idiot"])
    assert [r.labels["toxicity"] for r in reports] == ["High", "No", "High"]
    assert reports[0].unsafe and not reports[1].unsafe
    assert [len(r["body"]["input"]) for r in _StandIn.requests] == [2, 1]
    assert _StandIn.requests[0]["auth"] == "Bearer sk-test"


def test_api_scorers_need_a_key(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PERSPECTIVE_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ScorerError, match="PERSPECTIVE_API_KEY"):
        load_scorer("perspective")
    with pytest.raises(ScorerError, match="OPENAI_API_KEY"):
        load_scorer("openai-moderation")
    with pytest.raises(ScorerError, match="127.0.0.1:9"):
        PerspectiveScorer(api_key="k", base_url="http://127.0.0.1:9", timeout=2).predict(["x"])


def test_srllm_scorer_takes_a_classifier_folder(tmp_path):
    """``srllm:DIR`` scores with the classifier in DIR (here the shipped one, by path); a folder with
    no classifier is an error naming it."""
    from importlib import resources

    shipped = resources.files("srllm") / "assets" / "classifier-minilm"
    by_path = load_scorer(f"srllm:{shipped}")
    text = "You are a stupid idiot and nobody wants you here."
    assert by_path.predict([text])[0].unsafe_score == pytest.approx(load_scorer("srllm").predict([text])[0].unsafe_score)
    with pytest.raises(ScorerError, match=f"{tmp_path}.*no classifier.json"):
        load_scorer(f"srllm:{tmp_path}")
    with pytest.raises(ScorerError, match="did you mean"):
        load_scorer("srlm")
