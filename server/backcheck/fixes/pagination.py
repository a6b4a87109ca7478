"""Quick fix for BC801 on FastAPI handlers: add bounded `limit` / `offset` query parameters and apply them
to the query the handler runs (`.offset(offset).limit(limit)` on a legacy `Query` or on the `select()`
handed to `scalars()` / `execute()` / `exec()`)."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.helpers
import libcst.matchers as m
from libcst.metadata import MetadataWrapper

from backcheck.fixes import Fix, from_rewrite
from backcheck.fixes.cst_nodes import add_import, binds_name, char_span, function_at, nodes_at

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
_RUNNERS = {"scalars", "execute", "exec"}


def _chain_names(node: cst.BaseExpression) -> list[str]:
    """Attribute names along a call chain, outermost first: `db.query(X).filter(y).all()` -> all, filter, query."""
    names = []
    while True:
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute):
            names.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Subscript):
            node = node.value
        else:
            return names


def _bounded(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`expr.offset(offset).limit(limit)`."""
    with_offset = cst.Call(func=cst.Attribute(value=expr, attr=cst.Name("offset")), args=[cst.Arg(cst.Name("offset"))])
    return cst.Call(func=cst.Attribute(value=with_offset, attr=cst.Name("limit")), args=[cst.Arg(cst.Name("limit"))])


def _bound_query(query: cst.Call) -> cst.Call | None:
    """The query call with offset/limit applied, or None when its shape is not one we know."""
    if not isinstance(query.func, cst.Attribute):
        return None
    names = _chain_names(query)
    receiver = query.func.value
    if "query" in names[1:]:
        # legacy Query / Flask-SQLAlchemy: bound just before the terminal `.all()`
        return query.with_changes(func=query.func.with_changes(value=_bounded(receiver)))
    node: cst.BaseExpression = receiver
    path: list[cst.Call] = []
    while isinstance(node, (cst.Call, cst.Attribute)):
        if isinstance(node, cst.Call):
            path.append(node)
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in _RUNNERS and node.args:
                statement = node.args[0].value
                if not isinstance(statement, cst.Call):
                    return None  # a statement kept in a variable: leave it to the reader
                runner = node.with_changes(args=[node.args[0].with_changes(value=_bounded(statement)),
                                                 *node.args[1:]])
                return query.deep_replace(node, runner)
            node = node.func
        else:
            node = node.value
    return None


def import_name(module: cst.Module, package: str, name: str) -> cst.Module:
    """The module with `name` imported from `package`: added to an existing `from package import ...` line
    when there is one, else as a new import line."""
    if binds_name(module, name):
        return module
    body = list(module.body)
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        if isinstance(small, cst.ImportFrom) and not small.relative and not isinstance(small.names, cst.ImportStar) \
                and small.module is not None and cst.helpers.get_full_name_for_node(small.module) == package:
            names = list(small.names)
            last_comma = names[-1].comma
            between = names[0].comma if len(names) > 1 and isinstance(names[0].comma, cst.Comma) else \
                cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            names[-1] = names[-1].with_changes(comma=between)
            names.append(cst.ImportAlias(name=cst.Name(name), comma=last_comma))
            body[index] = statement.with_changes(body=[small.with_changes(names=names)])
            return module.with_changes(body=body)
    return add_import(module, package, name)


def _param(code: str, module: cst.Module) -> cst.Param:
    parsed = cst.parse_statement(f"def _({code}): pass\n", config=module.config_for_parsing)
    assert isinstance(parsed, cst.FunctionDef)
    return parsed.params.params[0]


def _newline(indent: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(indent))


def _exploded(func: cst.FunctionDef, new: list[cst.Param]) -> cst.FunctionDef:
    """The signature laid out one parameter a line, with a trailing comma."""
    params = func.params
    every = [*params.params, *new]
    laid_out = [p.with_changes(comma=cst.Comma(whitespace_after=_newline("    " if i < len(every) - 1 else "")),
                               whitespace_after_param=cst.SimpleWhitespace(""))
                for i, p in enumerate(every)]
    return func.with_changes(params=params.with_changes(params=laid_out),
                             whitespace_before_params=_newline("    "))


def _with_params(func: cst.FunctionDef, new: list[cst.Param], explode: bool = False) -> cst.FunctionDef:
    params = func.params
    if explode and not params.kwonly_params and isinstance(params.star_arg, cst.MaybeSentinel) \
            and params.star_kwarg is None or explode and not params.params:
        return _exploded(func, new)
    target = "kwonly_params" if params.kwonly_params or not isinstance(params.star_arg, cst.MaybeSentinel) \
        else "params"
    existing = list(getattr(params, target))
    if not existing:
        return func.with_changes(params=params.with_changes(**{target: new}))
    last = existing[-1]
    between = next((p.comma for p in existing[:-1] if isinstance(p.comma, cst.Comma)),
                   cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    laid_out = [
        *existing[:-1],
        last.with_changes(comma=between, whitespace_after_param=cst.SimpleWhitespace("")),
        new[0].with_changes(comma=between),
        new[1].with_changes(comma=last.comma, whitespace_after_param=last.whitespace_after_param),
    ]
    return func.with_changes(params=params.with_changes(**{target: laid_out}))


class _Apply(cst.CSTTransformer):
    def __init__(self, func: cst.FunctionDef, query: cst.Call, bounded: cst.Call, new: list[cst.Param],
                 explode: bool):
        super().__init__()
        self.func, self.query, self.bounded, self.new, self.explode = func, query, bounded, new, explode

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        return self.bounded if original_node is self.query else updated_node

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        return _with_params(updated_node, self.new, self.explode) if original_node is self.func else updated_node


def add_limit_offset(text: str, def_line: int, query_span: Sequence[int], applicability: str) -> Fix | None:
    """The BC801 fix for one FastAPI handler whose query sits at `query_span` (ast byte columns)."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    wrapper = MetadataWrapper(module)
    func = function_at(wrapper, def_line)
    if func is None:
        return None
    taken = {p.name.value for p in [*func.params.params, *func.params.kwonly_params]}
    if taken & {"limit", "offset"}:
        return None
    found = nodes_at(wrapper, [char_span(text, query_span)], cst.Call)
    if not found or not isinstance(found[0], cst.Call):
        return None
    query = found[0]
    bounded = _bound_query(query)
    if bounded is None:
        return None
    source = wrapper.module
    if binds_name(source, "Annotated"):
        new = [_param(f"limit: Annotated[int, Query(ge=1, le={MAX_LIMIT})] = {DEFAULT_LIMIT}", source),
               _param("offset: Annotated[int, Query(ge=0)] = 0", source)]
    else:
        new = [_param(f"limit: int = Query({DEFAULT_LIMIT}, ge=1, le={MAX_LIMIT})", source),
               _param("offset: int = Query(0, ge=0)", source)]
    lines = text.splitlines()
    header = lines[def_line - 1] if 0 < def_line <= len(lines) else ""
    one_line = header.rstrip().endswith(":") or "):" in header
    extra = sum(len(source.code_for_node(p)) + 2 for p in new)
    updated = source.visit(_Apply(func, query, bounded, new, one_line and len(header) + extra > 99))
    updated = import_name(updated, "fastapi", "Query")
    return from_rewrite(
        f"Page the results: limit (at most {MAX_LIMIT}) and offset query parameters", applicability, text, updated.code
    )


__all__ = ["add_limit_offset", "m"]
