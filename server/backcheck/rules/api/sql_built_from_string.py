"""## What it does
Flags SQL text built by string formatting that reaches a database call: an f-string, `%` formatting,
`.format()` or `+` concatenation with a non-constant part, passed (directly or through a local variable)
to `execute()` / `executemany()` / `executescript()` on a cursor, connection or session, SQLAlchemy
`text()` / `exec_driver_sql()`, Django `Model.objects.raw()`, `.extra(where=...)`, `RawSQL()`, or
pandas `read_sql()`.

The finding sits where the string is built, which may be several lines before the call that runs it.
Constant SQL and parameterised queries are clean, and so are interpolations that cannot carry input:
upper-case constants, numbers, and placeholder lists such as `",".join("?" * len(ids))`. Migrations and
tests are not checked: they run no request input.

## Why is this bad?
Whatever is interpolated becomes part of the SQL statement. A value such as `' OR '1'='1` or
`'; DROP TABLE users; --` changes what the query does: SQL injection reads other users' data, bypasses
logins or destroys tables. Escaping by hand is easy to get wrong; bound parameters are not, because the
driver sends the values apart from the statement.

## Example
```python
def search_products(db: Session, term: str):
    sql = f"SELECT id, name FROM products WHERE name LIKE '%{term}%'"
    return db.execute(text(sql)).all()
```

## Use instead
```python
def search_products(db: Session, term: str):
    sql = text("SELECT id, name FROM products WHERE name LIKE :pattern")
    return db.execute(sql, {"pattern": f"%{term}%"}).all()
```
With a DB-API cursor use the driver's placeholders (`?` for sqlite3, `%s` for psycopg), and with Django
`Model.objects.raw("... WHERE isbn = %s", [isbn])` or the ORM's own filters.

## Fix safety
There is no quick fix: moving values into parameters means choosing placeholder names and the driver's
parameter style, which the person changing the query should do.

## References
- OWASP SQL Injection Prevention Cheat Sheet, https://cheatsheetseries.owasp.org/cheatsheets/SQL_Injection_Prevention_Cheat_Sheet.html
- CWE-89: Improper Neutralization of Special Elements used in an SQL Command
- SQLAlchemy: Using Textual SQL, https://docs.sqlalchemy.org/en/20/core/tutorial.html#using-textual-sql
- Django: Performing raw SQL queries, https://docs.djangoproject.com/en/stable/topics/db/sql/
"""

from __future__ import annotations

import ast
import re

from backcheck.rules.api.textscan import PerFile, match_lines, spans
from backcheck.rules.base import FileContext, Rule

# A file holds a database call worth a closer look (checked once per file, on its whole text).
_SINK_TEXT = re.compile(
    r"\.(?:execute|executemany|executescript|raw|extra|exec_driver_sql|read_sql\w*)\s*\(|\btext\s*\(|RawSQL\s*\(",
)
# Substrings every file with a database call holds (a fast test before any regex runs).
_SINK_WORDS = ("execute", "text(", "raw(", "extra(", "RawSQL", "read_sql")
# SQL in a string literal: a statement's first word after the quote, or a clause keyword in capitals.
_SQL_TEXT = re.compile(r"""["'(]\s*(?:select|insert|update|delete|with|merge|replace|upsert)\s|"""
                       r"""\b(?:SELECT|FROM|WHERE|VALUES|INSERT|UPDATE|DELETE)\b""", re.IGNORECASE)
# Methods that run SQL text handed to them as the first argument.
_EXECUTE = {"execute", "executemany", "executescript", "exec_driver_sql", "mogrify"}
# Calls whose first argument is SQL by definition, whatever the receiver.
_SQL_FUNCS = {"text", "RawSQL", "read_sql", "read_sql_query", "literal_column"}
_SQL_WORDS = re.compile(
    r"^\s*\(?\s*(select|insert|update|delete|with|create|drop|alter|replace|merge|upsert|truncate|pragma|"
    r"exec|call|grant|begin|set|show|describe|explain)\b|\b(from|where|into|values|join|order\s+by|group\s+by)\b",
    re.IGNORECASE,
)
# Interpolated names that hold identifiers chosen by the code, not request input.
_SAFE_NAME = re.compile(r"(table|schema|placeholder|qmarks|marks|db_name|database)", re.IGNORECASE)
_CONSTANT = re.compile(r"^_?[A-Z][A-Z0-9_]*$")
_NUMERIC_CASTS = {"int", "float", "len", "bool", "Decimal", "round", "abs"}


def _is_test_or_migration(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return True
    return any(p in ("tests", "test", "migrations", "alembic") for p in parts[:-1]) or (
        "versions" in parts[:-1] and any("alembic" in p or "migration" in p for p in parts[:-1])
    )


def _str_const(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _Scope:
    """The assignments of one function, for following a SQL string through local names."""

    def __init__(self, func: ast.AST):
        self.assigns: dict[str, list[ast.expr]] = {}
        self.sinks: list[tuple[ast.Call, str, list[ast.expr]]] = []
        for node in ast.walk(func):
            kind = type(node)
            if kind is ast.Assign:
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.assigns.setdefault(target.id, []).append(node.value)
            elif kind is ast.AnnAssign and node.value is not None and isinstance(node.target, ast.Name):
                self.assigns.setdefault(node.target.id, []).append(node.value)
            elif kind is ast.AugAssign and isinstance(node.target, ast.Name) and isinstance(node.op, ast.Add):
                # `sql += f"..."` keeps building the same string
                self.assigns.setdefault(node.target.id, []).append(
                    ast.BinOp(left=ast.Name(id=node.target.id, ctx=ast.Load()), op=ast.Add(), right=node.value,
                              lineno=node.value.lineno, col_offset=node.value.col_offset,
                              end_lineno=node.value.end_lineno, end_col_offset=node.value.end_col_offset)
                )
            elif kind is ast.NamedExpr and isinstance(node.target, ast.Name):
                self.assigns.setdefault(node.target.id, []).append(node.value)
            elif kind is ast.Call:
                sink = _sink(node)
                if sink is not None:
                    self.sinks.append((node, sink[0], sink[1]))


def _sink(call: ast.Call) -> tuple[str, list[ast.expr]] | None:
    """(label, SQL arguments) when a call runs SQL text."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    first = call.args[:1] or [k.value for k in call.keywords if k.arg in ("sql", "statement", "query", "raw_query")]
    if name in _EXECUTE:
        return f"{name}()", first
    if name in _SQL_FUNCS:
        return f"{name}()", first
    if name == "raw" and isinstance(func, ast.Attribute):
        receiver = ast.unparse(func.value) if isinstance(func.value, (ast.Attribute, ast.Name, ast.Call)) else ""
        if "objects" in receiver or "manager" in receiver.lower() or receiver.endswith("_set"):
            return "raw()", first
        return None
    if name == "extra" and isinstance(func, ast.Attribute):
        args: list[ast.expr] = []
        for keyword in call.keywords:
            if keyword.arg in ("where", "tables", "order_by") and isinstance(keyword.value, (ast.List, ast.Tuple)):
                args.extend(keyword.value.elts)
            elif keyword.arg == "select" and isinstance(keyword.value, ast.Dict):
                args.extend(v for v in keyword.value.values if v is not None)
        return ("extra()", args) if args else None
    return None


# A `%` conversion in an old-style template, and a `{...}` field in a `.format()` template.
_PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[sdifrxXeEgGcaou]|%%")
_BRACES = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
# What may come right before a value in SQL (a comparison, a list of values, a LIMIT ...).
_VALUE_BEFORE = re.compile(
    r"(=|<|>|[-+*/]|\b(?:like|ilike|in|values|limit|offset|between|then|else|when|is|not|any|regexp|rlike|glob|"
    r"match|against|top|set))\s*$", re.IGNORECASE)


def in_value(before: str) -> bool:
    """Whether text interpolated after `before` lands where SQL expects a value (a literal, an operand),
    rather than an identifier or a whole fragment built by the code."""
    if before.count("'") % 2 == 1:
        return True
    return bool(_VALUE_BEFORE.search(before.rstrip(" \t\r\n(%")))


class _Judge:
    """Decides whether an expression builds SQL text from variables placed where values go, and where."""

    def __init__(self, scope: _Scope):
        self.scope = scope
        self._seen: set[str] = set()

    def text(self, node: ast.AST, depth: int = 0) -> str:
        """The constant text of an expression (formatted parts left out), to tell SQL from other strings."""
        if depth > 8:
            return ""
        value = _str_const(node)
        if value is not None:
            return value
        if isinstance(node, ast.JoinedStr):
            return " ".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        if isinstance(node, ast.BinOp):
            return f"{self.text(node.left, depth + 1)} {self.text(node.right, depth + 1)}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return self.text(node.func.value, depth + 1)
        if isinstance(node, ast.Call) and node.args and _call_name(node) in _SQL_FUNCS:
            return self.text(node.args[0], depth + 1)
        if isinstance(node, ast.Name) and node.id not in self._seen:
            self._seen.add(node.id)
            try:
                return " ".join(self.text(v, depth + 1) for v in self.scope.assigns.get(node.id, ()))
            finally:
                self._seen.discard(node.id)
        return ""

    def safe(self, node: ast.AST, depth: int = 0) -> bool:
        """An interpolated value that cannot carry request input."""
        if depth > 8:
            return False
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.FormattedValue):
            return self.safe(node.value, depth + 1)
        if isinstance(node, (ast.Name, ast.Attribute)):
            last = node.id if isinstance(node, ast.Name) else node.attr
            if _CONSTANT.match(last) or _SAFE_NAME.search(last):
                return True
            if isinstance(node, ast.Name) and node.id not in self._seen and node.id in self.scope.assigns:
                self._seen.add(node.id)
                try:
                    return all(self.safe(v, depth + 1) for v in self.scope.assigns[node.id])
                finally:
                    self._seen.discard(node.id)
            return False
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in _NUMERIC_CASTS:
                return True
            if name == "join":
                # ", ".join("?" * n) / ",".join(["%s"] * len(ids)): a list of placeholders
                return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and
                           n.value.strip() in ("?", "%s", "%(", ":") for a in node.args for n in ast.walk(a))
            return False
        if isinstance(node, ast.BinOp):
            return self.safe(node.left, depth + 1) and self.safe(node.right, depth + 1)
        if isinstance(node, (ast.Tuple, ast.List)):
            return all(self.safe(e, depth + 1) for e in node.elts)
        if isinstance(node, ast.IfExp):
            return self.safe(node.body, depth + 1) and self.safe(node.orelse, depth + 1)
        return False

    def _fragment(self, node: ast.AST) -> str | None:
        """The text of a local holding a constant SQL fragment (`where = " WHERE x = ?"`), else None."""
        if isinstance(node, ast.Name) and node.id in self.scope.assigns and node.id not in self._seen:
            values = self.scope.assigns[node.id]
            if values and all(_str_const(v) is not None for v in values):
                return str(_str_const(values[-1]))
        return None

    def _parts(self, node: ast.AST, before: str, depth: int) -> tuple[str, list[str], tuple | None]:
        """Walk a string-building expression left to right: (text so far, unsafe values placed where SQL
        expects a value, a finding from a local it concatenates that was itself built unsafely)."""
        const = _str_const(node)
        if const is not None:
            return before + const, [], None
        if isinstance(node, ast.JoinedStr):
            unsafe: list[str] = []
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    if not self.safe(value.value) and in_value(before):
                        unsafe.append(_label(value.value))
                    before += "0"
                elif isinstance(value, ast.Constant) and isinstance(value.value, str):
                    before += value.value
            return before, unsafe, None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            unsafe, nested = [], None
            for operand in _flatten_add(node):
                fragment = self._fragment(operand)
                if fragment is not None:
                    before += fragment
                    continue
                if _str_const(operand) is not None or isinstance(operand, (ast.JoinedStr, ast.BinOp, ast.Call)):
                    before, more, inner = self._parts(operand, before, depth + 1)
                    unsafe.extend(more)
                    nested = nested or inner
                    continue
                inner = self.built(operand, depth + 1) if isinstance(operand, ast.Name) else None
                if inner is not None:
                    nested = nested or inner
                elif not self.safe(operand) and in_value(before):
                    unsafe.append(_label(operand))
                before += "0"
            return before, unsafe, nested
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            template = _str_const(node.left) if _str_const(node.left) is not None else self._fragment(node.left)
            if template is None:
                return before + "0", [], None
            right = node.right
            items = right.elts if isinstance(right, ast.Tuple) else None
            unsafe, index = [], 0
            for match in _PERCENT.finditer(template):
                if match.group(0) == "%%":
                    continue
                if match.group(1) and isinstance(right, ast.Dict):
                    value = next((v for k, v in zip(right.keys, right.values)
                                  if _str_const(k) == match.group(1)), None) if right.keys else None
                elif items is not None:
                    value = items[index] if index < len(items) else None
                else:
                    value = right
                index += 1
                if value is not None and not self.safe(value) and in_value(before + template[:match.start()]):
                    unsafe.append(_label(value))
            return before + template, unsafe, None
        if isinstance(node, ast.Call) and _call_name(node) == "format" and isinstance(node.func, ast.Attribute):
            template = _str_const(node.func.value)
            if template is None:
                template = self._fragment(node.func.value)
            if template is None:
                return before + "0", [], None
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            unsafe, auto = [], 0
            for match in _BRACES.finditer(template):
                field = match.group(1)
                if field is None:
                    continue
                key = field.split("!")[0].split(":")[0].split(".")[0].split("[")[0]
                if key == "":
                    value = node.args[auto] if auto < len(node.args) else None
                    auto += 1
                elif key.isdigit():
                    value = node.args[int(key)] if int(key) < len(node.args) else None
                else:
                    value = keywords.get(key)
                if value is not None and not self.safe(value) and in_value(before + template[:match.start()]):
                    unsafe.append(_label(value))
            return before + template, unsafe, None
        if isinstance(node, ast.Call) and _call_name(node) in _SQL_FUNCS and node.args:
            return self._parts(node.args[0], before, depth + 1)
        return before + "0", [], None

    def built(self, node: ast.AST, depth: int = 0) -> tuple[ast.AST, str, list[str]] | None:
        """(node where the string is built, how, the values interpolated) when SQL text is built with
        variables placed where values go."""
        if depth > 8:
            return None
        if isinstance(node, ast.Name):
            if node.id in self._seen:
                return None
            self._seen.add(node.id)
            try:
                for value in reversed(self.scope.assigns.get(node.id, ())):
                    found = self.built(value, depth + 1)
                    if found is not None:
                        return found
            finally:
                self._seen.discard(node.id)
            return None
        if isinstance(node, ast.Call) and _call_name(node) in _SQL_FUNCS and node.args:
            return self.built(node.args[0], depth + 1)
        how = _HOW.get(type(node.op) if isinstance(node, ast.BinOp) else type(node), "")
        if isinstance(node, ast.Call):
            how = ".format()" if _call_name(node) == "format" else ""
        if not how:
            return None
        _text, unsafe, nested = self._parts(node, "", depth)
        if unsafe:
            return node, how, unsafe
        return nested


_HOW = {ast.JoinedStr: "an f-string", ast.Mod: "% formatting", ast.Add: "concatenation"}


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _flatten_add(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*_flatten_add(node.left), *_flatten_add(node.right)]
    return [node]


def _label(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


def _labels(node: ast.AST) -> list[str]:
    if isinstance(node, (ast.Tuple, ast.List)):
        return [_label(e) for e in node.elts]
    return [_label(node)]


def _sink_lines(ctx: FileContext) -> list[int]:
    """Lines of a file that call a SQL sink, when the file holds SQL text and is not a migration or test."""
    text = ctx.text
    active = any(s in text for s in _SINK_WORDS) and _SQL_TEXT.search(text) and \
        not _is_test_or_migration(ctx.path) and not any(
            v.startswith("alembic") or v == "django.db.migrations" for v in ctx.facts.imports.values())
    return match_lines(text, _SINK_TEXT) if active else []


class SqlBuiltFromString(Rule):
    code = "BC802"
    name = "sql-built-from-string"
    severity = "error"
    checklist = "Query safety: SQL takes values as parameters"
    node_types = (ast.FunctionDef, ast.AsyncFunctionDef)

    def __init__(self) -> None:
        self._lines = PerFile(_sink_lines)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if ctx.func is not None:
            return  # nested functions are read with their outer function
        lines = self._lines.get(ctx)
        if not lines or not spans(lines, node.lineno, node.end_lineno or node.lineno):
            return
        scope = _Scope(node)
        reported: set[tuple[int, int]] = set()
        for call, label, args in scope.sinks:
            for arg in args:
                judge = _Judge(scope)
                found = judge.built(arg)
                if found is None:
                    continue
                where, how, parts = found
                if label.rstrip("()") in _EXECUTE and not _SQL_WORDS.search(judge.text(arg)):
                    continue  # `execute` of something that is not SQL text (a task runner, a GraphQL schema)
                key = (where.lineno, where.col_offset)
                if key in reported:
                    continue
                reported.add(key)
                shown = ", ".join(f"`{p}`" for p in parts[:3]) or "a variable"
                at = "" if call.lineno == where.lineno else f" at line {call.lineno}"
                ctx.report(
                    self, where,
                    f"SQL built with {how} from {shown} runs through {label}{at}: pass the values as bound "
                    "parameters instead of formatting them into the statement",
                    how=how, sink=label, sink_line=call.lineno,
                )
