"""Quick fixes that give a FastAPI route a response contract: `response_model=<Schema>` on its decorator
(BC602) or a return annotation on its handler (BC804)."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from backcheck.fixes import Fix, from_rewrite
from backcheck.fixes.cst_nodes import function_at
from backcheck.fixes.pagination import import_name

_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "api_route"}


class _Decorate(cst.CSTTransformer):
    def __init__(self, func: cst.FunctionDef, expression: str):
        super().__init__()
        self.func, self.expression = func, expression

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if original_node is not self.func:
            return updated_node
        decorators = list(updated_node.decorators)
        for index, decorator in enumerate(decorators):
            call = decorator.decorator
            if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                    and call.func.attr.value in _VERBS):
                continue
            if any(a.keyword is not None and a.keyword.value == "response_model" for a in call.args):
                args = [a.with_changes(value=cst.parse_expression(self.expression))
                        if a.keyword is not None and a.keyword.value == "response_model" else a for a in call.args]
            else:
                args = list(call.args)
                if args:
                    args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                args.append(cst.Arg(keyword=cst.Name("response_model"), value=cst.parse_expression(self.expression),
                                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
            decorators[index] = decorator.with_changes(decorator=call.with_changes(args=args))
            return updated_node.with_changes(decorators=decorators)
        return updated_node


def set_response_model(text: str, def_line: int, module: str, schema: str, many: bool, own_module: str,
                       applicability: str) -> Fix | None:
    """`response_model=Schema` (or `list[Schema]`) on the route decorator of the handler at `def_line`."""
    try:
        tree = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    wrapper = MetadataWrapper(tree)
    func = function_at(wrapper, def_line)
    if func is None:
        return None
    expression = f"list[{schema}]" if many else schema
    updated = wrapper.module.visit(_Decorate(func, expression))
    if module and module != own_module:
        updated = import_name(updated, module, schema)
    return from_rewrite(f"Set response_model={expression}", applicability, text, updated.code)


class _Annotate(cst.CSTTransformer):
    def __init__(self, func: cst.FunctionDef, annotation: str):
        super().__init__()
        self.func, self.annotation = func, annotation

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if original_node is not self.func or updated_node.returns is not None:
            return updated_node
        return updated_node.with_changes(returns=cst.Annotation(cst.parse_expression(self.annotation)))


def add_return_annotation(text: str, def_line: int, annotation: str, imports: list[tuple[str, str]],
                          applicability: str) -> Fix | None:
    """`-> annotation` on the handler at `def_line`, importing the names it needs."""
    try:
        tree = cst.parse_module(text)
        cst.parse_expression(annotation)
    except (cst.ParserSyntaxError, SyntaxError):
        return None
    wrapper = MetadataWrapper(tree)
    func = function_at(wrapper, def_line)
    if func is None:
        return None
    updated = wrapper.module.visit(_Annotate(func, annotation))
    for module, name in imports:
        updated = import_name(updated, module, name)
    return from_rewrite(f"Annotate the return type: -> {annotation}", applicability, text, updated.code)
