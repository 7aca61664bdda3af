"""Small text helpers shared by the evaluation adapters."""

from __future__ import annotations

import ast
import re

from srllm.data.sources.paradetox import clean

__all__ = ["clean", "parse_list", "snake_case"]


def snake_case(name: str) -> str:
    """A column name in snake_case: 'anti-stereotype' -> 'anti_stereotype', 'Unnamed: 0' -> 'unnamed_0'."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def parse_list(cell: str) -> list:
    """A Python-literal list stored as text in a CSV cell ("['a', 'b']"); an empty cell is []."""
    cell = cell.strip()
    if not cell:
        return []
    value = ast.literal_eval(cell)
    if not isinstance(value, list):
        raise ValueError(f"expected a list literal, got {cell[:60]!r}")
    return value
