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
from srllm.serve.settings import ServeSettings

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
    """Engine calls through micro-batchers (classify, rewrite) on one model thread, and chat
    generation on its own thread, each bounded by the request timeout."""

    def __init__(self, engine: Engine, settings: ServeSettings):
        self.engine = engine
        self.settings = settings
        self.model_thread = ThreadPoolExecutor(1, thread_name_prefix="srllm-model")
        self.chat_thread = ThreadPoolExecutor(1, thread_name_prefix="srllm-chat")
        common = dict(executor=self.model_thread, max_batch=settings.batch_size,
                      max_wait_s=settings.batch_wait_ms / 1000, max_queue=settings.max_queue)
        self.classifier = MicroBatcher(self._classify_batch, name="classify", **common)
        self.rewriter = MicroBatcher(self._rewrite_batch, name="rewrite", **common)
        self.load_error: str | None = None
        self._load_task: asyncio.Task[None] | None = None

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self.classifier.start()
        self.rewriter.start()
        if self.settings.preload:
            self._load_task = asyncio.get_running_loop().create_task(self._load())

    async def _load(self) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self.model_thread, self.engine.load)
            log.info("engine %s loaded", self.engine.name)
        except Exception as exc:  # reported by /readyz and by each request
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.error("engine %s failed to load: %s", self.engine.name, self.load_error)

    async def stop(self) -> None:
        await self.classifier.stop()
        await self.rewriter.stop()
        self.model_thread.shutdown(wait=False, cancel_futures=True)
        self.chat_thread.shutdown(wait=False, cancel_futures=True)

    @property
    def ready(self) -> bool:
        return self.engine.loaded

    # --- engine calls -------------------------------------------------------------------------

    def _classify_batch(self, key: Hashable, texts: list[str]) -> list[RiskReport]:
        _, explain = key  # type: ignore[misc]
        return self.engine.classify(texts, explain=explain)

    def _rewrite_batch(self, key: Hashable, texts: list[str]) -> list[Any]:
        return self.engine.rewrite(texts)

    async def classify(self, texts: Sequence[str], explain: bool = False) -> list[RiskReport]:
        return await self._call(self.classifier, ("classify", explain), texts)

    async def rewrite(self, texts: Sequence[str]) -> list[Any]:
        return await self._call(self.rewriter, ("rewrite",), texts)

    async def chat(self, messages: Sequence[dict[str, str]], max_tokens: int, temperature: float) -> str:
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self.chat_thread, self.engine.chat, messages, max_tokens, temperature)
        try:
            return await asyncio.wait_for(work, self.settings.upstream_timeout_s)
        except asyncio.TimeoutError:
            raise ServeError(408, f"local chat generation took longer than {self.settings.upstream_timeout_s}s",
                             "timeout", code="timeout") from None
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

    async def _call(self, batcher: MicroBatcher, key: Hashable, texts: Sequence[str]) -> list[Any]:
        if self.load_error is not None:
            raise ServeError(503, f"engine {self.engine.name!r} failed to load: {self.load_error}",
                             "engine_unavailable", code="engine_unavailable")
        try:
            return await asyncio.wait_for(batcher.submit(key, texts), self.settings.request_timeout_s)
        except asyncio.TimeoutError:
            raise ServeError(408, f"{batcher.name} did not finish within {self.settings.request_timeout_s}s",
                             "timeout", code="timeout") from None
        except QueueFullError as exc:
            raise ServeError(503, f"server busy: {exc}; retry later", "overloaded", code="overloaded",
                             headers={"Retry-After": "1"}) from None
        except EngineUnavailableError as exc:
            raise ServeError(503, str(exc), "engine_unavailable", code="engine_unavailable") from None
