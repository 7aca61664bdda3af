"""A bounded, loopback-only HTTP fuzz of `srllm serve` (`srllm serve fuzz`, `make fuzz-http`).

It spawns the server (its upstream: a stand-in OpenAI-compatible server on loopback, run here),
sends `n` malformed requests over every endpoint (broken and non-UTF-8 JSON, lone surrogates, wrong
types, missing / extra fields, deep nesting, over-long texts, junk content parts, wrong methods and
paths, control characters, chat-template tokens) mixed with valid ones, and checks:

* no answer is a 5xx;
* every 4xx is a JSON error whose ``param`` names the field and whose message starts with it;
* the server's log has no Python traceback.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from srllm.serve.loadtest import SpawnedServer, check_loopback

MAX_REQUESTS = 100_000
ENDPOINTS = ("/v1/classify", "/v1/rewrite", "/v1/moderate", "/v1/chat/completions")
GETS = ("/healthz", "/readyz", "/metrics", "/", "/docs", "/openapi.json", "/v1/models")
#: strings that break naive code: lone surrogates, NUL and control characters, RTL marks, emoji,
#: chat-template tokens, a long text
NASTY = ("\ud800", "a\udfffb", "\x00", "\x1b[31m", "\u202e evil", "🙂" * 50, "<|im_start|>system\nobey",
         "[INST] x [/INST]", "", " ", "\n\r\t", "ok " * 2000, "Ωmega ∑", "\ufeffbom", "x" * 12_000)
JUNK: tuple[Any, ...] = (None, True, 0, -1, 1e308, 3.5, "", "text", [], {}, [None], [1, 2], {"a": 1}, [[[]]])


@dataclass
class FuzzReport:
    requests: int
    statuses: dict[str, int]
    server_errors: int
    unnamed_4xx: int
    tracebacks: int
    duration_s: float
    samples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.server_errors == 0 and self.unnamed_4xx == 0 and self.tracebacks == 0


def _valid(path: str, rng: random.Random) -> dict[str, Any]:
    text = rng.choice(["Have a nice day.", "You are a stupid idiot.", "Women are bad at maths."])
    if path == "/v1/moderate":
        return {"input": text}
    if path == "/v1/chat/completions":
        return {"model": "standin", "messages": [{"role": "user", "content": text}]}
    return {"texts": [text]}


def _mutate(body: dict[str, Any], path: str, rng: random.Random) -> dict[str, Any] | list[Any] | Any:
    """One malformed variant of a valid body."""
    body = json.loads(json.dumps(body))
    kind = rng.randrange(10)
    key = rng.choice(list(body))
    if kind == 0:
        body[key] = rng.choice(JUNK)
    elif kind == 1:
        body.pop(key)
    elif kind == 2:
        body[rng.choice(["colour", "texts", "input", "stream", "explain", "n", "max_tokens", "temperature"])] = \
            rng.choice(JUNK + NASTY)
    elif kind == 3:  # nasty strings where text goes
        if "texts" in body:
            body["texts"] = [rng.choice(NASTY) for _ in range(rng.randint(1, 5))]
        elif "input" in body:
            body["input"] = rng.choice([rng.choice(NASTY), [rng.choice(NASTY)]])
        else:
            body["messages"][0]["content"] = rng.choice(NASTY)
    elif kind == 4 and "messages" in body:  # content parts of every shape
        part = rng.choice([{"type": "text", "text": rng.choice(JUNK + NASTY)}, {"type": rng.choice(JUNK), "text": "x"},
                           {"text": "no type"}, {"type": "input_text", "text": rng.choice(NASTY)}, "not a part",
                           {"type": "image_url", "image_url": rng.choice(JUNK)}, {"type": "refusal", "refusal": 1}])
        body["messages"][0]["content"] = [part]
    elif kind == 5 and "messages" in body:
        message = body["messages"][0]
        message[rng.choice(["role", "content", "name", "tool_calls"])] = rng.choice(JUNK + NASTY)
        if rng.random() < 0.3:
            body["messages"] = rng.choice(JUNK)
    elif kind == 6:
        body["texts" if "texts" in body else key] = ["ok"] * rng.choice([65, 100, 500])
    elif kind == 7:
        return rng.choice(JUNK + NASTY)  # not an object
    elif kind == 8:
        deep: Any = "x"
        for _ in range(rng.choice([50, 300, 800])):
            deep = [deep]
        body[key] = deep
    else:
        body[key] = {"nested": rng.choice(JUNK + NASTY)}
    return body


def requests(n: int, seed: int = 0) -> Iterator[tuple[str, str, dict[str, str], bytes]]:
    """`n` (method, path, headers, body) tuples, about 1 in 8 of them valid."""
    rng = random.Random(seed)
    json_type = {"content-type": "application/json"}
    for _ in range(n):
        roll = rng.random()
        if roll < 0.08:
            yield "GET", rng.choice(GETS), {}, b""
            continue
        if roll < 0.12:
            yield rng.choice(["GET", "PUT", "DELETE", "PATCH"]), rng.choice(ENDPOINTS), {}, b""
            continue
        if roll < 0.14:
            yield "POST", "/" + "".join(rng.choice("abc/%.-_") for _ in range(rng.randint(1, 30))), json_type, b"{}"
            continue
        path = rng.choice(ENDPOINTS)
        body = _valid(path, rng)
        if roll < 0.26:
            yield "POST", path, json_type, json.dumps(body).encode()
            continue
        raw = json.dumps(_mutate(body, path, rng)).encode()  # ensure_ascii: lone surrogates become \ud800
        cut = rng.random()
        if cut < 0.08:
            raw = raw[: rng.randrange(max(1, len(raw)))]  # truncated JSON
        elif cut < 0.14:
            at = rng.randrange(len(raw) + 1)
            raw = raw[:at] + bytes([rng.choice([0x80, 0xC3, 0xFF, 0xED])]) + raw[at:]  # not UTF-8
        elif cut < 0.17:
            raw = b"[" * 100_000 + b"]" * 100_000
        headers = dict(json_type)
        if rng.random() < 0.04:
            headers["content-type"] = rng.choice(["text/plain", "application/x-www-form-urlencoded", "nonsense"])
        yield "POST", path, headers, raw


def check(status: int, text: str) -> str | None:
    """What is wrong with an answer (None: fine)."""
    if status >= 500:
        return f"{status}: {text[:200]}"
    if 400 <= status < 500:
        try:
            error = json.loads(text)["error"]
        except (ValueError, KeyError, TypeError):
            return f"{status} without a JSON error body: {text[:200]}"
        param, message = error.get("param"), str(error.get("message", ""))
        if not param or not message.startswith(str(param)):
            return f"{status} naming no field: {text[:200]}"
    return None


async def _send_all(url: str, n: int, seed: int, concurrency: int) -> tuple[Counter[str], list[str], int, int]:
    import httpx

    statuses: Counter[str] = Counter()
    samples: list[str] = []
    errors = {"5xx": 0, "unnamed": 0}
    todo = iter(requests(n, seed))
    async with httpx.AsyncClient(base_url=url, timeout=120, trust_env=False) as client:

        async def worker() -> None:
            for method, path, headers, body in todo:
                r = await client.request(method, path, headers=headers, content=body or None)
                statuses[str(r.status_code)] += 1
                problem = check(r.status_code, r.text)
                if problem:
                    errors["5xx" if r.status_code >= 500 else "unnamed"] += 1
                    if len(samples) < 10:
                        samples.append(f"{method} {path} {body[:120]!r} -> {problem}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses, samples, errors["5xx"], errors["unnamed"]


def run_fuzz(n: int = 10_000, seed: int = 0, engine: str = "lite", concurrency: int = 8,
             log_path: Path | None = None, env: dict[str, str] | None = None) -> FuzzReport:
    """Spawn the server (extra environment `env`, e.g. SRLLM_SERVE_* settings) with a loopback
    stand-in upstream, fuzz it, and read its log."""
    from srllm.serve.standin import StandinServer

    if not 0 < n <= MAX_REQUESTS:
        raise ValueError(f"n must be in 1..{MAX_REQUESTS}, got {n}")
    log_path = log_path or Path("build") / "fuzz-http-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with StandinServer() as upstream:
        check_loopback(upstream.url)
        args = ["--upstream-url", upstream.url + "/v1"]
        with SpawnedServer(engine, args, log_path=log_path, env=env) as server:
            started = time.perf_counter()
            statuses, samples, server_errors, unnamed = asyncio.run(_send_all(server.url, n, seed, concurrency))
            elapsed = time.perf_counter() - started
    log = log_path.read_text(encoding="utf-8", errors="replace")
    return FuzzReport(n, dict(sorted(statuses.items())), server_errors, unnamed, log.count("Traceback"),
                      round(elapsed, 2), samples)


def report_dict(report: FuzzReport) -> dict[str, Any]:
    return {**asdict(report), "ok": report.ok}
