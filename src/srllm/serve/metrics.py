"""Prometheus metrics of one server (`GET /metrics`, prometheus-client's text format).

* ``srllm_request_seconds{endpoint,status}``: request latency histogram;
* ``srllm_batch_size{batcher}``: texts per model call (one classifier forward pass per batch);
* ``srllm_batch_seconds{batcher}``: time of each model call;
* ``srllm_queue_depth{batcher}``: texts waiting for a batch;
* ``srllm_decisions_total{endpoint,decision}``: what was decided (unsafe / safe / not_judged for
  classify and moderate, the rewrite decision, the guard's input and output actions).

Each application has its own registry, so several servers (tests) can live in one process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The metrics of one server; see the module docstring."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.latency = Histogram("srllm_request_seconds", "HTTP request latency", ["endpoint", "status"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.batch_size = Histogram("srllm_batch_size", "texts per model call (one forward pass)", ["batcher"],
                                    buckets=BATCH_BUCKETS, registry=r)
        self.batch_seconds = Histogram("srllm_batch_seconds", "seconds per model call", ["batcher"],
                                       buckets=LATENCY_BUCKETS, registry=r)
        self.queue = Gauge("srllm_queue_depth", "texts waiting for a batch", ["batcher"], registry=r)
        self.decisions = Counter("srllm_decisions", "decisions by endpoint and type", ["endpoint", "decision"],
                                 registry=r)

    def batch_observer(self, batcher: str) -> Callable[[int, float], None]:
        size, seconds = self.batch_size.labels(batcher), self.batch_seconds.labels(batcher)

        def observe(n: int, elapsed: float) -> None:
            size.observe(n)
            seconds.observe(elapsed)

        return observe

    def watch_queue(self, batcher: str, depth: Callable[[], float]) -> None:
        self.queue.labels(batcher).set_function(depth)

    def decided(self, endpoint: str, decisions: Iterable[str]) -> None:
        for decision in decisions:
            self.decisions.labels(endpoint, decision).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class LatencyMiddleware:
    """ASGI middleware: observes every HTTP request's latency by endpoint (a known route path, else
    "other", so that random paths cannot grow the label set) and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics, paths: Callable[[], set[str]]):
        self.app, self.metrics, self.paths = app, metrics, paths
        self._known: set[str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self._known is None:
            self._known = self.paths()
        path = scope.get("path", "")
        endpoint = path if path in self._known else "other"
        started, status = time.perf_counter(), "500"

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.latency.labels(endpoint, status).observe(time.perf_counter() - started)
