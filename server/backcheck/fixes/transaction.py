"""Quick fixes for writes outside a transaction (BC301): wrap Django writes in `transaction.atomic()`, or
turn all but the last SQLAlchemy commit into a flush so the writes commit together."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.metadata import MetadataWrapper, PositionProvider

from backcheck.fixes import Fix, from_rewrite
from backcheck.fixes.cst_nodes import add_import, char_span, function_at, nodes_at


class _Wrap(cst.CSTTransformer):
    """Puts the statements of one function body from index `first` to `last` in a `with` block."""

    def __init__(self, target: cst.FunctionDef, first: int, last: int, context: str):
        super().__init__()
        self.target, self.first, self.last, self.context = target, first, last, context

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if original_node is not self.target or not isinstance(updated_node.body, cst.IndentedBlock):
            return updated_node
        body = list(updated_node.body.body)
        inner = body[self.first:self.last + 1]
        leading = inner[0].leading_lines
        inner[0] = inner[0].with_changes(leading_lines=[])
        block = cst.With(
            items=[cst.WithItem(cst.parse_expression(self.context))],
            body=cst.IndentedBlock(body=inner),
            leading_lines=leading,
        )
        body[self.first:self.last + 1] = [block]
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))


def wrap_atomic_fix(text: str, def_line: int, lines: Sequence[int], applicability: str) -> Fix | None:
    """Wrap the handler's statements holding the given write lines in `with transaction.atomic():`."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    wrapper = MetadataWrapper(module)
    func = function_at(wrapper, def_line)
    if func is None or not isinstance(func.body, cst.IndentedBlock):
        return None
    positions = wrapper.resolve(PositionProvider)
    spans = [(positions[s].start.line, positions[s].end.line) for s in func.body.body]
    hit = [i for i, (start, end) in enumerate(spans) if any(start <= line <= end for line in lines)]
    if not hit:
        return None
    updated = wrapper.module.visit(_Wrap(func, min(hit), max(hit), "transaction.atomic()"))
    updated = add_import(updated, "django.db", "transaction")
    return from_rewrite("Wrap the writes in transaction.atomic()", applicability, text, updated.code)


class _Flush(cst.CSTTransformer):
    def __init__(self, targets: list[cst.CSTNode]):
        super().__init__()
        self.targets = {id(t) for t in targets}

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if id(original_node) in self.targets and m.matches(updated_node.func, m.Attribute(attr=m.Name("commit"))):
            return updated_node.with_changes(func=updated_node.func.with_changes(attr=cst.Name("flush")))
        return updated_node


def single_commit_fix(text: str, commits: Sequence[Sequence[int]], applicability: str) -> Fix | None:
    """Turn every commit but the last into `flush()`: the writes still get their ids, and commit together."""
    if len(commits) < 2:
        return None
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    wrapper = MetadataWrapper(module)
    targets = nodes_at(wrapper, [char_span(text, c) for c in commits[:-1]], cst.Call)
    if not targets:
        return None
    updated = wrapper.module.visit(_Flush(targets))
    return from_rewrite("Commit once, after all the writes", applicability, text, updated.code)
