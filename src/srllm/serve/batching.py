"""A micro-batcher: concurrent requests are queued and merged into batches, each run as one model
call (one forward pass of the classifier), off the event loop.

Each request submits a list of items with a key (e.g. ``("classify", explain)``); the batcher takes
the oldest job, waits up to `max_wait_s` for more jobs with the same key, awaits ``run(key, items)``
on up to `max_batch` items (a worker process or thread does the work) and hands each job its slice
of the results. Up to `slots` batches run at once (one per worker process); while they run, new
requests queue up and form the next batch. `on_batch(size, seconds)` sees every batch (metrics).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from srllm.serve.engine import EngineUnavailableError

log = logging.getLogger(__name__)


class QueueFullError(RuntimeError):
    """More items are waiting than the batcher accepts (the server answers 503)."""


@dataclass
class _Job:
    key: Hashable
    items: Sequence[Any]
    future: asyncio.Future[list[Any]]
    done: int = 0
    results: list[Any] = field(default_factory=list)


class MicroBatcher:
    """Batches `await run(key, items) -> results` calls (one result per item, same order); with an
    `executor`, `run` is a plain function called there."""

    def __init__(
        self,
        run: Callable[[Hashable, list[Any]], Awaitable[list[Any]]] | Callable[[Hashable, list[Any]], list[Any]],
        executor: Executor | None = None,
        max_batch: int = 32,
        max_wait_s: float = 0.005,
        max_queue: int = 2048,
        name: str = "batcher",
        slots: int = 1,
        on_batch: Callable[[int, float], None] | None = None,
    ):
        if executor is not None:
            fn = run

            async def run_there(key: Hashable, items: list[Any]) -> list[Any]:
                return await asyncio.get_running_loop().run_in_executor(executor, fn, key, items)

            run = run_there
        self.run = run
        self.slots = slots
        self.on_batch = on_batch
        self._running: set[asyncio.Task[None]] = set()
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.max_queue = max_queue
        self.name = name
        self._jobs: deque[_Job] = deque()
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.stats = {"batches": 0, "items": 0, "max_batch_seen": 0}

    @property
    def queued(self) -> int:
        return sum(len(j.items) - j.done for j in self._jobs)

    def start(self) -> None:
        if self._task is None:
            self._wakeup = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        for task in [t for t in (self._task, *self._running) if t is not None]:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._task, self._running = None, set()
        for job in self._jobs:
            if not job.future.done():
                job.future.set_exception(RuntimeError("server shutting down"))
        self._jobs.clear()

    async def submit(self, key: Hashable, items: Sequence[Any]) -> list[Any]:
        """The results for `items`; raises QueueFullError at once when the queue is full.
        Cancelling the await (e.g. a timeout) drops the job's items that have not started."""
        if not items:
            return []
        if self.queued + len(items) > self.max_queue:
            raise QueueFullError(f"{self.name}: {self.queued} items queued (limit {self.max_queue})")
        self.start()
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._jobs.append(_Job(key, list(items), future))
        assert self._wakeup is not None
        self._wakeup.set()
        return await future

    def _take(self) -> tuple[Hashable, list[tuple[_Job, int, int]]]:
        """Up to max_batch items of jobs sharing the oldest live job's key: (job, start, end) slices."""
        while self._jobs and self._jobs[0].future.done():  # cancelled / timed out
            self._jobs.popleft()
        key = self._jobs[0].key
        taken: list[tuple[_Job, int, int]] = []
        room = self.max_batch
        for job in self._jobs:
            if room == 0:
                break
            if job.key != key or job.future.done():
                continue
            n = min(room, len(job.items) - job.done)
            taken.append((job, job.done, job.done + n))
            job.done += n
            room -= n
        self._jobs = deque(j for j in self._jobs if j.done < len(j.items) and not j.future.done())
        return key, taken

    async def _run(self) -> None:
        assert self._wakeup is not None
        free = asyncio.Semaphore(self.slots)
        while True:
            if not any(not j.future.done() for j in self._jobs):
                self._jobs.clear()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            await free.acquire()  # a worker is free: the queue so far becomes the next batch
            if self.max_wait_s > 0 and self.queued < self.max_batch:
                await asyncio.sleep(self.max_wait_s)  # let concurrent requests join the batch
            if not self._jobs or all(j.future.done() for j in self._jobs):
                free.release()
                continue
            key, taken = self._take()
            if not taken:
                free.release()
                continue
            task = asyncio.get_running_loop().create_task(self._batch(key, taken, free))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _batch(self, key: Hashable, taken: list[tuple[_Job, int, int]], free: asyncio.Semaphore) -> None:
        items = [item for job, start, end in taken for item in job.items[start:end]]
        started = time.perf_counter()
        try:
            results = await self.run(key, items)
            if len(results) != len(items):
                raise RuntimeError(f"{self.name}: {len(results)} results for {len(items)} items")
        except Exception as exc:  # every job in the batch gets the error
            if not isinstance(exc, EngineUnavailableError):
                log.exception("%s batch failed", self.name)
            for job, _, _ in taken:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        finally:
            free.release()
        if self.on_batch is not None:
            self.on_batch(len(items), time.perf_counter() - started)
        self.stats["batches"] += 1
        self.stats["items"] += len(items)
        self.stats["max_batch_seen"] = max(self.stats["max_batch_seen"], len(items))
        at = 0
        for job, start, end in taken:
            part = results[at : at + end - start]
            at += end - start
            if job.future.done():
                continue
            job.results.extend(part)
            if len(job.results) == len(job.items):
                job.future.set_result(job.results)
