"""Quick fix for debug mode left on (BC502): read the flag from the environment instead of `True`."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.metadata import MetadataWrapper

from backcheck.diagnostics import Finding
from backcheck.fixes import Fix, from_rewrite
from backcheck.fixes.cst_nodes import char_span, nodes_at, statement

ENV_READ = 'os.environ.get("DEBUG", "").lower() in ("1", "true", "yes")'


class _FromEnv(cst.CSTTransformer):
    def __init__(self, target: cst.CSTNode):
        super().__init__()
        self.target = target

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if original_node is self.target:
            return cst.parse_expression(ENV_READ)
        return updated_node


def _imports_os(module: cst.Module) -> bool:
    return bool(m.findall(module, m.Import(names=[m.ZeroOrMore(), m.ImportAlias(name=m.Name("os"), asname=None),
                                                   m.ZeroOrMore()])))


def _add_import_os(module: cst.Module) -> cst.Module:
    body = list(module.body)
    index = 0
    if body and m.matches(body[0], m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString())])):
        index = 1
    while index < len(body) and m.matches(body[index], m.SimpleStatementLine(body=[m.ImportFrom(
            module=m.Name("__future__"))])):
        index += 1
    body.insert(index, statement("import os\n", module))
    return module.with_changes(body=body)


def debug_from_env_fix(title: str, applicability: str, text: str, finding: Finding) -> Fix | None:
    """Replace the `True` the finding points at with a read of the DEBUG environment variable."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    wrapper = MetadataWrapper(module)
    span = char_span(text, (finding.line, finding.col, finding.end_line, finding.end_col))
    found = nodes_at(wrapper, [span], cst.Name)
    if not found or not m.matches(found[0], m.Name("True")):
        return None
    updated = wrapper.module.visit(_FromEnv(found[0]))
    if not _imports_os(updated):
        updated = _add_import_os(updated)
    return from_rewrite(title, applicability, text, updated.code)
