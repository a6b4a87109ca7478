"""Quick fix for exception text in responses (BC501): put a generic message where the exception text was
built and log the exception on the server instead."""

from __future__ import annotations

from typing import Any

import libcst as cst
import libcst.matchers as m
from libcst.metadata import MetadataWrapper

from backcheck.fixes import Fix, from_rewrite
from backcheck.fixes.cst_nodes import (
    char_span,
    ensure_logger,
    existing_logger,
    node_starting_at,
    nodes_at,
    statement,
)

GENERIC_MESSAGE = '"Internal server error"'
_LOGS_EXCEPTION = m.Call(
    func=m.Attribute(attr=m.Name("exception")) | m.Name("exception")
) | m.Call(args=[m.ZeroOrMore(), m.Arg(keyword=m.Name("exc_info")), m.ZeroOrMore()])


class _GenericMessage(cst.CSTTransformer):
    """Replaces the leaking expressions and adds one log call where the exception is at hand."""

    def __init__(self, targets: list[cst.CSTNode], log_in: cst.CSTNode | None, log_line: str, module: cst.Module):
        super().__init__()
        self.targets = {id(t) for t in targets}
        self.log_in = log_in
        self.log_line = log_line
        self.module = module
        self.logged = False

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        if id(original_node) in self.targets and isinstance(updated_node, cst.BaseExpression):
            return cst.SimpleString(GENERIC_MESSAGE, lpar=updated_node.lpar, rpar=updated_node.rpar)
        if original_node is self.log_in and isinstance(updated_node, (cst.ExceptHandler, cst.FunctionDef)):
            return self._with_log(updated_node)
        return updated_node

    def _with_log(self, node: cst.ExceptHandler | cst.FunctionDef) -> cst.CSTNode:
        block = node.body
        if not isinstance(block, cst.IndentedBlock):
            return node
        if m.findall(block, _LOGS_EXCEPTION):
            return node  # it already logs the exception
        body = list(block.body)
        at = 1 if body and m.matches(body[0], m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString())])) \
            and isinstance(node, cst.FunctionDef) else 0
        body.insert(at, statement(self.log_line, self.module))
        self.logged = True
        return node.with_changes(body=block.with_changes(body=body))


def generic_message_fix(title: str, applicability: str, text: str, data: dict[str, Any]) -> Fix | None:
    """The fix for one BC501 finding, or None when the code it points at cannot be found again."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    origins = data.get("origins") or []
    if not origins:
        return None
    wrapper = MetadataWrapper(module)
    targets = nodes_at(wrapper, [char_span(text, o) for o in origins])
    if not targets:
        return None
    log_in = None
    label = data.get("function") or "request"
    if data.get("handler"):
        log_in = node_starting_at(wrapper, data["handler"][0], cst.ExceptHandler)
        log_line = f'{{logger}}.exception("{label} failed")\n'
    else:
        log_line = f'{{logger}}.error("unhandled error in {label}", exc_info={data.get("exc_param") or "True"})\n'
        name = (data.get("function") or "").rsplit(".", 1)[-1]
        for node in m.findall(wrapper.module, m.FunctionDef(name=m.Name(name))):
            log_in = node
            break
    logger = existing_logger(wrapper.module) or "logger"
    transformer = _GenericMessage(targets, log_in, log_line.format(logger=logger), wrapper.module)
    updated = wrapper.module.visit(transformer)
    if transformer.logged:
        updated, _ = ensure_logger(updated)
    return from_rewrite(title, applicability, text, updated.code)
