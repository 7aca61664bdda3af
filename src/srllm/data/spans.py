"""Character spans of the biased/toxic words of a text: `[start, end)` offsets into the text.

One definition is shared by the schema's validation, the adapters and the span head's data:
spans are sorted, non-overlapping, non-empty and inside the text; the biased words of a text
with spans are the words (`srllm.data.labels.words`) inside its spans, without case-insensitive
repeats, in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

Span = tuple[int, int]
#: a word: letters, digits, apostrophes and hyphens (one definition for biased words and spans)
WORD = re.compile(r"[\w'’-]+")
_SPACE = re.compile(r"\s+")


def check_spans(text: str, spans: Sequence[Sequence[int]]) -> list[Span]:
    """`spans` as (start, end) tuples; ValueError naming the first bad span and why."""
    out: list[Span] = []
    for i, span in enumerate(spans):
        if len(span) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in span):
            raise ValueError(f"span {i} {list(span)!r}: expected [start, end] with two integers")
        start, end = span
        if not 0 <= start < end <= len(text):
            raise ValueError(f"span {i} [{start}, {end}]: expected 0 <= start < end <= {len(text)} (the text's length)")
        if out and start < out[-1][1]:
            raise ValueError(f"span {i} [{start}, {end}]: spans must be sorted and non-overlapping "
                             f"(previous span ends at {out[-1][1]})")
        out.append((start, end))
    return out


def merge_spans(spans: Iterable[Sequence[int]]) -> list[Span]:
    """Sorted spans with overlapping or touching ones joined."""
    out: list[list[int]] = []
    for start, end in sorted((int(s), int(e)) for s, e in spans if e > s):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def spans_from_offsets(offsets: Iterable[int]) -> list[Span]:
    """Contiguous runs of character offsets (SemEval-2021 Task 5 style) as spans: [3,4,5,9] -> [(3,6), (9,10)]."""
    return merge_spans((o, o + 1) for o in set(offsets))


def trim_spans(text: str, spans: Iterable[Sequence[int]]) -> list[Span]:
    """Spans clipped to the text, with whitespace and punctuation at their edges removed; empty ones dropped."""
    out = []
    for start, end in merge_spans(spans):
        start, end = max(start, 0), min(end, len(text))
        while start < end and not (text[start].isalnum() or text[start] in "'’-"):
            start += 1
        while end > start and not (text[end - 1].isalnum() or text[end - 1] in "'’-"):
            end -= 1
        if start < end:
            out.append((start, end))
    return merge_spans(out)


def span_words(text: str, spans: Iterable[Sequence[int]]) -> list[str]:
    """The words inside `spans`, in order, without case-insensitive repeats."""
    out: list[str] = []
    seen: set[str] = set()
    for start, end in spans:
        for word in WORD.findall(text[start:end]):
            if word.lower() not in seen:
                seen.add(word.lower())
                out.append(word)
    return out


def fold_whitespace(text: str, spans: Iterable[Sequence[int]] = ()) -> tuple[str, list[Span]]:
    """`text` with every run of whitespace folded to one space and the ends trimmed, and `spans`
    moved to the same characters of the folded text."""
    pieces: list[str] = []
    new_index: list[int] = []  # old offset -> offset in the folded text
    pos = 0
    last = 0
    for match in _SPACE.finditer(text):
        chunk = text[last:match.start()]
        new_index.extend(range(pos, pos + len(chunk)))
        pieces.append(chunk)
        pos += len(chunk)
        new_index.extend([pos] * (match.end() - match.start()))
        if pieces and pos > 0 and match.end() < len(text):
            pieces.append(" ")
            pos += 1
        last = match.end()
    chunk = text[last:]
    new_index.extend(range(pos, pos + len(chunk)))
    pieces.append(chunk)
    folded = "".join(pieces)  # no space is emitted before the first or after the last character
    moved = [(new_index[start], new_index[end - 1] + 1) for start, end in spans]
    return folded, trim_spans(folded, moved)
