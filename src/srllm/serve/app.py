"""The FastAPI application: moderation API, OpenAI-compatible guard, health checks, metrics, the
offline API docs and the page.

``create_app(settings, engine=None)`` builds it; `srllm serve` runs it with uvicorn. With no
`engine` object the models run in `settings.workers` / `settings.rewrite_workers` processes; a given
engine object runs on a thread of this process.
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
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from srllm import __version__
from srllm.classify.report import RiskReport
from srllm.serve import docs, http_errors
from srllm.serve.chat_text import message_text
from srllm.serve.engine import Engine, make_engine, to_dict
from srllm.serve.guard import Guard, Report
from srllm.serve.inputs import chat_errors, string_errors
from srllm.serve.metrics import CONTENT_TYPE, LatencyMiddleware, Metrics
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
    errors += string_errors(list(texts), ("body", name))
    if errors:
        raise RequestValidationError(errors)


def _decision(report: RiskReport) -> str:
    return "not_judged" if not report.judged else "unsafe" if report.unsafe else "safe"


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
    in_process = engine is not None
    engine = engine or make_engine(settings.engine, settings.chat_model, pipeline_config=settings.pipeline_config)
    metrics = Metrics()
    service = Service(engine, settings, metrics, in_process=in_process)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = None
        if settings.upstream_url:
            headers = {"Authorization": f"Bearer {settings.upstream_api_key}"} if settings.upstream_api_key else {}
            client = httpx.AsyncClient(base_url=settings.upstream_url.rstrip("/") + "/", headers=headers,
                                       timeout=settings.upstream_timeout_s)
        app.state.guard = Guard(service, settings, client, metrics)
        await service.start()
        try:
            yield
        finally:
            await service.stop()
            if client is not None:
                await client.aclose()

    app = FastAPI(title="srllm", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Detect unsafe text and rewrite it into a benign variation (SR_LLM framework), "
                              "and guard an OpenAI-compatible chat model.")
    app.state.settings, app.state.service, app.state.metrics = settings, service, metrics
    app.add_middleware(http_errors.BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(LatencyMiddleware, metrics=metrics,
                       paths=lambda: set(app.openapi().get("paths", {})) | {getattr(r, "path", "") for r in app.routes})
    http_errors.install(app)
    docs.install(app)
    bearer = HTTPBearer(auto_error=False)

    async def authorise(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if settings.token is None:
            return
        if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), settings.token.encode()):
            raise ServeError(401, "missing or wrong bearer token (send 'Authorization: Bearer <token>')",
                             "authentication_error", param="Authorization", code="invalid_api_key",
                             headers={"WWW-Authenticate": "Bearer"})

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

    @app.get("/metrics", tags=["health"], response_class=Response)
    async def prometheus() -> Response:
        """Prometheus metrics: request latency, batch sizes, queue depth, decisions (see `srllm.serve.metrics`)."""
        return Response(metrics.render(), media_type=CONTENT_TYPE)

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
        metrics.decided("classify", (_decision(r) for r in reports))
        return ClassifyResponse(engine=engine.name, results=[to_dict(r) for r in reports])

    @api.post("/rewrite", response_model=RewriteResponse, tags=["moderation"])
    async def rewrite(body: RewriteRequest) -> RewriteResponse:
        """Unsafe texts rewritten into benign variations (safe ones come back unchanged)."""
        check_texts(body.texts, settings)
        results = [to_dict(r) for r in await service.rewrite(body.texts)]
        metrics.decided("rewrite", (r["decision"] for r in results))
        return RewriteResponse(engine=engine.name, results=results)

    @api.post("/moderate", response_model=ModerateResponse, tags=["moderation"])
    async def moderate(body: ModerateRequest) -> ModerateResponse:
        """Flag each text (one or a batch) and, when asked, rewrite the flagged ones."""
        texts = [body.input] if isinstance(body.input, str) else body.input
        if not texts:
            raise RequestValidationError([{"loc": ("body", "input"), "type": "too_short", "msg": "no texts given"}])
        check_texts(texts, settings, "input")
        reports = await service.classify(texts, explain=True)
        metrics.decided("moderate", (_decision(r) for r in reports))
        flagged = [i for i, r in enumerate(reports) if r.unsafe and r.judged]
        rewrites: dict[int, Any] = {}
        if body.rewrite and flagged:
            rewrites = dict(zip(flagged, await service.rewrite([texts[i] for i in flagged])))
        results = []
        for i, report in enumerate(reports):
            flags, scores = _category_scores(report)
            # a text the models cannot judge is flagged unless the language policy lets it pass
            flag = report.unsafe if report.judged else settings.language_policy != "pass"
            results.append(ModerationResult(flagged=flag, judged=report.judged, language=report.language,
                                            categories=flags, category_scores=scores,
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
        errors = chat_errors(body)
        if errors:
            raise RequestValidationError(errors)
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
