"""Server settings: defaults, then a YAML file, then ``SRLLM_SERVE_*`` environment variables, then
explicit overrides (command-line flags). Validated on construction with messages naming the field."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "SRLLM_SERVE_"
ENGINES = ("default", "lite")
INPUT_POLICIES = ("block", "rewrite", "pass")
OUTPUT_POLICIES = ("rewrite", "block", "pass")
FLAG_POLICIES = ("block", "flag", "pass")


@dataclass(frozen=True)
class ServeSettings:
    """Everything `srllm serve` can be told. Sizes are bytes / characters, times seconds."""

    host: str = "127.0.0.1"
    port: int = 8000
    #: "default" (trained classifier + safety pipeline) or "lite" (profanity-check + VADER)
    engine: str = "default"
    #: bearer token required on /v1/* when set (the page asks for it); None: open
    token: str | None = None
    max_body_bytes: int = 1_000_000
    max_texts: int = 64
    max_text_chars: int = 10_000
    #: characters of one chat message sent to /v1/chat/completions
    max_message_chars: int = 40_000
    #: seconds a request may wait for its result before 408
    request_timeout_s: float = 30.0
    #: texts waiting in a queue beyond which new requests get 503
    max_queue: int = 2048
    batch_size: int = 32
    batch_wait_ms: float = 5.0
    #: model worker processes for classify batches (0: one thread of the server process)
    workers: int = 1
    #: model worker processes for rewrite batches (0: one thread of the server process)
    rewrite_workers: int = 1
    #: a rewrite request may take request_timeout_s or this many seconds per text, whichever is more
    rewrite_timeout_per_text_s: float = 10.0
    #: preload the engine at start-up (readyz is 503 until it is loaded)
    preload: bool = True
    #: the default engine's safety pipeline: a YAML file as `srllm rewrite --config` reads
    #: (configs/safety-pipeline-fast.yaml: the fast tier only); None: the shipped defaults
    pipeline_config: str | None = None
    # --- the OpenAI-compatible guard
    upstream_url: str | None = None
    upstream_api_key: str | None = None
    #: seconds for the upstream's answer, and for the local chat model's (its first use loads it)
    upstream_timeout_s: float = 60.0
    chat_model: str = "smollm2-135m-instruct"
    chat_max_tokens: int = 128
    input_policy: str = "rewrite"
    output_policy: str = "rewrite"
    #: jailbreak / prompt-injection requests (srllm.serve.injection): block, flag (forward, report) or pass
    injection_policy: str = "block"
    #: text the English models cannot judge (srllm.language): block, flag (forward, report) or pass
    language_policy: str = "flag"
    block_message: str = "I can't help with that request as written. Please rephrase it respectfully."

    def __post_init__(self) -> None:
        choices = (("engine", ENGINES), ("input_policy", INPUT_POLICIES), ("output_policy", OUTPUT_POLICIES),
                   ("injection_policy", FLAG_POLICIES), ("language_policy", FLAG_POLICIES))
        for name, allowed in choices:
            if getattr(self, name) not in allowed:
                raise ValueError(f"serve setting {name}={getattr(self, name)!r}: expected one of {list(allowed)}")
        for name in ("port", "max_body_bytes", "max_texts", "max_text_chars", "max_message_chars", "max_queue",
                     "batch_size", "chat_max_tokens"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"serve setting {name}={getattr(self, name)!r}: must be a positive integer")
        for name in ("workers", "rewrite_workers"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"serve setting {name}={getattr(self, name)!r}: must be 0 or more")
        for name in ("request_timeout_s", "upstream_timeout_s", "rewrite_timeout_per_text_s"):
            if float(getattr(self, name)) <= 0:
                raise ValueError(f"serve setting {name}={getattr(self, name)!r}: must be positive")
        if self.batch_wait_ms < 0:
            raise ValueError(f"serve setting batch_wait_ms={self.batch_wait_ms!r}: must be >= 0")
        if self.upstream_url is not None and not self.upstream_url.startswith(("http://", "https://")):
            raise ValueError(f"serve setting upstream_url={self.upstream_url!r}: must start with http:// or https://")
        if self.pipeline_config is not None:
            from srllm.rewrite.config import read_pipeline_file

            try:
                read_pipeline_file(self.pipeline_config)
            except ValueError as exc:
                raise ValueError(f"serve setting pipeline_config: {exc}") from None

    @classmethod
    def load(
        cls,
        config: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> ServeSettings:
        """Defaults < YAML `config` < ``SRLLM_SERVE_<FIELD>`` variables in `env` < `overrides` (None skipped)."""
        values: dict[str, Any] = {}
        if config is not None:
            values.update(_read_yaml(Path(config)))
        env = os.environ if env is None else env
        for f in fields(cls):
            key = ENV_PREFIX + f.name.upper()
            if key in env:
                values[f.name] = env[key]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**_coerce(values))

    def public(self) -> dict[str, Any]:
        """The settings without secrets (for logs and /readyz)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["token"] = "set" if self.token else None
        out["upstream_api_key"] = "set" if self.upstream_api_key else None
        return out


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a serve config must be a mapping of setting: value")
    data = data.get("serve", data)
    return dict(data)


def _coerce(values: Mapping[str, Any]) -> dict[str, Any]:
    """Convert strings (from env or YAML) to each field's type; unknown names are an error."""
    known = {f.name: f for f in fields(ServeSettings)}
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in known:
            raise ValueError(f"unknown serve setting {name!r}; expected one of {sorted(known)}")
        default = known[name].default
        if isinstance(value, str):
            if isinstance(default, bool):
                lowered = value.strip().lower()
                if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError(f"serve setting {name}={value!r}: expected true or false")
                value = lowered in ("1", "true", "yes", "on")
            elif isinstance(default, int):
                try:
                    value = int(value)
                except ValueError:
                    raise ValueError(f"serve setting {name}={value!r}: expected an integer") from None
            elif isinstance(default, float):
                try:
                    value = float(value)
                except ValueError:
                    raise ValueError(f"serve setting {name}={value!r}: expected a number") from None
            elif value == "" and default is None:
                value = None
        out[name] = value
    return out
