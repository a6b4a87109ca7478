"""Shared libcst helpers for quick fixes: find the nodes a finding points at (ast positions are UTF-8
byte columns, libcst's are code points) and make sure a module has a logger to call."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst
import libcst.matchers as m
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from backcheck.diagnostics import byte_to_char

LOGGER_NAMES = ("logger", "log", "LOGGER", "LOG", "_logger", "_log", "_LOGGER", "audit_logger")


def char_span(text: str, span: Sequence[int]) -> tuple[int, int, int, int]:
    """(line, col, end_line, end_col) with byte columns (as `ast` gives them) turned into code points."""
    lines = text.splitlines()
    line, col, end_line, end_col = span

    def convert(number: int, byte_col: int) -> int:
        return byte_to_char(lines[number - 1], byte_col) if 0 < number <= len(lines) else byte_col

    return line, convert(line, col), end_line, convert(end_line, end_col)


def _inside(outer: CodeRange, span: tuple[int, int, int, int]) -> bool:
    start = (outer.start.line, outer.start.column)
    end = (outer.end.line, outer.end.column)
    return start <= (span[0], span[1]) and (span[2], span[3]) <= end


def _size(outer: CodeRange) -> tuple[int, int]:
    return outer.end.line - outer.start.line, outer.end.column - outer.start.column


def nodes_at(wrapper: MetadataWrapper, spans: Iterable[tuple[int, int, int, int]],
             kind: type[cst.CSTNode] = cst.BaseExpression) -> list[cst.CSTNode]:
    """For each code-point span, the smallest node of `kind` covering it (an exact match when there is one)."""
    positions = wrapper.resolve(PositionProvider)
    found: list[cst.CSTNode] = []
    candidates = [(node, rng) for node, rng in positions.items() if isinstance(node, kind)]
    for span in spans:
        best = None
        for node, rng in candidates:
            if not _inside(rng, span):
                continue
            exact = (rng.start.line, rng.start.column, rng.end.line, rng.end.column) == tuple(span)
            if exact:
                best = (node, rng)
                break
            if best is None or _size(rng) < _size(best[1]):
                best = (node, rng)
        if best is not None:
            found.append(best[0])
    return found


def node_starting_at(wrapper: MetadataWrapper, line: int, kind: type[cst.CSTNode]) -> cst.CSTNode | None:
    """The first node of `kind` whose code starts on `line`."""
    positions = wrapper.resolve(PositionProvider)
    for node, rng in positions.items():
        if isinstance(node, kind) and rng.start.line == line:
            return node
    return None


def existing_logger(module: cst.Module) -> str | None:
    """The module-level logger a file already has (`logger = logging.getLogger(...)`, loguru's `logger`)."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    if m.matches(target.target, m.Name()) and target.target.value in LOGGER_NAMES:
                        return target.target.value
            elif isinstance(small, cst.AnnAssign) and m.matches(small.target, m.Name()):
                if small.target.value in LOGGER_NAMES:
                    return small.target.value
            elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    name = alias.asname.name.value if alias.asname else getattr(alias.name, "value", "")
                    if isinstance(name, str) and name in LOGGER_NAMES:
                        return name
    return None


def _imports_logging(module: cst.Module) -> bool:
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Import) and any(
                    m.matches(alias.name, m.Name("logging")) and alias.asname is None for alias in small.names
                ):
                    return True
    return False


def _is_import_line(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body
    )


def _is_docstring(statement: cst.CSTNode) -> bool:
    return m.matches(statement, m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())]))


def ensure_logger(module: cst.Module, name: str = "logger") -> tuple[cst.Module, str]:
    """The module with a logger to call, and that logger's name: an existing one, or `import logging` plus
    `logger = logging.getLogger(__name__)` added after the imports."""
    existing = existing_logger(module)
    if existing:
        return module, existing
    body = list(module.body)
    # after the last top-level import, else after the module docstring
    index = max((i + 1 for i, s in enumerate(body) if _is_import_line(s)), default=0)
    if index == 0 and body and _is_docstring(body[0]):
        index = 1
    additions: list[cst.BaseStatement] = []
    if not _imports_logging(module):
        additions.append(cst.parse_statement("import logging\n", config=module.config_for_parsing))
    logger_line = cst.parse_statement(f"{name} = logging.getLogger(__name__)\n", config=module.config_for_parsing)
    logger_line = logger_line.with_changes(leading_lines=[cst.EmptyLine()])
    additions.append(logger_line)
    if index < len(body):
        following = body[index]
        if not following.leading_lines:
            body[index] = following.with_changes(leading_lines=[cst.EmptyLine()])
    body[index:index] = additions
    return module.with_changes(body=body), name


def statement(code: str, module: cst.Module) -> cst.BaseStatement:
    """One statement parsed with the module's own settings (indentation, newlines)."""
    return cst.parse_statement(code, config=module.config_for_parsing)


def function_at(wrapper: MetadataWrapper, def_line: int) -> cst.FunctionDef | None:
    """The function whose `def` keyword is on `def_line` (decorators above it do not count)."""
    positions = wrapper.resolve(PositionProvider)
    for node in positions:
        if isinstance(node, cst.FunctionDef) and positions[node.name].start.line == def_line:
            return node
    return None


def binds_name(module: cst.Module, name: str) -> bool:
    """Whether the module binds `name` at top level: an import (`from x import name`, `import name`) or a
    `def`/`class` of that name (importing over it would shadow the module's own)."""
    for statement in module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and statement.name.value == name:
            return True
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar) or isinstance(small, cst.Import):
                for alias in small.names:
                    bound = alias.asname.name if alias.asname else alias.name
                    if isinstance(bound, cst.Name) and bound.value == name:
                        return True
    return False


def add_import(module: cst.Module, package: str, name: str) -> cst.Module:
    """The module with `from package import name` after its imports, unless `name` is already bound."""
    if binds_name(module, name):
        return module
    body = list(module.body)
    index = max((i + 1 for i, s in enumerate(body) if _is_import_line(s)), default=0)
    if index == 0 and body and _is_docstring(body[0]):
        index = 1
    body.insert(index, statement(f"from {package} import {name}\n", module))
    return module.with_changes(body=body)
