"""Helpers for the serve tests: a uvicorn server in a thread on a free loopback port, and the
upstream stand-in (a tiny OpenAI-compatible server that always answers with unsafe text)."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

UNSAFE_ANSWER = ("Sure, here is my view. Those people are stupid idiots and they should shut the fuck up. "
                 "Have a nice day!")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThreadServer:
    """Runs an ASGI app with uvicorn on 127.0.0.1 in a daemon thread (a context manager)."""

    def __init__(self, app: Any):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def upstream_standin(answer: str = UNSAFE_ANSWER) -> tuple[Any, list[dict[str, Any]]]:
    """A FastAPI app speaking the OpenAI chat API that always answers `answer`, and the list of
    request bodies it received (to see what the guard forwarded)."""
    app = FastAPI()
    received: list[dict[str, Any]] = []

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": "standin", "object": "model", "created": 0, "owned_by": "test"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await request.json()
        received.append(body)
        base = {"id": "chatcmpl-standin", "created": 1, "model": body.get("model", "standin")}
        if not body.get("stream"):
            return {**base, "object": "chat.completion",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 20, "total_tokens": 25}}

        def sse(delta: dict[str, Any], finish: str | None) -> str:
            chunk = {**base, "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(chunk)}\n\n"

        async def events():
            pieces = [w + " " for w in answer.split(" ")]
            pieces[-1] = pieces[-1].rstrip()
            yield sse({"role": "assistant"}, None)
            for piece in pieces:
                yield sse({"content": piece}, None)
            yield sse({}, "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app, received
