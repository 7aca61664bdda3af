"""A stand-in OpenAI-compatible chat server on loopback (for `srllm serve fuzz` and tests): it
answers every chat completion, streamed or not, with one fixed text that has an unsafe sentence."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

ANSWER = "Sure, here is my view. Those people are stupid idiots. Have a nice day!"


def standin_app(answer: str = ANSWER) -> Any:
    from fastapi import FastAPI, Request
    from fastapi.responses import StreamingResponse

    app = FastAPI()

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": "standin", "object": "model", "created": 0, "owned_by": "srllm"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await request.json()
        base = {"id": "chatcmpl-standin", "created": 1, "model": "standin"}
        if not (isinstance(body, dict) and body.get("stream") is True):
            return {**base, "object": "chat.completion", "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                                                    "total_tokens": 2},
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                                 "finish_reason": "stop"}]}

        async def events() -> Any:
            for word in answer.split(" "):
                chunk = {**base, "object": "chat.completion.chunk",
                         "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}]}
                yield f"data: {json.dumps(chunk)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


class StandinServer:
    """`standin_app` served by uvicorn on a free 127.0.0.1 port in a daemon thread (a context manager)."""

    def __init__(self, answer: str = ANSWER):
        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(standin_app(answer), host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> StandinServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the stand-in upstream did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
