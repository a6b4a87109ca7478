"""Quick fix for state changes nobody logs (BC401): a structured log line in the handler naming the action,
the entity and the actor."""

from __future__ import annotations

import re
from typing import Any

import libcst as cst
import libcst.matchers as m
from libcst.metadata import MetadataWrapper

from backcheck.fixes import Fix, from_rewrite
from backcheck.fixes.cst_nodes import ensure_logger, existing_logger, function_at, statement


class _AddLog(cst.CSTTransformer):
    """Adds one statement before the function's final `return` (or at the end of its body)."""

    def __init__(self, target: cst.FunctionDef, line: str, module: cst.Module):
        super().__init__()
        self.target, self.line, self.module = target, line, module
        self.done = False

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if original_node is not self.target or not isinstance(updated_node.body, cst.IndentedBlock):
            return updated_node
        body = list(updated_node.body.body)
        at = len(body)
        if body and m.matches(body[-1], m.SimpleStatementLine(body=[m.Return()])):
            at -= 1
        body.insert(at, statement(self.line, self.module))
        self.done = True
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))


def audit_log_fix(title: str, applicability: str, text: str, data: dict[str, Any]) -> Fix | None:
    """The fix for one BC401 finding, or None when the handler cannot be found again."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    wrapper = MetadataWrapper(module)
    func = function_at(wrapper, data.get("def_line", 0))
    if func is None:
        return None
    entity = re.sub(r"[^\w.]", "", str(data.get("entity") or "record"))
    action = re.sub(r"[^\w]", "", str(data.get("action") or "change"))
    actor = data.get("actor") or "None"
    logger = existing_logger(wrapper.module) or "logger"
    line = (f'{logger}.info("{entity.lower()} {action}", '
            f'extra={{"entity": "{entity}", "action": "{action}", "actor": {actor}}})\n')
    transformer = _AddLog(func, line, wrapper.module)
    updated = wrapper.module.visit(transformer)
    if not transformer.done:
        return None
    updated, _ = ensure_logger(updated)
    return from_rewrite(title, applicability, text, updated.code)
