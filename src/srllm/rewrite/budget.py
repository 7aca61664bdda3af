"""The time budget of the safety pipeline: seconds of work per text, and how many chunks the next
generation call may take so that it ends within the budget."""

from __future__ import annotations


class Budget:
    """Seconds spent per text; a text is out of time once it spent `limit` (0: never), or when the
    next generation call would, by the pace (seconds per chunk) seen so far for that kind of call."""

    PROBE = 4  #: chunks in the first call of a long round, before any pace is known

    def __init__(self, limit: float):
        self.limit = limit
        self.spent: dict[int, float] = {}
        self.pace: dict[tuple[str, int], float] = {}

    def charge(self, texts: set[int], seconds: float) -> None:
        for i in texts:
            self.spent[i] = self.spent.get(i, 0.0) + seconds

    def out(self, text_index: int, pace: float | None = None) -> bool:
        left = self.limit - self.spent.get(text_index, 0.0)
        return self.limit > 0 and (left <= 0 or (pace is not None and left < pace))

    def group_size(self, text_index: int, key: tuple[str, int], base: int, pending: int) -> int:
        """How many chunks the next call may take so that it ends within the text's budget."""
        if self.limit <= 0 or pending <= base:
            return base
        pace = self.pace.get(key)
        if pace is None:
            return min(base, self.PROBE)
        return max(1, min(base, int((self.limit - self.spent.get(text_index, 0.0)) / pace)))
