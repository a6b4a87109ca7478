"""## What it does
Flags a FastAPI route parameter that FastAPI reads from the request body without a schema: one annotated
`dict`, `Dict[str, Any]`, `Mapping`, `list[dict]` or `list` (also inside `Optional`, `| None` and
`Annotated`), or one declared with `Body()` whose type is `Any` or missing.

## Why is this bad?
FastAPI validates a body only against the type it is given. With `dict` or `Any` every JSON object is
accepted: missing fields, wrong types, unexpected keys (`is_admin: true`) and huge nested payloads reach
the handler, and the OpenAPI docs describe the endpoint as taking "an object". A pydantic model states the
contract once, rejects bad input with a 422 before your code runs, and documents the API.

## Example
```python
@router.post("/items")
def create_item(payload: dict, db: Session = Depends(get_db)):
    return items.create(db, name=payload["name"], price=payload["price"])
```

## Use instead
```python
class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    price: Decimal = Field(gt=0)


@router.post("/items")
def create_item(payload: ItemIn, db: Session = Depends(get_db)) -> ItemOut:
    return items.create(db, name=payload.name, price=payload.price)
```

## Fix safety
There is no quick fix: the fields of the model are the project's decision.

## References
- FastAPI: Request Body, https://fastapi.tiangolo.com/tutorial/body/
- OWASP API Security Top 10 2023, API3: Broken Object Property Level Authorization (mass assignment)
- OWASP Input Validation Cheat Sheet
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from weakref import WeakKeyDictionary

from backcheck.diagnostics import Finding
from backcheck.index.facts import dotted
from backcheck.index.project import Project
from backcheck.rules.base import FileContext, Rule

_MAPPINGS = {"dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "JSONDict", "JsonDict"}
_SEQUENCES = {"list", "List", "Sequence", "tuple", "Tuple", "set", "Set"}
_OPTIONAL = {"Optional", "Union"}
_NOT_BODY = {"Query", "Path", "Header", "Cookie", "Depends", "Security", "Form", "File", "UploadFile"}
_LOOSE = {"Any", "object"}


def _short(node: ast.AST | None) -> str:
    return (dotted(node) or "").rsplit(".", 1)[-1] if node is not None else ""


def _marker(default: ast.AST | None) -> str:
    """`Body`, `Query`, ... when a parameter's default (or Annotated metadata) is a FastAPI marker."""
    if isinstance(default, ast.Call):
        return _short(default.func)
    return ""


def _untyped(annotation: ast.AST | None, marker: str) -> str | None:
    """Why an annotation leaves a body unvalidated, or None when it is typed (or not a body)."""
    if annotation is None:
        return "has no type" if marker == "Body" else None
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except (SyntaxError, ValueError):
            return None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        for side in (annotation.left, annotation.right):
            if not (isinstance(side, ast.Constant) and side.value is None):
                reason = _untyped(side, marker)
                if reason:
                    return reason
        return None
    base = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    name = _short(base)
    if isinstance(annotation, ast.Subscript):
        index = annotation.slice
        items = index.elts if isinstance(index, ast.Tuple) else [index]
        if name == "Annotated" and items:
            inner_marker = next((_marker(i) for i in items[1:] if _marker(i)), marker)
            if inner_marker in _NOT_BODY:
                return None
            return _untyped(items[0], inner_marker)
        if name in _OPTIONAL:
            for item in items:
                if not (isinstance(item, ast.Constant) and item.value is None):
                    reason = _untyped(item, marker)
                    if reason:
                        return reason
            return None
        if name in _MAPPINGS:
            return f"is a `{ast.unparse(annotation)}`"
        if name in _SEQUENCES and items:
            element = _short(items[0].value if isinstance(items[0], ast.Subscript) else items[0])
            if element in _MAPPINGS or element in _LOOSE:
                return f"is a `{ast.unparse(annotation)}`"
        return None
    if name in _MAPPINGS or name in ("list", "List"):
        return f"is a bare `{name}`"
    if name in _LOOSE and marker == "Body":
        return f"is `{name}`"
    return None


class UntypedRequestBody(Rule):
    code = "BC202"
    name = "untyped-request-body"
    severity = "warning"
    checklist = "Input validation: request bodies have a schema"
    node_types = (ast.FunctionDef, ast.AsyncFunctionDef)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        if not node.decorator_list and not self._imports_fastapi(ctx):
            return  # routes are decorated, or added with add_api_route in a module that imports fastapi
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        pairs = [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]
        for arg, default in pairs:
            marker = _marker(default)
            if marker in _NOT_BODY:
                continue
            reason = _untyped(arg.annotation, marker)
            if reason:
                ctx.remember(self, (node.lineno, arg.arg, reason,
                                    [arg.lineno, arg.col_offset, arg.end_lineno, arg.end_col_offset]))

    def __init__(self) -> None:
        self._fastapi_files: WeakKeyDictionary[FileContext, bool] = WeakKeyDictionary()

    def _imports_fastapi(self, ctx: FileContext) -> bool:
        known = self._fastapi_files.get(ctx)
        if known is None:
            known = any(v.startswith("fastapi") for v in ctx.facts.imports.values())
            if ctx.facts.imports:  # imports come first; decide once they have been seen
                self._fastapi_files[ctx] = known
        return known

    def check_project(self, project: Project) -> Iterable[Finding]:
        handlers: dict[str, set[int]] = {}
        for route in project.routes:
            if route.framework == "fastapi" and route.handler is not None:
                handlers.setdefault(route.file, set()).add(route.handler.line)
        for path, lines in handlers.items():
            facts = project.files.get(path)
            for def_line, param, reason, pos in (facts.rule_data.get(self.code, ()) if facts else ()):
                if def_line in lines:
                    yield self.finding(
                        path, tuple(pos),
                        f"request body `{param}` {reason}: any JSON is accepted unchecked; declare a pydantic "
                        "model for it",
                        param=param,
                    )

