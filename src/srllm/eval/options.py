"""Typed benchmark options. A benchmark declares ``Options``, a dataclass subclass of `Options` whose
fields carry a default and ``help`` metadata; a suite file or ``--option BENCH.KEY=VALUE`` is
validated against it (pydantic's lax coercion: "30" -> 30, never 30 -> "a string"), and an unknown
key or a wrong type is an error naming the benchmark, the key and the allowed keys.

    @dataclass
    class Options(options.Options):
        max_new_tokens: int = option(30, "new tokens per continuation")
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from typing import Any


def option(default: Any, help: str) -> Any:
    """A dataclass field with a default and its help text (mutable defaults are copied per instance)."""
    if isinstance(default, (list, dict, set)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata={"help": help})
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass
class Options:
    """Base of every benchmark's options; `get` keeps ``ctx.options.get(key, default)`` working."""

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class UntypedOptions(dict):
    """The options of a benchmark that declares no ``Options`` class: taken as given, unchecked."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self)


def describe(options_cls: type | None) -> list[dict[str, Any]]:
    """Each option's name, type, default and help (for `srllm eval list`)."""
    if options_cls is None or not dataclasses.is_dataclass(options_cls):
        return []
    hints = typing.get_type_hints(options_cls)
    out = []
    for f in dataclasses.fields(options_cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        out.append({"name": f.name, "type": _type_name(hints[f.name]), "default": default, "help": f.metadata.get("help", "")})
    return out


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def build(benchmark: str, options_cls: type | None, values: dict[str, Any]) -> Options | UntypedOptions:
    """`values` checked and converted into the benchmark's options (defaults for the keys not given)."""
    from pydantic import TypeAdapter, ValidationError

    from srllm.eval.registry import BenchmarkError

    if options_cls is None:
        return UntypedOptions(values)
    hints = typing.get_type_hints(options_cls)
    known = [f.name for f in dataclasses.fields(options_cls)]
    converted = {}
    for key, value in values.items():
        if key not in known:
            close = difflib.get_close_matches(key, known, n=2)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise BenchmarkError(f"benchmark {benchmark!r}: unknown option {key!r}{hint} "
                                 f"(allowed: {', '.join(['n', *known])})")
        try:
            converted[key] = TypeAdapter(hints[key]).validate_python(value)
        except ValidationError as exc:
            raise BenchmarkError(f"benchmark {benchmark!r}: option {key!r} must be {_type_name(hints[key])}, got "
                                 f"{value!r} ({exc.errors()[0]['msg']})") from None
    return options_cls(**converted)
