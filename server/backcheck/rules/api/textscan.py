"""Cheap text pre-checks for rules that read a function's syntax tree themselves: find once per file the
lines where a pattern occurs, then look only at the functions that span one of them."""

from __future__ import annotations

import re
import weakref
from bisect import bisect_left
from collections.abc import Callable
from typing import Any


def match_lines(text: str, pattern: re.Pattern[str]) -> list[int]:
    """Sorted 1-based line numbers of every match of `pattern` in `text`."""
    lines: list[int] = []
    line, position = 1, 0
    for match in pattern.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def spans(lines: list[int], start: int, end: int) -> bool:
    """Whether one of the sorted `lines` lies between `start` and `end` (inclusive)."""
    index = bisect_left(lines, start)
    return index < len(lines) and lines[index] <= end


class PerFile:
    """A value a rule computes once per file being walked, keyed by the file's walk context (so several
    engines walking files at the same time, one per workspace thread, never see each other's value)."""

    def __init__(self, compute: Callable[[Any], Any]):
        self._compute = compute
        self._values: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    def get(self, ctx: Any) -> Any:
        try:
            return self._values[ctx]
        except KeyError:
            value = self._values[ctx] = self._compute(ctx)
            return value
