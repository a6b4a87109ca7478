"""Findings as the engine produces them, and position helpers shared by every output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Related:
    """A place that explains part of a finding (an auth candidate a route was checked for)."""

    path: str  # relative to the project root, forward slashes
    line: int  # 1-based
    message: str


@dataclass(slots=True)
class Finding:
    """One checklist violation. Positions are as `ast` gives them: 1-based lines, 0-based UTF-8 byte
    columns; outputs convert them (the CLI to 1-based characters, the LSP to the client's encoding)."""

    code: str
    message: str
    path: str  # relative to the project root, forward slashes
    line: int
    col: int
    end_line: int
    end_col: int
    # the first line a suppression comment may sit on (a decorator above a handler), default `line`
    first_line: int = 0
    # hints the rule's fix builder reads (kept small and picklable)
    data: dict[str, Any] = field(default_factory=dict)
    # "error", "warning" or "info" when this finding differs from its rule's severity, else ""
    severity: str = ""
    # where the explanation of the finding lives (LSP relatedInformation, SARIF relatedLocations)
    related: list[Related] = field(default_factory=list)

    def severity_or(self, default: str) -> str:
        """This finding's severity: its own when set, else the rule's (`default`)."""
        return self.severity or default

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.col, self.code)


@dataclass(slots=True)
class FileError:
    """A file that could not be checked, with a message a person understands."""

    path: str
    message: str


def byte_to_char(line_text: str, byte_col: int) -> int:
    """Convert a UTF-8 byte offset within a line to a code-point offset."""
    if line_text.isascii():
        return byte_col
    return len(line_text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def char_to_utf16(line_text: str, char_col: int) -> int:
    """Convert a code-point offset within a line to UTF-16 code units."""
    if line_text.isascii():
        return char_col
    return sum(2 if ord(c) > 0xFFFF else 1 for c in line_text[:char_col])
