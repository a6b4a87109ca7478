"""Cheap text pre-checks for rules that read a function's syntax tree themselves: find once per file the
lines where a pattern occurs, then look only at the functions that span one of them."""

from __future__ import annotations

import re
from bisect import bisect_left


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
