"""The request-text checks of the HTTP API, in one place (to be swapped for the shared input layer's
text check when there is one).

JSON may carry lone UTF-16 surrogates (``"\\ud800"``): Python accepts them as `str`, but they cannot
be encoded as UTF-8, so the tokenizer, the upstream request and the JSON answer would all fail.
A request string with one is a 422 naming the field; text from an upstream model has them
replaced with U+FFFD (and the guard reports how many).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def text_problem(text: str) -> str | None:
    """What makes `text` unusable, or None."""
    match = SURROGATE.search(text)
    if match is not None:
        return (f"lone surrogate U+{ord(match.group()):04X} at character {match.start()}: "
                "expected valid Unicode text (encodable as UTF-8)")
    return None


def string_errors(value: Any, loc: Sequence[str | int]) -> list[dict[str, Any]]:
    """Validation errors (FastAPI's shape) for every string in `value` (nested dicts / lists) or its
    keys with a problem, each located by its path."""
    errors: list[dict[str, Any]] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, tuple(loc))]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                errors.append({"loc": where, "type": "string_unicode", "msg": problem})
        elif isinstance(item, dict):
            for key, sub in item.items():
                if isinstance(key, str) and text_problem(key):
                    errors.append({"loc": where, "type": "string_unicode", "msg": f"key: {text_problem(key)}"})
                stack.append((sub, (*where, key)))
        elif isinstance(item, (list, tuple)):
            stack += [(sub, (*where, i)) for i, sub in enumerate(item)]
    return sorted(errors, key=lambda e: [str(p) for p in e["loc"]])


def clean_text(text: str) -> tuple[str, int]:
    """`text` with lone surrogates replaced by U+FFFD, and how many there were."""
    cleaned, n = SURROGATE.subn(REPLACEMENT, text)
    return cleaned, n


#: the fields of a content part that carry text
TEXT_FIELDS = ("text", "refusal")


def chat_errors(request: Any) -> list[dict[str, Any]]:
    """Validation errors of a chat request (a `ChatRequest`): every content part needs a string
    ``type`` and string text fields, and no string anywhere may carry a lone surrogate."""
    errors: list[dict[str, Any]] = []
    for i, message in enumerate(request.messages):
        if not isinstance(message.content, list):
            continue
        for j, part in enumerate(message.content):
            where = ("body", "messages", i, "content", j)
            if not isinstance(part.get("type"), str):
                errors.append({"loc": (*where, "type"), "type": "string_type",
                               "msg": "every content part needs a string 'type' (e.g. \"text\")"})
            for key in TEXT_FIELDS:
                if key in part and not isinstance(part[key], str):
                    errors.append({"loc": (*where, key), "type": "string_type",
                                   "msg": f"expected a string, got {type(part[key]).__name__}"})
    return errors + string_errors(request.model_dump(exclude_none=True), ("body",))
