"""The FastAPI application: moderation API, OpenAI-compatible guard, health checks and the page.

``create_app(settings, engine=None)`` builds it; `srllm serve` runs it with uvicorn.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from srllm import __version__
from srllm.classify.report import RiskReport
from srllm.serve.engine import Engine, make_engine, to_dict
from srllm.serve.guard import Guard, Report, message_text
from srllm.serve.schemas import (
    ChatRequest,
    ClassifyRequest,
    ClassifyResponse,
    ErrorResponse,
    Health,
    ModerateRequest,
    ModerateResponse,
    ModerationResult,
    RewriteRequest,
    RewriteResponse,
)
from srllm.serve.service import ServeError, Service
from srllm.serve.settings import ServeSettings

log = logging.getLogger(__name__)
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in ((401, "missing or wrong bearer token"), (408, "the work timed out"),
                       (413, "request body too large"), (422, "invalid request: the message names the field"),
                       (503, "engine loading, failed, or server busy"))
}


class BodyLimit:
    """ASGI middleware: 413 for request bodies over `limit` bytes (declared or streamed)."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
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

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        error = ServeError(413, f"request body larger than {self.limit} bytes (setting max_body_bytes)",
                           "request_too_large", code="request_too_large")
        await JSONResponse(error.body(), status_code=413)({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:  # pragma: no cover - a response never reads the request
    return {"type": "http.disconnect"}


def _field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def check_texts(texts: Sequence[str], settings: ServeSettings, name: str = "texts") -> None:
    """422 naming the field when there are too many texts or one is too long."""
    errors = []
    if len(texts) > settings.max_texts:
        errors.append({"loc": ("body", name), "type": "too_long",
                       "msg": f"at most {settings.max_texts} texts per request (setting max_texts), got {len(texts)}"})
    for i, text in enumerate(texts):
        if len(text) > settings.max_text_chars:
            loc = ("body", name, i) if not isinstance(texts, str) else ("body", name)
            errors.append({"loc": loc, "type": "string_too_long",
                           "msg": f"text longer than {settings.max_text_chars} characters (setting max_text_chars)"})
    if errors:
        raise RequestValidationError(errors)


def _category_scores(report: RiskReport) -> tuple[dict[str, bool], dict[str, float]]:
    p = report.probabilities
    scores = {
        "bias": p["bias"].get("Yes", 0.0),
        "toxicity": 1.0 - p["toxicity"].get("No", 0.0),
        "harm": 1.0 - p["harm"].get("Low", 0.0),
        "negative_sentiment": p["sentiment"].get("Negative", 0.0),
        "unsafe": report.unsafe_score,
    }
    lowest = {"bias": "No", "toxicity": "No", "harm": "Low"}
    flags = {c: report.labels[c] != lowest[c] for c in lowest}
    flags["negative_sentiment"] = report.labels["sentiment"] == "Negative"
    flags["unsafe"] = report.unsafe
    return flags, {k: round(v, 6) for k, v in scores.items()}


def create_app(settings: ServeSettings | None = None, engine: Engine | None = None) -> FastAPI:
    """The application for `settings` (default: `ServeSettings.load()`) and `engine` (default: the
    settings' engine)."""
    settings = settings or ServeSettings.load()
    engine = engine or make_engine(settings.engine, settings.chat_model)
    service = Service(engine, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = None
        if settings.upstream_url:
            headers = {"Authorization": f"Bearer {settings.upstream_api_key}"} if settings.upstream_api_key else {}
            client = httpx.AsyncClient(base_url=settings.upstream_url.rstrip("/") + "/", headers=headers,
                                       timeout=settings.upstream_timeout_s)
        app.state.guard = Guard(service, settings, client)
        await service.start()
        try:
            yield
        finally:
            await service.stop()
            if client is not None:
                await client.aclose()

    app = FastAPI(title="srllm", version=__version__, lifespan=lifespan,
                  description="Detect unsafe text and rewrite it into a benign variation (SR_LLM framework), "
                              "and guard an OpenAI-compatible chat model.")
    app.state.settings, app.state.service = settings, service
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    bearer = HTTPBearer(auto_error=False)

    async def authorise(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if settings.token is None:
            return
        if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), settings.token.encode()):
            raise ServeError(401, "missing or wrong bearer token (send 'Authorization: Bearer <token>')",
                             "authentication_error", code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ServeError)
    async def serve_error(request: Request, exc: ServeError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
        field = _field(first.get("loc", ()))
        message = f"{field}: {first.get('msg')}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
        details = [{"field": _field(e.get("loc", ())), "message": e.get("msg"), "type": e.get("type")} for e in errors]
        body = ServeError(422, message, "invalid_request_error", param=field, code="invalid_request").body()
        body["error"]["details"] = details
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(ServeError(exc.status_code, str(exc.detail), "http_error").body(),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    # --- health and page ------------------------------------------------------------------------

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> Health:
        """The process is up."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, tags=["health"], responses={503: {"model": Health}})
    async def readyz() -> Any:
        """200 once the engine's models are loaded (or with preload off); 503 while loading or after a failed load."""
        if service.load_error:
            return JSONResponse(Health(status="error", engine=engine.name, detail=service.load_error).model_dump(),
                                status_code=503)
        if not service.ready and not settings.preload:
            return Health(status="lazy", engine=engine.name, detail="models load on the first request (preload off)")
        if not service.ready:
            return JSONResponse(Health(status="loading", engine=engine.name).model_dump(), status_code=503)
        return Health(status="ready", engine=engine.name)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(files("srllm.serve").joinpath("static/index.html").read_text(encoding="utf-8"))

    # --- moderation API -----------------------------------------------------------------------

    api = APIRouter(prefix="/v1", dependencies=[Depends(authorise)], responses=ERRORS)

    @api.post("/classify", response_model=ClassifyResponse, tags=["moderation"])
    async def classify(body: ClassifyRequest) -> ClassifyResponse:
        """Risk labels and calibrated scores per taxonomy category, and (explain) the words behind them."""
        check_texts(body.texts, settings)
        reports = await service.classify(body.texts, explain=body.explain)
        return ClassifyResponse(engine=engine.name, results=[to_dict(r) for r in reports])

    @api.post("/rewrite", response_model=RewriteResponse, tags=["moderation"])
    async def rewrite(body: RewriteRequest) -> RewriteResponse:
        """Unsafe texts rewritten into benign variations (safe ones come back unchanged)."""
        check_texts(body.texts, settings)
        results = await service.rewrite(body.texts)
        return RewriteResponse(engine=engine.name, results=[to_dict(r) for r in results])

    @api.post("/moderate", response_model=ModerateResponse, tags=["moderation"])
    async def moderate(body: ModerateRequest) -> ModerateResponse:
        """Flag each text (one or a batch) and, when asked, rewrite the flagged ones."""
        texts = [body.input] if isinstance(body.input, str) else body.input
        if not texts:
            raise RequestValidationError([{"loc": ("body", "input"), "type": "too_short", "msg": "no texts given"}])
        check_texts(texts, settings, "input")
        reports = await service.classify(texts, explain=True)
        flagged = [i for i, r in enumerate(reports) if r.unsafe]
        rewrites: dict[int, Any] = {}
        if body.rewrite and flagged:
            rewrites = dict(zip(flagged, await service.rewrite([texts[i] for i in flagged])))
        results = []
        for i, report in enumerate(reports):
            flags, scores = _category_scores(report)
            results.append(ModerationResult(flagged=report.unsafe, categories=flags, category_scores=scores,
                                            report=to_dict(report),
                                            rewrite=to_dict(rewrites[i]) if i in rewrites else None))
        return ModerateResponse(id=f"modr-{uuid.uuid4().hex}", engine=engine.name, results=results)

    # --- OpenAI-compatible guard --------------------------------------------------------------

    @api.get("/models", tags=["guard"])
    async def models(request: Request) -> dict[str, Any]:
        """The upstream server's models, or the local chat model."""
        return await request.app.state.guard.models()

    @api.post("/chat/completions", tags=["guard"])
    async def chat_completions(body: ChatRequest, request: Request) -> Any:
        """An OpenAI chat completion with the input and the output moderated (see `srllm.serve.guard`)."""
        guard: Guard = request.app.state.guard
        for i, message in enumerate(body.messages):
            text = message_text(message.content)
            if len(text) > settings.max_message_chars:
                raise RequestValidationError([{"loc": ("body", "messages", i, "content"), "type": "string_too_long",
                                               "msg": f"message longer than {settings.max_message_chars} characters "
                                                      "(setting max_message_chars)"}])
        if body.stream and (body.model_extra or {}).get("n", 1) != 1:
            raise RequestValidationError([{"loc": ("body", "n"), "type": "value_error",
                                           "msg": "the guard streams one choice: use n=1 with stream=true"}])
        if not body.stream:
            result, report = await guard.complete(body)
            return JSONResponse(result, headers={"X-SRLLM-Input": report.header_input(),
                                                 "X-SRLLM-Output": report.header_output()})
        report = Report()
        messages = await guard.check_input(body, report)  # before the headers go out
        return StreamingResponse(guard.stream(body, report, messages), media_type="text/event-stream",
                                 headers={"X-SRLLM-Input": report.header_input(), "Cache-Control": "no-cache"})

    app.include_router(api)
    return app
