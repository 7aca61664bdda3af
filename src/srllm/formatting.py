"""One way to print numbers in reports, tables and logs (a neutral module).

Worked examples: ``number(0.12345, 3)`` -> "0.123"; ``number(None)`` and ``number(float("nan"))`` ->
"-"; ``ci(12.5, (10.0, 15.0))`` -> "12.5 [10.0, 15.0]"; ``p_value(0.0004)`` -> "<0.001".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

MISSING = "-"


def number(value: Any, digits: int = 1) -> str:
    """A float with `digits` decimals; ints, bools and strings as they are; None / NaN as "-"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def ci(value: Any, interval: Sequence[Any] | None, digits: int = 1) -> str:
    """``value [low, high]``; the value alone when the interval is missing."""
    if value is None:
        return MISSING
    if not interval or interval[0] is None:
        return number(value, digits)
    return f"{number(value, digits)} [{number(interval[0], digits)}, {number(interval[1], digits)}]"


def p_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def short(value: Any) -> str:
    """Three significant digits for floats (log lines), anything else as str."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def quote(text: str, limit: int = 200) -> str:
    """A text for a Markdown table cell: pipes escaped, newlines flattened, cut at `limit`."""
    text = text.replace("|", "\\|").replace("\n", " ")
    return f"“{text[:limit]}{'…' if len(text) > limit else ''}”"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A Markdown table as lines (followed by a blank line); "(no rows)" when empty."""
    if not rows:
        return ["(no rows)", ""]
    return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers),
            *("| " + " | ".join(str(c) for c in row) + " |" for row in rows), ""]
