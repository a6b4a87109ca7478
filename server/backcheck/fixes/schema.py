"""Quick fixes for models and migrations: add a keyword to a column declaration (BC701 `index=True`), and
write the inverse of a migration's simple operations into its empty `downgrade()` (BC702)."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.metadata import MetadataWrapper

from backcheck.fixes import Fix, from_rewrite
from backcheck.fixes.cst_nodes import char_span, nodes_at


def add_keyword(text: str, span: Sequence[int], keyword: str, value: str, title: str,
                applicability: str) -> Fix | None:
    """`keyword=value` appended to the call at `span` (ast byte columns)."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    wrapper = MetadataWrapper(module)
    found = nodes_at(wrapper, [char_span(text, span)], cst.Call)
    if not found or not isinstance(found[0], cst.Call):
        return None
    call: cst.Call = found[0]
    if any(a.keyword is not None and a.keyword.value == keyword for a in call.args):
        return None
    args = list(call.args)
    new = cst.Arg(keyword=cst.Name(keyword), value=cst.parse_expression(value),
                  equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    if args:
        last = args[-1]
        if isinstance(last.comma, cst.Comma):
            # a trailing comma: the new argument takes the last one's place in the layout
            between = next((a.comma for a in args[:-1] if isinstance(a.comma, cst.Comma)), last.comma)
            args[-1] = last.with_changes(comma=between)
            new = new.with_changes(comma=last.comma)
        else:
            args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args.append(new)
    updated = wrapper.module.deep_replace(call, call.with_changes(args=args))
    assert isinstance(updated, cst.Module)
    return from_rewrite(title, applicability, text, updated.code)


# -- inverse migration operations ----------------------------------------------------------------------


def _code(module: cst.Module, node: cst.CSTNode) -> str:
    return module.code_for_node(node)


def _arg(call: cst.Call, index: int, keyword: str) -> cst.Arg | None:
    positional = [a for a in call.args if a.keyword is None and a.star == ""]
    if index < len(positional):
        return positional[index]
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == keyword), None)


def _column_name(module: cst.Module, column: cst.BaseExpression) -> str | None:
    if isinstance(column, cst.Call) and column.args:
        first = column.args[0].value
        if isinstance(first, cst.SimpleString):
            return _code(module, first)
    return None


def inverse(module: cst.Module, statement: cst.BaseStatement, receiver: str = "op") -> list[str] | None:
    """Source lines that undo one upgrade() statement, or None when it cannot be undone mechanically."""
    if isinstance(statement, cst.With) and len(statement.items) == 1:
        item = statement.items[0]
        call = item.item
        if m.matches(call, m.Call(func=m.Attribute(value=m.Name(receiver), attr=m.Name("batch_alter_table")))) \
                and item.asname is not None and isinstance(item.asname.name, cst.Name) \
                and isinstance(statement.body, cst.IndentedBlock):
            alias = item.asname.name.value
            inner: list[str] = []
            for sub in reversed(statement.body.body):
                undone = inverse(module, sub, alias)
                if undone is None:
                    return None
                inner.extend(undone)
            head = f"with {_code(module, call)} as {alias}:"
            return [head, *[f"    {line}" for line in inner]]
        return None
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr) and isinstance(statement.body[0].value, cst.Call)):
        return None
    call = statement.body[0].value
    if not (isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name)
            and call.func.value.value == receiver):
        return None
    operation = call.func.attr.value
    batch = receiver != "op"
    if operation == "add_column":
        table = None if batch else _arg(call, 0, "table_name")
        column = _arg(call, 0 if batch else 1, "column")
        name = _column_name(module, column.value) if column else None
        if name is None or (not batch and table is None):
            return None
        return [f"{receiver}.drop_column({name})" if batch else
                f"{receiver}.drop_column({_code(module, table.value)}, {name})"]
    if operation == "create_index":
        name = _arg(call, 0, "index_name")
        table = None if batch else _arg(call, 1, "table_name")
        if name is None or (not batch and table is None):
            return None
        if batch:
            return [f"{receiver}.drop_index({_code(module, name.value)})"]
        return [f"{receiver}.drop_index({_code(module, name.value)}, table_name={_code(module, table.value)})"]
    if operation == "create_table" and not batch:
        table = _arg(call, 0, "table_name")
        return [f"{receiver}.drop_table({_code(module, table.value)})"] if table else None
    if operation in ("create_foreign_key", "create_unique_constraint", "create_check_constraint"):
        kind = {"create_foreign_key": "foreignkey", "create_unique_constraint": "unique",
                "create_check_constraint": "check"}[operation]
        name = _arg(call, 0, "constraint_name")
        table = None if batch else _arg(call, 1, "source_table" if kind == "foreignkey" else "table_name")
        if name is None or isinstance(name.value, cst.Name) and name.value.value == "None":
            return None
        if batch:
            return [f"{receiver}.drop_constraint({_code(module, name.value)}, type_=\"{kind}\")"]
        if table is None:
            return None
        names = f"{_code(module, name.value)}, {_code(module, table.value)}"
        return [f"{receiver}.drop_constraint({names}, type_=\"{kind}\")"]
    if operation == "rename_table" and not batch:
        old, new = _arg(call, 0, "old_table_name"), _arg(call, 1, "new_table_name")
        if old is None or new is None:
            return None
        return [f"{receiver}.rename_table({_code(module, new.value)}, {_code(module, old.value)})"]
    return None


def _function(module: cst.Module, name: str) -> cst.FunctionDef | None:
    return next((s for s in module.body if isinstance(s, cst.FunctionDef) and s.name.value == name), None)


def _docstring(statement: cst.BaseStatement) -> bool:
    return m.matches(statement, m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())]))


def downgrade_fix(text: str, applicability: str) -> Fix | None:
    """A downgrade() made of the inverse of every upgrade() operation, in reverse order."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    upgrade = _function(module, "upgrade")
    if upgrade is None or not isinstance(upgrade.body, cst.IndentedBlock):
        return None
    lines: list[str] = []
    for statement in reversed(upgrade.body.body):
        if _docstring(statement) or m.matches(statement, m.SimpleStatementLine(body=[m.Pass()])):
            continue
        undone = inverse(module, statement)
        if undone is None:
            return None
        lines.extend(undone)
    if not lines:
        return None
    body = "\n".join(f"    {line}" for line in lines)
    new_function = cst.parse_statement(f"def downgrade() -> None:\n{body}\n", config=module.config_for_parsing)
    assert isinstance(new_function, cst.FunctionDef)
    current = _function(module, "downgrade")
    if current is not None and isinstance(current.body, cst.IndentedBlock):
        keep = [s for s in current.body.body[:1] if _docstring(s)]
        replacement = current.with_changes(body=current.body.with_changes(body=[*keep, *new_function.body.body]))
        updated = module.deep_replace(current, replacement)
    elif current is not None:  # `def downgrade(): pass` on one line
        updated = module.deep_replace(current, current.with_changes(body=new_function.body))
    else:
        updated = module.with_changes(body=[*module.body, new_function.with_changes(
            leading_lines=[cst.EmptyLine(), cst.EmptyLine()])])
    assert isinstance(updated, cst.Module)
    return from_rewrite("Undo upgrade() in downgrade()", applicability, text, updated.code)
