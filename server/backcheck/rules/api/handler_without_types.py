"""## What it does
Flags a route handler with no return annotation and, for FastAPI, no `response_model` either: nothing in
the code states what the endpoint sends back. FastAPI routes that declare a `response_class` (HTML,
files, redirects, streams) and websocket endpoints are left alone, and so are DRF class-based views that
name a `serializer_class`.

## Why is this bad?
The response type is half of an API's contract. In FastAPI it is also what validates, filters and
documents the response: without it the OpenAPI schema says nothing about the body, clients generated from
it get `any`, and a refactor that changes the shape breaks callers silently. In Flask and Django a return
annotation lets a type checker catch a handler that returns the wrong thing on one branch.

## Example
```python
@router.get("/stats")
def stats(db: DbSession):
    return products.shop_stats(db)
```

## Use instead
```python
@router.get("/stats")
def stats(db: DbSession) -> ShopStats:
    return ShopStats(**products.shop_stats(db))
```

## Fix safety
When every `return` of the handler builds the same project schema (`Out(...)`, `Out.model_validate(...)`)
or returns the result of one project function with a return annotation, the quick fix adds that type as
the return annotation (importing it when needed). In FastAPI the annotation starts validating and
filtering the response, so the fix is unsafe: review it.

## References
- FastAPI: Response Model - Return Type, https://fastapi.tiangolo.com/tutorial/response-model/
- PEP 484: Type Hints
- Microsoft REST API Guidelines: consistent response contracts
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backcheck.diagnostics import Finding
from backcheck.index.facts import CallV, Const, FileFacts, FuncFacts, Ref, Seq, Sub
from backcheck.index.project import Project, Route
from backcheck.rules.base import Rule

_BUILDERS = {"model_validate", "from_orm", "parse_obj", "model_construct", "construct"}
_BUILTINS = {"dict", "list", "str", "int", "float", "bool", "bytes", "tuple", "set", "None", "Any"}


def _type_text(value: Any, depth: int = 0) -> str | None:
    """Source text of a simple annotation summary (`dict[str, int]`, `list[Out]`, `Out`)."""
    if depth > 6:
        return None
    if isinstance(value, Ref):
        return value.name
    if isinstance(value, Const) and value.value is None:
        return "None"
    if isinstance(value, Sub):
        base = _type_text(value.value, depth + 1)
        items = value.index.items if isinstance(value.index, Seq) else [value.index]
        inner = [_type_text(i, depth + 1) for i in items]
        if base is None or any(i is None for i in inner):
            return None
        return f"{base}[{', '.join(inner)}]"  # type: ignore[arg-type]
    return None


def _names(value: Any, out: list[str]) -> list[str]:
    if isinstance(value, Ref):
        out.append(value.name.split(".")[0])
    elif isinstance(value, Sub):
        _names(value.value, out)
        _names(value.index, out)
    elif isinstance(value, Seq):
        for item in value.items:
            _names(item, out)
    return out


class HandlerWithoutTypes(Rule):
    code = "BC804"
    name = "handler-without-types"
    severity = "info"
    checklist = "Type-safe API contracts: handlers declare what they return"
    fix_title = "Annotate the handler's return type"
    fix_applicability = "unsafe"

    def check_project(self, project: Project) -> Iterable[Finding]:
        seen: set[tuple[str, int]] = set()
        for route in project.routes:
            handler = route.handler
            if handler is None or handler.returns is not None or (route.file, handler.line) in seen:
                continue
            if not self._untyped(project, route):
                continue
            seen.add((route.file, handler.line))
            facts = project.files.get(route.file)
            suggestion = self._suggest(project, facts, handler) if facts is not None else None
            what = "no return annotation and no response_model" if route.framework == "fastapi" else \
                "no return annotation"
            finding = self.finding(
                route.file, handler,
                f"{'/'.join(m for m in route.methods if m != '*') or 'any method on'} {route.path} has {what}: "
                "declare what the endpoint returns",
                function=handler.qualname, framework=route.framework,
                annotation=suggestion[0] if suggestion else None, imports=suggestion[1] if suggestion else [],
            )
            finding.first_line = handler.first_line
            yield finding

    def _untyped(self, project: Project, route: Route) -> bool:
        if "WEBSOCKET" in route.methods:
            return False
        if route.framework == "fastapi":
            decorator = route.extra.get("decorator")
            declares_class = isinstance(decorator, CallV) and "response_class" in decorator.kwargs
            return route.extra.get("response_model") is None and not declares_class
        if route.cls is not None:
            facts = project.files.get(route.file)
            if facts is not None and project.class_attr(facts, route.cls, "serializer_class") is not None:
                return False
        return True

    def _suggest(self, project: Project, facts: FileFacts, handler: FuncFacts) -> tuple[str, list] | None:
        """A return annotation every `return` agrees on, with the imports it needs."""
        found: set[tuple[str, str]] = set()
        for value in handler.return_values:
            if not isinstance(value, CallV) or "()" in value.func:
                return None
            func = value.func
            head, _, method = func.rpartition(".")
            target = head if method in _BUILDERS else func
            resolved = project.resolve(facts, target)
            if resolved and resolved[1] == "class":
                found.add((resolved[0].module, resolved[2].name))
            elif resolved and resolved[1] == "function" and resolved[2].returns is not None:
                text = _type_text(resolved[2].returns)
                names = _names(resolved[2].returns, [])
                if text is None or any(n not in _BUILTINS and n not in facts.imports for n in names):
                    return None
                found.add(("", text))
            else:
                return None
        if len(found) != 1:
            return None
        module, name = found.pop()
        imports = [(module, name)] if module and module != facts.module and name not in facts.imports else []
        return name, imports

    def fix(self, finding: Finding, text: str, project: Project | None):
        from backcheck.fixes.response_model import add_return_annotation

        annotation = finding.data.get("annotation")
        if not annotation:
            return None
        return add_return_annotation(text, finding.line, annotation,
                                     [tuple(i) for i in finding.data.get("imports") or []], self.fix_applicability)
