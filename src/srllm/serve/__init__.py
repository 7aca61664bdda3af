"""Serving: the moderation HTTP API, the OpenAI-compatible guard and the web page (`srllm serve`).

Needs the ``serve`` extra (fastapi, uvicorn, httpx; alt-profanity-check for the lite engine).
"""

from __future__ import annotations

from srllm.serve.settings import ServeSettings

__all__ = ["ServeSettings", "create_app"]


def create_app(*args, **kwargs):  # type: ignore[no-untyped-def]
    """`srllm.serve.app.create_app` (imported lazily: fastapi is an optional dependency)."""
    from srllm.serve.app import create_app as _create

    return _create(*args, **kwargs)
