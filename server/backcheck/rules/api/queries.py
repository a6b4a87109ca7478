"""Database reads as the facts show them: which calls read a collection of rows (SQLAlchemy 1.x and 2.0
styles, Flask-SQLAlchemy `Model.query`, SQLModel `session.exec`, Django querysets), which model they read,
and whether something bounds how many rows come back. Shared by the pagination and exposure rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from backcheck.index.facts import CallV, Const, FileFacts, FuncFacts, Other, Ref, Sub
from backcheck.index.project import Project
from backcheck.rules.api.flow import inner_calls, short
from backcheck.rules.schema.models import Model, Models

# Chains that already bound the number of rows.
_BOUNDED_CHAIN = re.compile(r"\.(limit|offset|slice|paginate|fetchmany|top|page|chunk)\(|\bpaginate\b|islice")
_DJANGO_MANY = {"all", "filter", "exclude", "order_by", "values", "values_list", "select_related",
                "prefetch_related", "annotate", "distinct", "only", "defer", "using", "reverse", "iterator",
                "union", "difference", "intersection", "alias", "with_related"}
_DJANGO_ONE = {"get", "first", "last", "latest", "earliest", "count", "exists", "aggregate", "get_or_create",
               "create", "update", "delete", "in_bulk", "update_or_create", "bulk_create", "contains"}
_SA_MANY = {"all", "fetchall", "partitions", "scalars", "unique", "mappings", "yield_per"}
_SA_ONE = {"first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none", "get", "count",
           "exists", "delete", "update", "get_or_404", "first_or_404", "one_or_404", "fetchone", "execute_many",
           "paginate"}
_SA_RUN = {"scalars", "execute", "exec"}
_SQL_LIMIT = re.compile(r"\b(limit|top\s+\d|fetch\s+first|fetch\s+next|rownum)\b", re.IGNORECASE)


@dataclass(slots=True)
class Query:
    """One database read."""

    call: CallV
    model: Model | None
    model_name: str
    many: bool
    bounded: bool
    orm: str


def _statement_bounded(func: FuncFacts, value: Any, depth: int = 0) -> bool | None:
    """Whether a statement handed to `session.scalars(...)` bounds its rows (None: unknown)."""
    if depth > 4:
        return None
    if isinstance(value, CallV):
        return bool(_BOUNDED_CHAIN.search(value.func + "("))
    if isinstance(value, Ref) and value.name in func.locals:
        return _statement_bounded(func, func.locals[value.name], depth + 1)
    return None


def _model_arg(models: Models, facts: FileFacts, calls: list[CallV], names: tuple[str, ...]) -> tuple[Model | None, str]:
    """The model named by the first argument of an inner `query(...)` / `select(...)` call."""
    for call in calls:
        if (short(call.func) in names or facts.imports.get(call.func, "").rsplit(".", 1)[-1] in names) and call.args:
            arg = call.args[0]
            name = arg.name if isinstance(arg, Ref) else ""
            if name:
                return models.model_named(facts, name), name.rsplit(".", 1)[-1]
    return None, ""


def _starts_query(call: CallV) -> bool:
    plain = call.func.replace("()", "")
    return ".objects." in f".{plain}." or "query()" in call.func or (
        len(plain.split(".")) >= 3 and plain.split(".")[1] == "query" and plain[:1].isupper())


def _refined(project: Project, models: Models, facts: FileFacts, func: FuncFacts, call: CallV,
             depth: int) -> Query | None:
    """`qs.filter(...)` on a local queryset: `qs = Model.objects.filter(...)` (or `q = db.query(M)`) earlier,
    maybe refined in place (`qs = qs.filter(...)`, whose first binding the facts no longer hold)."""
    head, _, rest = call.func.partition(".")
    if not rest or head not in func.locals or depth > 2:
        return None
    method = short(call.func)
    bound = func.locals[head]
    root = None
    if isinstance(bound, CallV) and not bound.func.startswith(head + ".") and bound is not call:
        root = bound
    elif isinstance(bound, CallV):
        others = [v for k, v in func.locals.items() if k != head]
        earlier = [c for c in func.calls if (c.line, c.col) < (call.line, call.col) and _starts_query(c)
                   and not any(v is c for v in others)]
        root = earlier[-1] if earlier else None
    if root is None:
        return None
    base = classify(project, models, facts, func, root, depth + 1)
    if base is None:
        return None
    if base.orm == "django":
        many = method in _DJANGO_MANY and method not in _DJANGO_ONE
    else:
        many = method in _SA_MANY and method not in _SA_ONE
    return Query(call, base.model, base.model_name, many, base.bounded or bool(_BOUNDED_CHAIN.search(call.func + "(")),
                 base.orm)


def classify(project: Project, models: Models, facts: FileFacts, func: FuncFacts, call: CallV,
             depth: int = 0) -> Query | None:
    """A read of rows, with the model it reads and whether it returns many rows, else None."""
    chain = call.func
    method = short(chain)
    plain = chain.replace("()", "").replace("[]", "")
    bounded = bool(_BOUNDED_CHAIN.search(chain + "("))
    refined = _refined(project, models, facts, func, call, depth)
    if refined is not None:
        return refined
    if ".objects." in f".{plain}." and "." in plain:
        head = plain.split(".objects")[0]
        model = models.model_named(facts, head)
        if model is None and not head.rsplit(".", 1)[-1][:1].isupper():
            return None
        if method in _DJANGO_MANY and method not in _DJANGO_ONE:
            return Query(call, model, head.rsplit(".", 1)[-1], True, bounded, "django")
        if method == "raw":
            return None
        return Query(call, model, head.rsplit(".", 1)[-1], False, bounded, "django")
    parts = plain.split(".")
    if len(parts) >= 3 and parts[1] == "query" and parts[0][:1].isupper():
        # Flask-SQLAlchemy: User.query.filter_by(...).all()
        model = models.model_named(facts, parts[0])
        many = method in _SA_MANY and method not in _SA_ONE
        return Query(call, model, parts[0], many, bounded, "sqlalchemy")
    if "query()" in chain and method in _SA_MANY | _SA_ONE:
        inner = inner_calls(func, call)
        model, name = _model_arg(models, facts, inner, ("query",))
        return Query(call, model, name, method in _SA_MANY and method not in _SA_ONE, bounded, "sqlalchemy")
    raw = raw_rows(func, call)
    if raw is not None:
        return raw
    run = next((p for p in _SA_RUN if f".{p}()" in chain or (chain.endswith(f".{p}") and p == "scalars")), None)
    if run is not None and (method in _SA_MANY | _SA_ONE or method == run):
        inner = inner_calls(func, call)
        runner = next((c for c in inner if short(c.func) == run and c.args), call if method == run else None)
        if runner is None or not runner.args:
            return None
        statement = runner.args[0]
        statement_bounded = _statement_bounded(func, statement)
        if statement_bounded is None:
            return None
        model, name = _model_arg(models, facts, [*inner, call], ("select",))
        if model is None and isinstance(statement, Ref) and isinstance(func.locals.get(statement.name), CallV):
            local = func.locals[statement.name]
            model, name = _model_arg(models, facts, [c for c in func.calls if c.line <= local.end_line
                                                      and c.line >= local.line], ("select",))
        if not name:
            return None  # `execute(text(...))` or a statement we cannot see: not a model read
        many = method in _SA_MANY and method not in _SA_ONE
        return Query(call, model, name, many, bounded or statement_bounded, "sqlalchemy")
    return None


_SELECT = re.compile(r"^\s*\(?\s*select\b.*?\bfrom\s+[\"`\[]?(\w+)", re.IGNORECASE | re.DOTALL)


def _sql_text(func: FuncFacts, value: Any) -> str | None:
    if isinstance(value, Const) and isinstance(value.value, str):
        return value.value
    if isinstance(value, Ref) and isinstance(func.locals.get(value.name), Const):
        return _sql_text(func, func.locals[value.name])
    return None


def raw_rows(func: FuncFacts, call: CallV) -> Query | None:
    """`cursor.execute("SELECT ... FROM t").fetchall()`, or `fetchall()` after such an execute on the same
    cursor: a DB-API read of every matching row (the code asked for all of them, not `fetchone()`)."""
    if short(call.func) != "fetchall":
        return None
    receiver = call.func[: -len(".fetchall")]
    statement = None
    if receiver.endswith(".execute()"):
        runner = next((c for c in inner_calls(func, call) if c.func == receiver[:-2] and c.args), None)
        statement = runner.args[0] if runner else None
    else:
        earlier = [c for c in func.calls if c.func == f"{receiver}.execute" and c.args and
                   (c.line, c.col) < (call.line, call.col)]
        statement = earlier[-1].args[0] if earlier else None
    sql = _sql_text(func, statement) if statement is not None else None
    match = _SELECT.match(sql) if sql else None
    if match is None or _SQL_LIMIT.search(sql or "") or re.search(r"\b(count|sum|avg|min|max)\s*\(", sql or "", re.IGNORECASE):
        return None
    return Query(call, None, match.group(1), True, False, "raw")


def sliced(value: Any) -> bool:
    """A subscript with a slice: `qs[:20]`, `rows[offset:offset + limit]`."""
    return isinstance(value, Sub) and isinstance(value.index, Other) and value.index.kind == "Slice"


def sql_limited(func: FuncFacts) -> bool:
    """A constant SQL string in the function limits its rows."""
    for call in func.calls:
        for arg in call.args[:1]:
            if isinstance(arg, Const) and isinstance(arg.value, str) and _SQL_LIMIT.search(arg.value):
                return True
    return False


def bounded_chain(name: str) -> bool:
    return bool(_BOUNDED_CHAIN.search(name + "("))
