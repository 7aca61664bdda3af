"""A bounded, loopback-only load test of a running (or spawned) `srllm serve`.

Each scenario runs `clients` concurrent clients in a closed loop (send, wait for the answer, send
again) against one endpoint for `duration_s` seconds; the report gives requests/s, p50/p95/p99
latency and errors (any exception or non-200 answer) per scenario. The clients run on aiohttp where it
is installed (httpx otherwise, or by choice): on a 2-core machine the load generator shares the
server's cores, and httpx's clients took a third of them (39 CPU-s of a 60 s run against aiohttp's 3).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

MAX_DURATION_S = 600.0
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: texts the clients send, in turn: benign and unsafe, short and long
TEXTS = (
    "Have a lovely day, and thanks for the help with the garden.",
    "You are a stupid idiot and nobody wants you here.",
    "Women are too emotional to be good engineers.",
    "The meeting moved to Thursday at 3 pm; bring the quarterly figures.",
    "Shut up, you worthless piece of trash.",
    "Immigrants bring new food, music and ideas to the towns they settle in.",
)


@dataclass
class Scenario:
    """`clients` concurrent clients posting to `path`."""

    path: str
    clients: int

    def body(self, i: int) -> dict[str, Any]:
        text = TEXTS[i % len(TEXTS)]
        if self.path.endswith("/moderate"):
            return {"input": text}
        return {"texts": [text]}


@dataclass
class ScenarioResult:
    path: str
    clients: int
    requests: int
    errors: int
    duration_s: float
    requests_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    statuses: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)


def check_loopback(url: str) -> None:
    host = urlparse(url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"load tests only run against loopback addresses ({sorted(LOOPBACK)}), not {host!r}")


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def _run_scenario(client: Any, scenario: Scenario, deadline: float, started: float) -> ScenarioResult:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    samples: list[str] = []

    async def one_client(n: int) -> None:
        i = n
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                response = await client.post(scenario.path, json=scenario.body(i))
                status = str(response.status_code)
                if response.status_code != 200 and len(samples) < 5:
                    samples.append(f"{status}: {response.text[:200]}")
            except Exception as exc:  # counted as an error
                status = type(exc).__name__
                if len(samples) < 5:
                    samples.append(f"{status}: {exc}")
            latencies.append(time.perf_counter() - t0) if status == "200" else None
            statuses[status] += 1
            i += scenario.clients

    await asyncio.gather(*(one_client(n) for n in range(scenario.clients)))
    elapsed = time.perf_counter() - started
    total = sum(statuses.values())
    ms = [x * 1000 for x in latencies]
    rounded = {k: (round(v, 2) if v is not None else None) for k, v in
               {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99),
                "max": max(ms) if ms else None}.items()}
    return ScenarioResult(scenario.path, scenario.clients, total, total - statuses.get("200", 0), round(elapsed, 3),
                          round(len(ms) / elapsed, 2) if elapsed else 0.0, rounded["p50"], rounded["p95"],
                          rounded["p99"], rounded["max"], dict(statuses), samples)


@dataclass
class _Reply:
    status_code: int
    text: str


class _AiohttpClient:
    """``await post(path, json=...)`` over one aiohttp session: the same calls as httpx's client at a
    fraction of its CPU, which matters when the clients share the server's cores."""

    def __init__(self, session: Any, base_url: str):
        self.session, self.base_url = session, base_url.rstrip("/")

    async def post(self, path: str, json: dict[str, Any]) -> _Reply:
        async with self.session.post(self.base_url + path, json=json) as response:
            return _Reply(response.status, await response.text())


def client_library(preferred: str = "auto") -> str:
    """The HTTP client the load test uses: aiohttp when installed (``auto``), else httpx."""
    import importlib.util

    if preferred not in {"auto", "aiohttp", "httpx"}:
        raise ValueError(f"client must be auto, aiohttp or httpx, got {preferred!r}")
    if preferred == "auto":
        return "aiohttp" if importlib.util.find_spec("aiohttp") is not None else "httpx"
    return preferred


async def run_load(url: str, scenarios: list[Scenario], duration_s: float, token: str | None = None,
                   timeout_s: float = 60.0, client: str = "auto") -> list[ScenarioResult]:
    """Run all scenarios at once for `duration_s` against `url` (loopback only) with the HTTP
    client library `client` (`client_library`)."""
    check_loopback(url)
    if not 0 < duration_s <= MAX_DURATION_S:
        raise ValueError(f"duration_s must be in (0, {MAX_DURATION_S}], got {duration_s}")
    clients = sum(s.clients for s in scenarios)
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def run_all(http: Any) -> list[ScenarioResult]:
        started = time.perf_counter()
        deadline = started + duration_s
        return list(await asyncio.gather(*(_run_scenario(http, s, deadline, started) for s in scenarios)))

    if client_library(client) == "aiohttp":
        import aiohttp

        connector = aiohttp.TCPConnector(limit=clients)
        async with aiohttp.ClientSession(connector=connector, headers=headers, trust_env=False,
                                         timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
            return await run_all(_AiohttpClient(session, url))
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=timeout_s,
                                 trust_env=False) as http:
        return await run_all(http)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SpawnedServer:
    """`srllm serve` in a child process on a free loopback port, stopped on exit."""

    def __init__(self, engine: str = "lite", extra_args: list[str] | None = None, ready_timeout_s: float = 600.0,
                 log_path: Path | None = None, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [sys.executable, "-m", "srllm.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                     "--engine", engine, "--log-level", "warning", *(extra_args or [])]
        self.ready_timeout_s = ready_timeout_s
        self.log_path, self.env = log_path, env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def __enter__(self) -> SpawnedServer:
        import httpx

        self._log = open(self.log_path, "wb") if self.log_path is not None else None  # noqa: SIM115
        self.process = subprocess.Popen(self.args, env={**os.environ, **self.env}, stdout=self._log,
                                        stderr=subprocess.STDOUT if self._log else None)
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {' '.join(self.args)}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2, trust_env=False).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise TimeoutError(f"server not ready within {self.ready_timeout_s}s")

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds the server and its model worker processes have used so far
        (Linux), else None."""
        if self.process is None:
            return None
        total, todo, seen = 0, [self.process.pid], set()
        try:
            while todo:
                pid = todo.pop()
                seen.add(pid)
                fields = open(f"/proc/{pid}/stat", encoding="ascii").read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                        todo += [int(c) for c in f.read().split() if int(c) not in seen]
            return total / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()


def format_table(results: list[ScenarioResult]) -> str:
    head = (f"{'endpoint':<16}{'clients':>8}{'requests':>10}{'errors':>8}{'req/s':>10}"
            f"{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    rows = [head, "-" * len(head)]
    for r in results:
        rows.append(f"{r.path:<16}{r.clients:>8}{r.requests:>10}{r.errors:>8}{r.requests_per_s:>10.1f}"
                    f"{r.p50_ms or 0:>10.1f}{r.p95_ms or 0:>10.1f}{r.p99_ms or 0:>10.1f}")
    return "\n".join(rows)


def machine() -> dict[str, Any]:
    """The CPUs this process may use and the load average: context for the figures."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 0
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpus": cpus, "load_average_1m": round(load[0], 2) if load else None}


def report(results: list[ScenarioResult], **context: Any) -> dict[str, Any]:
    return {**context, "machine": machine(), "scenarios": [asdict(r) for r in results],
            "total_errors": sum(r.errors for r in results)}


def rewrite_batch(url: str, n: int, token: str | None = None, timeout_s: float = 900.0) -> dict[str, Any]:
    """One /v1/rewrite request with `n` texts (unsafe and benign in turn): its status and seconds."""
    import httpx

    check_loopback(url)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    texts = [TEXTS[i % len(TEXTS)] for i in range(n)]
    started = time.perf_counter()
    r = httpx.post(url + "/v1/rewrite", json={"texts": texts}, headers=headers, timeout=timeout_s, trust_env=False)
    return {"texts": n, "status": r.status_code, "seconds": round(time.perf_counter() - started, 2)}
