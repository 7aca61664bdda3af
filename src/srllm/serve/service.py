"""The server's shared state: one engine, its worker threads and batchers, and the errors that map
to HTTP statuses. Models are loaded once; every engine call runs off the event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from srllm.classify.report import RiskReport
from srllm.serve.batching import MicroBatcher, QueueFullError
from srllm.serve.engine import Engine, EngineUnavailableError
from srllm.serve.metrics import Metrics
from srllm.serve.settings import ServeSettings
from srllm.serve.workers import WorkerPool, cpu_count

log = logging.getLogger(__name__)


class ServeError(Exception):
    """An error answered as ``{"error": {...}}`` with an HTTP status (OpenAI's error shape)."""

    def __init__(self, status: int, message: str, type: str = "server_error", param: str | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class Service:
    """Engine calls through micro-batchers: classify batches on `workers` model processes, rewrite
    batches on `rewrite_workers` (0: one thread of this process each, with the given engine object),
    and local chat generation on its own thread, each bounded by the request timeout."""

    def __init__(self, engine: Engine, settings: ServeSettings, metrics: Metrics | None = None,
                 in_process: bool = False):
        self.engine = engine
        self.settings = settings
        self.metrics = metrics or Metrics()
        n, m = (0, 0) if in_process else (settings.workers, settings.rewrite_workers)
        threads = max(1, cpu_count() // n) if n else None
        if n == 0 and m == 0:  # one engine object: one model thread for both
            # preload loads the classifier; the rewrite models load on the first rewrite
            self.classify_pool = self.rewrite_pool = WorkerPool(engine, "classify", 0, settings.chat_model)
        else:
            self.classify_pool = WorkerPool(engine, "classify", n, settings.chat_model, threads)
            self.rewrite_pool = WorkerPool(engine, "rewrite", m, settings.chat_model,
                                           pipeline_config=settings.pipeline_config)
        self.chat_thread = ThreadPoolExecutor(1, thread_name_prefix="srllm-chat")
        common = dict(max_batch=settings.batch_size, max_wait_s=settings.batch_wait_ms / 1000,
                      max_queue=settings.max_queue)
        self.classifier = MicroBatcher(self._classify_batch, name="classify", slots=self.classify_pool.slots,
                                       on_batch=self.metrics.batch_observer("classify"), **common)
        self.rewriter = MicroBatcher(self._rewrite_batch, name="rewrite", slots=self.rewrite_pool.slots,
                                     on_batch=self.metrics.batch_observer("rewrite"), **common)
        for batcher in (self.classifier, self.rewriter):
            self.metrics.watch_queue(batcher.name, lambda b=batcher: b.queued)
        self.load_error: str | None = None
        self._loaded = False
        self._load_task: asyncio.Task[None] | None = None

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self.classifier.start()
        self.rewriter.start()
        if self.settings.preload:
            self._load_task = asyncio.get_running_loop().create_task(self._load())

    async def _load(self) -> None:
        try:
            pools = {id(p): p for p in (self.classify_pool, self.rewrite_pool)}.values()
            await asyncio.gather(*(pool.load() for pool in pools))
            self._loaded = True
            log.info("engine %s loaded", self.engine.name)
        except Exception as exc:  # reported by /readyz and by each request
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.error("engine %s failed to load: %s", self.engine.name, self.load_error)

    async def stop(self) -> None:
        await self.classifier.stop()
        await self.rewriter.stop()
        self.classify_pool.shutdown()
        self.rewrite_pool.shutdown()
        self.chat_thread.shutdown(wait=False, cancel_futures=True)

    @property
    def ready(self) -> bool:
        return self._loaded or self.engine.loaded

    # --- engine calls -------------------------------------------------------------------------

    async def _classify_batch(self, key: Hashable, texts: list[str]) -> list[RiskReport]:
        _, explain = key  # type: ignore[misc]
        return await self.classify_pool.call("classify", texts, explain)

    async def _rewrite_batch(self, key: Hashable, texts: list[str]) -> list[Any]:
        return await self.rewrite_pool.call("rewrite", texts)

    async def classify(self, texts: Sequence[str], explain: bool = False) -> list[RiskReport]:
        return await self._call(self.classifier, ("classify", explain), texts, self.settings.request_timeout_s)

    async def rewrite(self, texts: Sequence[str]) -> list[Any]:
        """Rewrites, with a time limit of request_timeout_s or rewrite_timeout_per_text_s a text, the larger."""
        limit = max(self.settings.request_timeout_s, len(texts) * self.settings.rewrite_timeout_per_text_s)
        return await self._call(self.rewriter, ("rewrite",), texts, limit)

    async def chat(self, messages: Sequence[dict[str, str]], max_tokens: int, temperature: float) -> str:
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self.chat_thread, self.engine.chat, messages, max_tokens, temperature)
        try:
            return await asyncio.wait_for(work, self.settings.upstream_timeout_s)
        except asyncio.TimeoutError:
            raise ServeError(408, f"messages: local chat generation took longer than "
                             f"{self.settings.upstream_timeout_s}s (setting upstream_timeout_s)", "timeout",
                             param="messages", code="timeout") from None
        except EngineUnavailableError as exc:
            raise ServeError(503, str(exc), "engine_unavailable", code="engine_unavailable") from None

    async def chat_stream(self, messages: Sequence[dict[str, str]], max_tokens: int, temperature: float
                          ) -> AsyncIterator[str]:
        """The local chat model's answer piece by piece as it is generated (generation runs on the
        chat thread; it stops when the consumer goes away or the time limit passes)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        done = object()
        wanted = True

        def on_text(piece: str) -> bool:
            loop.call_soon_threadsafe(queue.put_nowait, piece)
            return wanted

        def work() -> None:
            try:
                self.engine.chat(messages, max_tokens, temperature, on_text)
            except Exception as exc:  # handed to the consumer
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, done)

        loop.run_in_executor(self.chat_thread, work)
        deadline = loop.time() + self.settings.upstream_timeout_s
        try:
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), max(0.0, deadline - loop.time()))
                except asyncio.TimeoutError:
                    raise ServeError(408, f"local chat generation took longer than {self.settings.upstream_timeout_s}s",
                                     "timeout", code="timeout") from None
                if item is done:
                    return
                if isinstance(item, EngineUnavailableError):
                    raise ServeError(503, str(item), "engine_unavailable", code="engine_unavailable")
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            wanted = False

    async def _call(self, batcher: MicroBatcher, key: Hashable, texts: Sequence[str], limit: float) -> list[Any]:
        if self.load_error is not None:
            raise ServeError(503, f"engine {self.engine.name!r} failed to load: {self.load_error}",
                             "engine_unavailable", code="engine_unavailable")
        try:
            results = await asyncio.wait_for(batcher.submit(key, texts), limit)
            self._loaded = self._loaded or not self.settings.preload  # lazy loading: the first answer loaded it
            return results
        except asyncio.TimeoutError:
            raise ServeError(408, f"texts: {batcher.name} did not finish within {limit:g}s (settings "
                             "request_timeout_s, rewrite_timeout_per_text_s)", "timeout", param="texts",
                             code="timeout") from None
        except QueueFullError as exc:
            raise ServeError(503, f"server busy: {exc}; retry later", "overloaded", code="overloaded",
                             headers={"Retry-After": "1"}) from None
        except EngineUnavailableError as exc:
            raise ServeError(503, str(exc), "engine_unavailable", code="engine_unavailable") from None
