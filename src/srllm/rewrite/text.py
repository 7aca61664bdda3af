"""Text handling around the rewriter: input checks, sentence chunking, language guess, prompt-safe
text, reply detection and the conservative span edit.

Defined behaviour for awkward input (the pipeline applies these; see `srllm.rewrite.pipeline`):

- ``bytes``: decoded as strict UTF-8; bytes that are not UTF-8 raise `InputError` naming the offset.
  Any other non-string raises `InputError`.
- Control characters (C0/C1 except tab and newline, and NUL) are removed before anything else.
- Empty or whitespace-only text: returned unchanged, decision ``kept``, no model is called.
- Long text (over `max_chars`): split into sentences, one chunk each (a sentence longer than
  `max_chars` is split at word boundaries); each chunk is processed on its own, so benign sentences
  are kept verbatim, and the outputs are joined in the original order with the original separators.
- Non-English text (`looks_english` is False): classified as usual, but never sent to the English
  rewriter; an unsafe chunk gets the conservative edit and a warning says why.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: What replaces a flagged word in the ``mask`` fallback.
MASK = "[…]"

_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"'”’)\]]*\s+")
_WORD = re.compile(r"\S+")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_ENGLISH_FUNCTION_WORDS = frozenset(
    ["a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "am", "i", "you", "he", "she", "it", "we", "they", "me", "him", "her", "us", "them", "my", "your", "his", "its", "our", "their", "this", "that", "these", "those", "not", "no", "do", "does", "did", "have", "has", "had", "will", "would", "can", "could", "should", "so", "just", "what", "who", "why", "how", "all", "some", "any", "there", "here", "than", "then", "too", "very", "up", "out", "about", "like", "get", "got", "go", "dont", "don't", "im", "i'm", "u", "ur", "lol"]
)

#: Openings of an assistant's reply rather than a rewrite: a rewriter that answers or obeys the text.
_REPLY_OPENINGS = re.compile(
    r"^\s*(sure[,!.]|certainly[,!.]|of course[,!.]|okay[,!.,]|ok[,!.]|here(?: is|'s| are) |as an ai\b|"
    r"i(?:'m| am) sorry\b|i can(?:'t|not) |i won't |i will not |i apologi[sz]e\b|absolutely[,!.])",
    re.IGNORECASE,
)


class InputError(ValueError):
    """Input that is not text; the message says what was wrong and where."""


def to_text(value: Any) -> str:
    """`value` as a clean string: bytes decoded as strict UTF-8, control characters removed."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"input is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start}") from None
    if not isinstance(value, str):
        raise InputError(f"input must be str or UTF-8 bytes, got {type(value).__name__}")
    return "".join(ch for ch in value if ch in "\t\n" or unicodedata.category(ch) not in ("Cc", "Cs"))


def looks_english(text: str) -> bool:
    """A cheap guess, good enough to keep non-English text away from an English-only rewriter:
    False when under half of the letters are Latin, or when a text of 8+ words has no common
    English function word. Shorter Latin-script texts count as English (toxic posts are often
    telegraphic)."""
    letters = _LETTER.findall(text)
    if not letters:
        return True
    latin = sum(1 for ch in letters if ch.isascii() or "LATIN" in unicodedata.name(ch, ""))
    if latin < len(letters) / 2:
        return False
    words = [w.strip(".,!?;:\"'()").casefold() for w in text.split()]
    words = [w for w in words if w]
    if len(words) < 8:
        return True
    return any(w in _ENGLISH_FUNCTION_WORDS for w in words)


@dataclass(frozen=True)
class Chunk:
    """``text[start:end]`` of the input, plus the separator that followed it."""

    start: int
    end: int
    text: str
    tail: str


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, ends after the closing punctuation (and quotes)."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + len(match.group(0).rstrip())
        if text[start:end].strip():
            spans.append((start + len(text[start:end]) - len(text[start:end].lstrip()), end))
        start = match.end()
    if text[start:].strip():
        spans.append((start + len(text[start:]) - len(text[start:].lstrip()), len(text.rstrip())))
    return spans


def _split_words(start: int, end: int, text: str, max_chars: int) -> list[tuple[int, int]]:
    pieces, piece_start, piece_end = [], None, None
    for match in _WORD.finditer(text, start, end):
        if piece_start is not None and match.end() - piece_start > max_chars:
            pieces.append((piece_start, piece_end))
            piece_start = None
        if piece_start is None:
            piece_start = match.start()
        piece_end = match.end()
    if piece_start is not None:
        pieces.append((piece_start, piece_end))
    return pieces


def chunk_text(text: str, max_chars: int = 400) -> list[Chunk]:
    """The text whole when it is at most `max_chars` long, else one chunk per sentence (a sentence
    longer than `max_chars` split between words), in order. Joining ``chunk.text + chunk.tail``
    over all chunks gives back the input without its leading whitespace."""
    if max_chars < 20:
        raise ValueError(f"max_chars must be at least 20, got {max_chars}")
    body_start = len(text) - len(text.lstrip())
    if len(text.strip()) <= max_chars:
        end = len(text.rstrip())
        return [Chunk(body_start, end, text[body_start:end], text[end:])]
    units: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        units.extend(_split_words(start, end, text, max_chars) if end - start > max_chars else [(start, end)])
    chunks = []
    for i, (start, end) in enumerate(units):
        next_start = units[i + 1][0] if i + 1 < len(units) else len(text)
        chunks.append(Chunk(start, end, text[start:end], text[end:next_start]))
    return chunks


def neutralise_special_tokens(text: str, specials: Sequence[str]) -> str:
    """`text` with every special-token string (e.g. ``<|im_start|>``, ``[INST]``) broken by a space
    after its first character, so text inside a prompt can never open or close a turn."""
    for token in sorted({s for s in specials if s and len(s) > 1}, key=len, reverse=True):
        if token in text:
            text = text.replace(token, f"{token[0]} {token[1:]}")
    return text


def looks_like_reply(source: str, output: str) -> bool:
    """True when `output` opens like an assistant's answer ("Sure, ...", "I'm sorry, ...", "Here
    is ...") and `source` did not: the rewriter answered or obeyed the text instead of rewriting it."""
    return bool(_REPLY_OPENINGS.match(output)) and not _REPLY_OPENINGS.match(source)


def edit_spans(text: str, spans: Sequence[tuple[int, int]], mode: str = "mask") -> str:
    """`text` with each (start, end) span masked (``mask``: replaced by `MASK`) or deleted
    (``remove``: with the spaces around it merged). Overlapping spans are merged first."""
    if mode not in ("mask", "remove"):
        raise ValueError(f"mode {mode!r} is not one of ['mask', 'remove']")
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        if mode == "mask":
            text = text[:start] + MASK + text[end:]
        else:
            left, right = text[:start].rstrip(" "), text[end:].lstrip(" ")
            text = f"{left} {right}" if left and right and right[0].isalnum() else left + right
    return text.strip() if mode == "remove" else text
