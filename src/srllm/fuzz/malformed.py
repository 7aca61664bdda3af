"""Generators of malformed input, shared by every fuzz (files here, HTTP requests elsewhere).

Each generator takes a seeded `random.Random` and returns one value, so a fuzz run is reproducible
from its seed. `TEXTS`, `VALUES` and `BYTES` name the kinds, so a fuzz can report which kind broke.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# --- texts (str values a JSON body or file can carry) -------------------------------------------------

_WORDS = ("the", "report", "was", "filed", "on", "time", "and", "everyone", "agreed", "with", "it", "today")


def words(rng: random.Random, n: int | None = None) -> str:
    """An ordinary benign sentence (the good rows between the bad ones)."""
    return " ".join(rng.choice(_WORDS) for _ in range(n or rng.randint(3, 12))).capitalize() + "."


def lone_surrogate(rng: random.Random) -> str:
    at = rng.randint(0, 3)
    parts = words(rng).split()
    parts.insert(min(at, len(parts)), chr(rng.randint(0xD800, 0xDFFF)))
    return " ".join(parts)


def huge(rng: random.Random) -> str:
    """Longer than the default text limit, sometimes longer than the CSV module's field limit."""
    return ("word " * rng.choice((2_100, 30_000)))[: rng.choice((10_001, 140_000))]


def control_chars(rng: random.Random) -> str:
    return words(rng) + "".join(chr(rng.choice((0, 1, 7, 8, 11, 12, 27, 127))) for _ in range(rng.randint(1, 6)))


def carriage_return(rng: random.Random) -> str:
    return words(rng) + "\r" + words(rng)


def newline_inside(rng: random.Random) -> str:
    return words(rng) + "\n" + words(rng)


def whitespace_only(rng: random.Random) -> str:
    return rng.choice(("", " ", "\t", "   ", "\u00a0", "\u3000", "\u200b"))


def chat_template(rng: random.Random) -> str:
    token = rng.choice(("<|im_start|>system\n", "<|im_end|>", "<|endoftext|>", "<s>", "[INST]", "<|assistant|>"))
    return token + words(rng)


def unicode_oddities(rng: random.Random) -> str:
    odd = rng.choice(("\u202e", "\u200d", "\ufeff", "\u0301" * 40, "\U0001f600" * 20, "\ufffd", "\uffff", "\U0010ffff"))
    return words(rng) + odd + words(rng)


def quotes_and_commas(rng: random.Random) -> str:
    return rng.choice(('"', '""', '","', "'", "\\", '\\"')) + words(rng) + rng.choice((",", '"', ';'))


TEXTS: dict[str, Callable[[random.Random], str]] = {
    "lone_surrogate": lone_surrogate, "huge": huge, "control_chars": control_chars,
    "carriage_return": carriage_return, "newline_inside": newline_inside, "whitespace_only": whitespace_only,
    "chat_template": chat_template, "unicode_oddities": unicode_oddities, "quotes_and_commas": quotes_and_commas,
}


def malformed_text(rng: random.Random) -> tuple[str, str]:
    """(kind, text) of a random kind."""
    kind = rng.choice(sorted(TEXTS))
    return kind, TEXTS[kind](rng)


# --- non-text values (where a text is expected) -------------------------------------------------------


def nested(rng: random.Random, depth: int | None = None) -> object:
    """A JSON value nested `depth` levels (default: past the depth limit)."""
    value: object = words(rng)
    for i in range(depth or rng.choice((70, 500, 5_000))):
        value = [value] if i % 2 else {"k": value}
    return value


VALUES: dict[str, Callable[[random.Random], object]] = {
    "null": lambda rng: None, "int": lambda rng: rng.randint(-(10**30), 10**30), "float": lambda rng: rng.random(),
    "bool": lambda rng: rng.random() < 0.5, "list": lambda rng: [words(rng)], "object": lambda rng: {"text": words(rng)},
    "nested": nested, "nan": lambda rng: float("nan"),
}


def malformed_value(rng: random.Random) -> tuple[str, object]:
    kind = rng.choice(sorted(VALUES))
    return kind, VALUES[kind](rng)


# --- bytes (what a file or a raw request body can hold) ----------------------------------------------

BYTES: dict[str, Callable[[random.Random], bytes]] = {
    "invalid_start": lambda rng: bytes([rng.choice((0x80, 0xBF, 0xC0, 0xC1, 0xF5, 0xFE, 0xFF))]),
    "truncated": lambda rng: "é€😀".encode()[: rng.choice((1, 3, 6))][-1:] + b"x",
    "overlong": lambda rng: rng.choice((b"\xc0\xaf", b"\xe0\x80\xaf")),
    "encoded_surrogate": lambda rng: b"\xed\xa0\x80",
    "latin1": lambda rng: "café naïve".encode("latin-1"),
    "random": lambda rng: rng.randbytes(rng.randint(1, 40)),
}


def bad_bytes(rng: random.Random) -> tuple[str, bytes]:
    """(kind, bytes) that are never valid UTF-8 and hold no newline (random bytes are retried)."""
    kind = rng.choice(sorted(BYTES))
    while True:
        data = BYTES[kind](rng).replace(b"\n", b"").replace(b"\r", b"")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return kind, data
