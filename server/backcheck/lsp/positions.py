"""Positions between the engine and the editor.

The engine speaks `ast`: 1-based lines and UTF-8 *byte* columns (fix edits use code points). LSP
speaks 0-based lines and columns in the encoding negotiated at start-up: UTF-16 code units for VS
Code, UTF-8 bytes for Neovim (which offers it first), UTF-32 for a few others. Lines are split the
way both `ast` and LSP split them (`\\r\\n`, `\\r`, `\\n` only), never with `str.splitlines`, which
also breaks on form feeds and U+2028 and would shift every line after one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types

from backcheck.diagnostics import Finding
from backcheck.fixes import Edit

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The lines of a text without their line endings; a trailing newline gives a last empty line."""
    return LINE_BREAK.split(text)


def split_lines_keepends(text: str) -> list[str]:
    """The lines of a text with their line endings kept (no empty last line after a final newline)."""
    if not text:
        return []
    lines: list[str] = []
    start = 0
    for match in LINE_BREAK.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def byte_to_char(line: str, byte_col: int) -> int:
    """A UTF-8 byte offset within a line as a code-point offset (clamped; never raises)."""
    if byte_col <= 0:
        return 0
    if line.isascii():
        return min(byte_col, len(line))
    seen = 0
    for index, char in enumerate(line):
        point = ord(char)
        seen += 1 if point < 0x80 else 2 if point < 0x800 else 3 if point < 0x10000 else 4
        if seen > byte_col:
            return index
    return len(line)


class Encoder:
    """Counts code units in the client's position encoding."""

    def __init__(self, encoding: str | None):
        value = str(getattr(encoding, "value", encoding) or "utf-16").lower()
        self.encoding = value if value in ("utf-8", "utf-16", "utf-32") else "utf-16"

    def units(self, text: str) -> int:
        """How many client code units `text` takes."""
        if self.encoding == "utf-32" or text.isascii():
            return len(text)
        if self.encoding == "utf-8":
            return len(text.encode("utf-8", errors="surrogatepass"))
        return len(text.encode("utf-16-le", errors="surrogatepass")) // 2

    def to_client(self, line: str, char_col: int) -> int:
        """A code-point column in a line as a client column."""
        return self.units(line[: max(char_col, 0)])

    def from_client(self, line: str, column: int) -> int:
        """A client column in a line as a code-point column (clamped to the line; never inside a character)."""
        if column <= 0:
            return 0
        if self.encoding == "utf-32" or line.isascii():
            return min(column, len(line))
        seen = 0
        for index, char in enumerate(line):
            if seen >= column:
                return index
            seen += self.units(char)
        return len(line)

    def position(self, lines: Sequence[str], line: int, char_col: int) -> types.Position:
        """An LSP position for a 0-based line and a code-point column (clamped to the text)."""
        if line >= len(lines):
            if not lines:
                return types.Position(0, 0)
            last = len(lines) - 1
            return types.Position(last, self.units(_strip_eol(lines[last])))
        text = _strip_eol(lines[max(line, 0)])
        return types.Position(max(line, 0), self.to_client(text, min(char_col, len(text))))


def _strip_eol(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith(("\n", "\r")):
        return line[:-1]
    return line


def line_text(lines: Sequence[str], index: int) -> str:
    """Line `index` (0-based) without its ending, or "" past the end."""
    return _strip_eol(lines[index]) if 0 <= index < len(lines) else ""


def finding_range(encoder: Encoder, lines: Sequence[str], finding: Finding) -> types.Range:
    """The LSP range of a finding, its byte columns converted through the text of its lines."""
    start_line = max(finding.line - 1, 0)
    end_line = max(finding.end_line - 1, start_line)
    start_char = byte_to_char(line_text(lines, start_line), finding.col)
    end_char = byte_to_char(line_text(lines, end_line), finding.end_col)
    start = encoder.position(lines, start_line, start_char)
    end = encoder.position(lines, end_line, end_char)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start=start, end=end)


def edit_range(encoder: Encoder, lines: Sequence[str], edit: Edit) -> types.Range:
    """The LSP range an `Edit` (1-based lines, code-point columns) replaces; past the end means the end."""
    def at(line: int, col: int) -> types.Position:
        index = line - 1
        if index >= len(lines):
            # The position right after the last character of the text.
            if not lines:
                return types.Position(0, 0)
            last = lines[-1]
            if last != _strip_eol(last):
                return types.Position(len(lines), 0)
            return types.Position(len(lines) - 1, encoder.units(last))
        text = _strip_eol(lines[index])
        return types.Position(index, encoder.to_client(text, min(col, len(text))))

    return types.Range(start=at(edit.line, edit.col), end=at(edit.end_line, edit.end_col))


def char_offset(lines: Sequence[str], encoder: Encoder, position: types.Position) -> int:
    """The code-point offset into the whole text of an LSP position (`lines` keep their endings)."""
    if position.line >= len(lines):
        return sum(len(line) for line in lines)
    before = sum(len(line) for line in lines[: position.line])
    return before + encoder.from_client(_strip_eol(lines[position.line]), position.character)
