"""HTTP errors: every 4xx answers OpenAI's error shape with ``param`` naming the field (or the part
of the request: body, path, method, Authorization) and a message that starts with it.

`BodyLimit` (ASGI middleware) answers 413 for bodies over the limit and 400 for a JSON body that is
not UTF-8, naming the byte; the handlers turn FastAPI's validation errors (with pydantic's union
tags dropped from the location), unparsable bodies (deep nesting) and Starlette's 404 / 405 into
that shape.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from srllm.serve.service import ServeError

log = logging.getLogger(__name__)
#: location parts FastAPI / pydantic add that are not field names
_LOCATIONS = ("body", "query", "path", "header")
_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "json-or-python", "tagged-union"}
#: what each status without a field names
_PARAM = {400: "body", 401: "Authorization", 404: "path", 405: "method", 413: "body", 415: "Content-Type"}


def field_of(loc: Sequence[Any]) -> str:
    """A validation error's location as a dotted field name (``messages.0.content.1.text``)."""
    parts = [str(p) for p in loc
             if p not in _LOCATIONS and not (isinstance(p, str) and (p in _TAGS or "[" in p or p.startswith("function-")))]
    return ".".join(parts) or "body"


def validation_body(errors: Sequence[dict[str, Any]]) -> dict[str, Any]:
    first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
    field = field_of(first.get("loc", ()))
    msg = first.get("msg")
    if first.get("type") == "json_invalid":
        where = first.get("loc", ("body", None))[-1]
        field, msg = "body", f"invalid JSON at character {where}: {(first.get('ctx') or {}).get('error', msg)}"
    message = f"{field}: {msg}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
    details = [{"field": field_of(e.get("loc", ())), "message": e.get("msg"), "type": e.get("type")} for e in errors]
    body = ServeError(422, message, "invalid_request_error", param=field, code="invalid_request").body()
    body["error"]["details"] = details
    return body


def install(app: FastAPI) -> None:
    """The exception handlers of the application."""

    @app.exception_handler(ServeError)
    async def serve_error(request: Request, exc: ServeError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_body(exc.errors()), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        param = _PARAM.get(exc.status_code)
        detail = str(exc.detail)
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            cause = exc.__cause__
            why = ("nested too deeply" if isinstance(cause, RecursionError)
                   else f"{type(cause).__name__}: {cause}" if cause is not None else "unreadable")
            detail = f"the request body could not be parsed as JSON ({why})"
        if exc.status_code == 404:
            detail = f"no such endpoint: {request.url.path} (see /docs)"
        elif exc.status_code == 405:
            detail = f"method {request.method} is not allowed on {request.url.path}"
        message = f"{param}: {detail}" if param and not detail.startswith(param) else detail
        return JSONResponse(ServeError(exc.status_code, message, "invalid_request_error" if exc.status_code < 500
                                       else "http_error", param=param).body(),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))


class BodyLimit:
    """ASGI middleware: 413 for request bodies over `limit` bytes (declared or streamed), 400 for a
    JSON body that is not valid UTF-8."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._too_large(send)
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                return await self._too_large(send)
        body, replayed = b"".join(chunks), False
        if body and b"json" in headers.get(b"content-type", b"application/json"):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                error = ServeError(400, f"body: not valid UTF-8 at byte {exc.start} ({exc.reason}); expected a "
                                   "UTF-8 JSON document", "invalid_request_error", param="body", code="invalid_utf8")
                return await JSONResponse(error.body(), status_code=400)(scope, _no_receive, send)

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        error = ServeError(413, f"body: larger than {self.limit} bytes (setting max_body_bytes)",
                           "request_too_large", param="body", code="request_too_large")
        await JSONResponse(error.body(), status_code=413)({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:  # pragma: no cover - a response never reads the request
    return {"type": "http.disconnect"}
