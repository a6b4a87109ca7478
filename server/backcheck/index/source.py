"""Reading and parsing one source file, with a clear message for anything that is not checkable Python."""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass

# The newest grammar libcst is asked to accept when the running interpreter's `ast` refuses a file.
NEWEST_GRAMMAR = "3.14"


class SourceError(Exception):
    """A file that cannot be checked; the message is meant for a person."""


@dataclass(slots=True)
class Parsed:
    """A parsed module and how it was obtained."""

    tree: ast.Module
    text: str
    # Set when the file needed libcst's newer grammar and was rewritten for the running `ast`.
    downgraded: bool = False


def decode(data: bytes, max_bytes: int) -> str:
    """Decode file bytes as Python source, refusing binaries, oversized files and bad encodings."""
    if len(data) > max_bytes:
        raise SourceError(
            f"skipped: {len(data) / 1_000_000:.1f} MB is over the {max_bytes / 1_000_000:.1f} MB limit "
            "(raise [tool.backcheck] max_file_bytes to check it)"
        )
    if b"\x00" in data[:8192]:
        raise SourceError("skipped: this looks like a binary file, not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        # no usable coding cookie: the bytes must be UTF-8, and decoding says where they are not
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        where = f" at byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else ""
        raise SourceError(
            f"skipped: the file is not valid {encoding}{where}; save it as UTF-8 or declare its "
            "encoding with a `# -*- coding: ... -*-` line"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def parse(text: str, filename: str = "<unknown>") -> Parsed:
    """Parse with the running interpreter's `ast`; fall back to libcst's newer grammar."""
    try:
        return Parsed(ast.parse(text, filename=filename, type_comments=False), text)
    except SyntaxError as exc:
        first_error = exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise SourceError(f"cannot parse: {exc}") from None
    rewritten = _downgrade(text)
    if rewritten is not None:
        try:
            return Parsed(ast.parse(rewritten, filename=filename), text, downgraded=True)
        except (SyntaxError, ValueError, RecursionError):
            pass
    line = first_error.lineno or 0
    raise SourceError(f"syntax error at line {line}: {first_error.msg}")


def _downgrade(text: str) -> str | None:
    """Rewrite newer-grammar constructs (3.12+ type parameters, 3.14 unparenthesised `except A, B`) so
    the running `ast` can read the file; line numbers are kept. None when libcst cannot parse it either."""
    import libcst as cst  # imported lazily: detection never needs it unless a file is newer Python

    try:
        module = cst.parse_module(text, config=cst.PartialParserConfig(python_version=NEWEST_GRAMMAR))
    except Exception:  # libcst raises several parser error types; any of them means "not Python"
        return None

    class Downgrade(cst.CSTTransformer):
        def leave_ExceptHandler(self, original, updated):
            if isinstance(updated.type, cst.Tuple) and not updated.type.lpar:
                return updated.with_changes(
                    type=updated.type.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                )
            return updated

        def leave_ExceptStarHandler(self, original, updated):
            return self.leave_ExceptHandler(original, updated)

        def leave_FunctionDef(self, original, updated):
            return updated.with_changes(type_parameters=None) if updated.type_parameters else updated

        def leave_ClassDef(self, original, updated):
            return updated.with_changes(type_parameters=None) if updated.type_parameters else updated

        def leave_FormattedString(self, original, updated):
            # 3.12 allows the outer quote inside replacement fields; 3.11 needs another (triple) quote
            prefix = updated.start[: len(updated.start) - len(updated.quote)] if hasattr(updated, "quote") else "f"
            inner = cst.Module(body=[]).code_for_node(updated)
            body = inner[len(updated.start): len(inner) - len(updated.end)]
            for quote in ("\'\'\'", '"""'):
                if quote not in body and not body.endswith(quote[0]):
                    return updated.with_changes(start=prefix + quote, end=quote)
            return updated

        def leave_TypeAlias(self, original, updated):
            return cst.Assign(targets=[cst.AssignTarget(updated.name)], value=updated.value)

    try:
        return module.visit(Downgrade()).code
    except Exception:  # a transformer failure only means the fallback is unavailable
        return None
