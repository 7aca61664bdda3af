"""The micro-batcher: merging, splitting, ordering, errors, cancellation and the queue limit."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from srllm.serve.batching import MicroBatcher, QueueFullError


def _run(coro):
    return asyncio.run(coro)


def test_concurrent_jobs_merge_and_keep_their_order() -> None:
    calls: list[tuple[object, list[int]]] = []
    threads: set[str] = set()

    def square(key, items):
        calls.append((key, list(items)))
        threads.add(threading.current_thread().name)
        return [i * i for i in items]

    async def main():
        batcher = MicroBatcher(square, ThreadPoolExecutor(1, thread_name_prefix="model"), max_batch=5, max_wait_s=0.01)
        jobs = [batcher.submit("k", list(range(n, n + 3))) for n in (0, 10, 20)]
        big = batcher.submit("k", list(range(100, 112)))  # larger than a batch: split
        other = batcher.submit("other", [7])
        results = await asyncio.gather(*jobs, big, other)
        await batcher.stop()
        return results, batcher.stats

    results, stats = _run(main())
    assert results[:3] == [[0, 1, 4], [100, 121, 144], [400, 441, 484]]
    assert results[3] == [i * i for i in range(100, 112)] and results[4] == [49]
    assert all(len(items) <= 5 for _, items in calls)
    assert all(key == "k" for key, items in calls if 7 not in items)  # keys never mix
    assert stats["max_batch_seen"] == 5 and stats["items"] == 22
    assert threads and all(name.startswith("model") for name in threads)


def test_errors_reach_every_job_of_the_batch_and_the_next_batch_runs() -> None:
    def fn(key, items):
        if "bad" in items:
            raise ValueError("bad item")
        return [x.upper() for x in items]

    async def main():
        batcher = MicroBatcher(fn, ThreadPoolExecutor(1), max_batch=8, max_wait_s=0.01)
        outcomes = await asyncio.gather(batcher.submit(1, ["a"]), batcher.submit(1, ["bad"]), return_exceptions=True)
        after = await batcher.submit(1, ["c"])
        await batcher.stop()
        return outcomes, after

    outcomes, after = _run(main())
    assert all(isinstance(o, ValueError) for o in outcomes) and after == ["C"]


def test_queue_limit_and_cancelled_jobs() -> None:
    seen: list[str] = []

    def slow(key, items):
        time.sleep(0.2)
        seen.extend(items)
        return items

    async def main():
        batcher = MicroBatcher(slow, ThreadPoolExecutor(1), max_batch=1, max_wait_s=0, max_queue=3)
        first = asyncio.ensure_future(batcher.submit(0, ["first"]))
        await asyncio.sleep(0.05)  # "first" is running
        queued = asyncio.ensure_future(batcher.submit(0, ["dropped", "x"]))
        await asyncio.sleep(0)
        with pytest.raises(QueueFullError):
            await batcher.submit(0, ["a", "b"])
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(queued, 0.05)  # the caller gives up: its items never run
        assert await first == ["first"]
        assert await batcher.submit(0, ["later"]) == ["later"]
        await batcher.stop()

    _run(main())
    assert seen == ["first", "later"]
