"""Model worker processes: each loads its own engine once and answers batches sent by the
micro-batchers, so the event loop (HTTP, JSON) and the models never compete for one GIL.

`WorkerPool(engine, role, n, threads)` starts `n` spawned processes whose engine is loaded for
`role` ("classify": the classifier only; "rewrite": classifier and safety pipeline); `call(method,
*args)` runs ``engine.<method>(*args)`` in one of them. With `n == 0` the calls run on one thread
of this process instead, with the given engine object (what tests and custom engines use).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from srllm.serve.engine import Engine, make_engine

_engine: Any = None  # the worker process's engine
_load_error: str | None = None


def _watch_parent(parent: int) -> None:
    """Exit when the server process is gone (a killed server must not leave its models running)."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def _init(name: str, chat_model: str, role: str, threads: int | None, pipeline_config: str | None) -> None:
    global _engine, _load_error
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True, name="srllm-parent-watch").start()
    try:
        _engine = make_engine(name, chat_model, threads=threads, pipeline_config=pipeline_config)
        load_for = getattr(_engine, "load_for", None)
        load_for(role) if load_for is not None else _engine.load()
    except Exception as exc:  # reported to the server by `_ping`
        _load_error = f"{type(exc).__name__}: {exc}"


def _ping() -> str | None:
    return _load_error


def _call(method: str, args: Sequence[Any]) -> Any:
    if _load_error is not None:
        from srllm.serve.engine import EngineUnavailableError

        raise EngineUnavailableError(f"engine failed to load in the worker: {_load_error}")
    return getattr(_engine, method)(*args)


def cpu_count() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class WorkerPool:
    """`n` model processes (or one thread when `n == 0`) for one role; see the module docstring."""

    def __init__(self, engine: Engine, role: str, n: int, chat_model: str, threads: int | None = None,
                 pipeline_config: str | None = None):
        self.engine, self.role, self.n = engine, role, n
        self.executor: Executor
        if n == 0:
            self.executor = ThreadPoolExecutor(1, thread_name_prefix=f"srllm-{role}")
        else:
            self.executor = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"), initializer=_init,
                                                initargs=(engine.name, chat_model, role, threads, pipeline_config))

    @property
    def slots(self) -> int:
        """How many batches can run at once."""
        return max(1, self.n)

    async def load(self) -> None:
        """Load the engine (in every worker process); raises what the load raised."""
        loop = asyncio.get_running_loop()
        if self.n == 0:
            load_for = getattr(self.engine, "load_for", None)
            await loop.run_in_executor(self.executor, load_for or self.engine.load, *([self.role] if load_for else []))
            return
        errors = await asyncio.gather(*(loop.run_in_executor(self.executor, _ping) for _ in range(self.n)))
        failed = [e for e in errors if e]
        if failed:
            raise RuntimeError(failed[0])

    async def call(self, method: str, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        if self.n == 0:
            return await loop.run_in_executor(self.executor, getattr(self.engine, method), *args)
        return await loop.run_in_executor(self.executor, _call, method, args)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
