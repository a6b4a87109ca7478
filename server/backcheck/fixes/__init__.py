"""Quick fixes: libcst transformers that rewrite one file, turned into minimal text edits. Built only
when asked for (a code action, `--format json`), never during detection."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass(slots=True)
class Edit:
    """Replace the text between two positions (1-based lines, 0-based code-point columns)."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str

    def as_json(self) -> dict:
        return {"line": self.line, "column": self.col + 1, "end_line": self.end_line,
                "end_column": self.end_col + 1, "text": self.text}


@dataclass(slots=True)
class Fix:
    title: str
    applicability: str  # "safe" or "unsafe"
    edits: list[Edit]
    # a file the fix creates (a test stub), path relative to the root, with its content
    new_files: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        out = {"title": self.title, "applicability": self.applicability, "edits": [e.as_json() for e in self.edits]}
        if self.new_files:
            out["new_files"] = self.new_files
        return out


def diff_edit(old: str, new: str) -> Edit | None:
    """One edit that turns `old` into `new`, covering only the lines that differ."""
    if old == new:
        return None
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    start = 0
    while start < min(len(old_lines), len(new_lines)) and old_lines[start] == new_lines[start]:
        start += 1
    end_old, end_new = len(old_lines), len(new_lines)
    while end_old > start and end_new > start and old_lines[end_old - 1] == new_lines[end_new - 1]:
        end_old -= 1
        end_new -= 1
    return Edit(start + 1, 0, end_old + 1, 0, "".join(new_lines[start:end_new]))


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits (used by tests and `fix all`)."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(line: int, col: int) -> int:
        if line - 1 >= len(lines):
            return len(text)
        return offsets[line - 1] + col

    for edit in sorted(edits, key=lambda e: (e.line, e.col), reverse=True):
        start, end = offset(edit.line, edit.col), offset(edit.end_line, edit.end_col)
        text = text[:start] + edit.text + text[end:]
    return text


def diff_edits(old: str, new: str) -> list[Edit]:
    """Line-level edits, one per changed hunk, that turn `old` into `new`."""
    import difflib

    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    edits = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            edits.append(Edit(i1 + 1, 0, i2 + 1, 0, "".join(new_lines[j1:j2])))
    return edits


def from_rewrite(title: str, applicability: str, old: str, new: str | None) -> Fix | None:
    """A Fix from a whole-file rewrite, dropped when the result does not parse."""
    if new is None or new == old:
        return None
    try:
        ast.parse(new)
    except SyntaxError:
        return None
    edits = diff_edits(old, new)
    if not edits or apply_edits(old, edits) != new:
        edit = diff_edit(old, new)
        edits = [edit] if edit else []
    return Fix(title, applicability, edits) if edits else None
