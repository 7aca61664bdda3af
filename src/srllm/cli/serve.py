"""`srllm serve`: run the HTTP API, guard and page; `srllm serve loadtest`: measure it on loopback."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from srllm.cli.base import Command, CommandError


class Serve(Command):
    name = "serve"
    help = "serve the moderation API, the OpenAI-compatible guard and the web page (FastAPI + uvicorn)"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--config", type=Path, default=None, help="YAML settings file (keys of ServeSettings, "
                            "optionally under 'serve:'); SRLLM_SERVE_<NAME> variables and these flags override it")
        parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=None, help="port (default 8000)")
        parser.add_argument("--engine", choices=("default", "lite"), default=None,
                            help="default: trained classifier + safety pipeline; "
                                 "lite: profanity-check + VADER (default: default)")
        parser.add_argument("--upstream-url", default=None,
                            help="OpenAI-compatible base URL the guard forwards to (e.g. http://127.0.0.1:9000/v1); "
                                 "default: the local SmolLM2 chat model")
        parser.add_argument("--pipeline-config", default=None, metavar="YAML",
                            help="the default engine's safety pipeline, as `srllm rewrite --config` reads it (e.g. "
                                 "configs/safety-pipeline-fast.yaml: the fast tier only); default: the shipped one")
        parser.add_argument("--input-policy", choices=("block", "rewrite", "pass"), default=None)
        parser.add_argument("--output-policy", choices=("rewrite", "block", "pass"), default=None)
        parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
        sub = parser.add_subparsers(dest="serve_command", metavar="[loadtest|fuzz]")
        load = sub.add_parser("loadtest", help=LoadTest.help, description=LoadTest.help)
        LoadTest.add_arguments(load)
        load.set_defaults(_command=LoadTest)
        fuzz = sub.add_parser("fuzz", help=Fuzz.help, description=Fuzz.help)
        Fuzz.add_arguments(fuzz)
        fuzz.set_defaults(_command=Fuzz)

    def run(self, args: argparse.Namespace) -> int:
        try:
            import uvicorn

            from srllm.serve.app import create_app
            from srllm.serve.settings import ServeSettings
        except ImportError as exc:
            raise CommandError(f"srllm serve needs the serve extra: pip install 'srllm[serve]' ({exc})") from None
        try:
            settings = ServeSettings.load(args.config, host=args.host, port=args.port, engine=args.engine,
                                          upstream_url=args.upstream_url, input_policy=args.input_policy,
                                          output_policy=args.output_policy, pipeline_config=args.pipeline_config)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=args.log_level,
                    timeout_keep_alive=30)
        return 0


class LoadTest(Command):
    name = "loadtest"
    help = "loopback load test: concurrent clients against /v1/classify and /v1/rewrite for a bounded time"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--url", default=None, help="a running server on loopback (default: spawn one)")
        parser.add_argument("--engine", dest="load_engine", choices=("default", "lite"), default="lite",
                            help="engine of the spawned server (default lite)")
        parser.add_argument("--pipeline-config", dest="load_pipeline_config", default=None, metavar="YAML",
                            help="the spawned server's --pipeline-config (default: the shipped pipeline)")
        parser.add_argument("--duration", type=float, default=60.0, help="seconds (at most 600; default 60)")
        parser.add_argument("--classify-clients", type=int, default=50, help="concurrent /v1/classify clients (50)")
        parser.add_argument("--rewrite-clients", type=int, default=5, help="concurrent /v1/rewrite clients (5)")
        parser.add_argument("--moderate-clients", type=int, default=0, help="concurrent /v1/moderate clients (0)")
        parser.add_argument("--token", default=None, help="bearer token of the server")
        parser.add_argument("--out", type=Path, default=None, help="write the JSON report here")
        parser.add_argument("--max-errors", type=int, default=0, help="exit 1 when more requests fail (default 0)")
        parser.add_argument("--client", default="auto", choices=("auto", "aiohttp", "httpx"),
                            help="HTTP client library of the load generator (auto: aiohttp when installed, it takes "
                                 "a fraction of httpx's CPU from the cores the server shares)")
        parser.add_argument("--rewrite-batch", type=int, default=0,
                            help="after the clients, send one /v1/rewrite request with this many texts (default 0: none)")

    def run(self, args: argparse.Namespace) -> int:
        import asyncio
        import contextlib
        import time

        from srllm.serve.loadtest import (Scenario, SpawnedServer, client_library, format_table, report, rewrite_batch,
                                          run_load)

        scenarios = [Scenario(p, n) for p, n in (("/v1/classify", args.classify_clients),
                                                 ("/v1/rewrite", args.rewrite_clients),
                                                 ("/v1/moderate", args.moderate_clients)) if n > 0]
        if not scenarios:
            raise CommandError("no clients: give --classify-clients, --rewrite-clients or --moderate-clients")
        extra = ["--pipeline-config", args.load_pipeline_config] if args.load_pipeline_config else []
        server = SpawnedServer(args.load_engine, extra) if args.url is None else contextlib.nullcontext()
        try:
            with server as spawned:
                url = args.url or spawned.url
                cpu_before = spawned.cpu_seconds() if spawned else None
                client_before = time.process_time()
                results = asyncio.run(run_load(url, scenarios, args.duration, token=args.token, client=args.client))
                client_cpu = round(time.process_time() - client_before, 2)
                cpu_after = spawned.cpu_seconds() if spawned else None
                batch = rewrite_batch(url, args.rewrite_batch, args.token) if args.rewrite_batch > 0 else None
        except (ValueError, RuntimeError, TimeoutError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        print(format_table(results))
        server_cpu = round(cpu_after - cpu_before, 2) if cpu_before is not None and cpu_after is not None else None
        data = report(results, url=url, engine=args.load_engine if args.url is None else None,
                      pipeline_config=args.load_pipeline_config if args.url is None else None,
                      duration_s=args.duration, server_cpu_s=server_cpu, client_cpu_s=client_cpu,
                      client=client_library(args.client), rewrite_batch=batch)
        print(f"machine: {data['machine']}; CPU seconds during the test: server {server_cpu}, clients {client_cpu}")
        if batch is not None:
            print(f"/v1/rewrite with {batch['texts']} texts in one request: {batch['status']} in {batch['seconds']} s")
            data["total_errors"] += batch["status"] != 200
        if args.out is not None:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            print(f"report: {args.out}")
        return 1 if data["total_errors"] > args.max_errors else 0


class Fuzz(Command):
    name = "fuzz"
    help = ("loopback HTTP fuzz: malformed requests over every endpoint of a spawned server; fails on any 5xx, "
            "any 4xx that names no field, or a traceback in the server log")

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--requests", type=int, default=10_000, help="how many requests (default 10000)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--engine", dest="fuzz_engine", choices=("default", "lite"), default="lite",
                            help="engine of the spawned server (default lite)")
        parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
        parser.add_argument("--log", type=Path, default=Path("build/fuzz-http-server.log"), help="the server's log")
        parser.add_argument("--out", type=Path, default=None, help="write the JSON report here")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.serve.fuzz import report_dict, run_fuzz

        try:
            result = run_fuzz(args.requests, args.seed, args.fuzz_engine, args.concurrency, args.log)
        except (ValueError, RuntimeError, TimeoutError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        data = report_dict(result)
        print(f"{result.requests} requests in {result.duration_s} s: statuses {result.statuses}; "
              f"5xx {result.server_errors}, 4xx naming no field {result.unnamed_4xx}, "
              f"tracebacks in the server log {result.tracebacks} ({args.log})")
        for sample in result.samples:
            print("  " + sample)
        if args.out is not None:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        return 0 if result.ok else 1


SERVE_COMMANDS: list[type[Command]] = [Serve]
