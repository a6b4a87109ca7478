"""## What it does
Flags a collection GET endpoint that sends every matching row: its response is built from a query with
no limit (`.all()` on a SQLAlchemy/SQLModel/Flask-SQLAlchemy query, a Django queryset) and nothing
bounds it - no `limit`/`offset`, no slice, no `paginate`, no page or cursor parameters. The query may sit
in the handler or in a project function it calls (two levels deep). DRF list views (`ListAPIView`,
`ListCreateAPIView`, `ModelViewSet`, ...) are flagged when they have no `pagination_class` and the
`REST_FRAMEWORK` settings name no `DEFAULT_PAGINATION_CLASS` (with a `PAGE_SIZE`), or when an overridden
`list()` never calls `paginate_queryset()`.

Pages rendered from templates are left alone; so are queries whose result is only counted, reads of one
object (`.first()`, `.get()`), and relationships of one parent object.

## Why is this bad?
A list that is small today grows with the data. Without a bound one request reads, serialises and sends
the whole table: response times climb, memory spikes, and anyone can make the server do that work
repeatedly. Clients also get no stable way to walk a large collection.

## Example
```python
@router.get("/menu", response_model=list[MenuItemOut])
def get_menu(db: Session = Depends(get_db)):
    return db.query(MenuItem).all()
```

## Use instead
```python
@router.get("/menu", response_model=list[MenuItemOut])
def get_menu(
    db: Session = Depends(get_db),
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    return db.query(MenuItem).order_by(MenuItem.id).offset(offset).limit(limit).all()
```
For DRF set `pagination_class` (or `DEFAULT_PAGINATION_CLASS` and `PAGE_SIZE`), and call
`self.paginate_queryset()` in an overridden `list()`.

## Fix safety
For a FastAPI handler that runs the query itself, the quick fix adds bounded `limit` and `offset` query
parameters and applies them to the query. Clients that relied on getting everything now get the first page
only, so the fix is unsafe: review it and tell the API's users.

## References
- Microsoft REST API Guidelines: Collections and server-driven paging
- FastAPI: Query Parameters and String Validations, https://fastapi.tiangolo.com/tutorial/query-params-str-validations/
- Django REST framework: Pagination, https://www.django-rest-framework.org/api-guide/pagination/
- OWASP API Security Top 10 2023, API4: Unrestricted Resource Consumption
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

from backcheck.diagnostics import Finding
from backcheck.index.facts import CallV, ClassFacts, Const, FileFacts, FuncFacts, Map, Ref, Seq, Sub
from backcheck.index.project import Project, Route
from backcheck.rules.api.flow import loop_bindings, returned, short
from backcheck.rules.api.queries import Query, bounded_chain, classify, sliced, sql_limited
from backcheck.rules.base import FileContext, Rule
from backcheck.rules.schema.models import Models, models_of

MAX_DEPTH = 2
# Parameters and arguments that carry a page size, offset or cursor.
_PAGE_WORDS = re.compile(r"^(limit|offset|skip|page|page_size|per_page|pagesize|perpage|size|cursor|after|before|"
                         r"start|count|max_results|top|first|last|take|page_number|page_token|pagination|params)$",
                         re.IGNORECASE)
_PAGINATES = re.compile(r"(paginate|Paginator|get_page|islice|LimitOffsetPage|Page\b|fetchmany)")
_TEMPLATES = {"render", "render_template", "render_to_response", "TemplateResponse", "render_template_string",
              "render_to_string"}
_DRF_LIST = re.compile(r"(ListAPIView|ListCreateAPIView|ModelViewSet|ReadOnlyModelViewSet|ListModelMixin)$")


def _is_template_page(func: FuncFacts) -> bool:
    return any(short(c.func) in _TEMPLATES for c in func.calls)


def _collection_get(route: Route) -> bool:
    return any(m in ("GET", "*") for m in route.methods)


def _detail_path(path: str) -> bool:
    """A path ending in a parameter addresses one object (`/books/{pk}`, `/books/<int:pk>/`)."""
    last = [p for p in path.rstrip("/").split("/") if p][-1:] or [""]
    return last[0].startswith(("{", "<", "(?P", ":")) or last[0].endswith((")", "$)"))


class ListEndpointWithoutPagination(Rule):
    code = "BC801"
    name = "list-endpoint-without-pagination"
    severity = "warning"
    checklist = "Pagination strategies: collections are paged"
    node_types = (ast.For, ast.AsyncFor)
    fix_title = "Add bounded limit/offset parameters and apply them to the query"
    fix_applicability = "unsafe"

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        # `for row in Model.objects.all(): out.append(...)`: the loop variable carries the query's rows
        assert isinstance(node, (ast.For, ast.AsyncFor))
        if ctx.func is None or not isinstance(node.iter, (ast.Call, ast.Name)):
            return
        targets = [n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)]
        if targets:
            source = node.iter.id if isinstance(node.iter, ast.Name) else (node.iter.lineno, node.iter.col_offset)
            ctx.remember(self, (ctx.func.line, targets, source))

    # -- project pass --------------------------------------------------------------------------------

    def check_project(self, project: Project) -> Iterable[Finding]:
        models = models_of(project)
        analysis = _Analysis(project, models, self.code)
        seen: set[tuple[str, int]] = set()
        for route in project.routes:
            if not _collection_get(route):
                continue
            facts = project.files.get(route.file)
            if facts is None:
                continue
            finding = None
            if route.cls is not None and route.framework == "django" and not _detail_path(route.path):
                finding = self._drf(project, analysis, facts, route)
            if finding is None and route.handler is not None and (route.cls is None or
                                                                   route.handler.name in ("get", "list")):
                finding = self._handler(analysis, facts, route)
            if finding is None:
                continue
            key = (finding.path, finding.line)
            if key not in seen:
                seen.add(key)
                yield finding

    def _handler(self, analysis: _Analysis, facts: FileFacts, route: Route) -> Finding | None:
        handler = route.handler
        assert handler is not None
        if _is_template_page(handler):
            return None
        found = analysis.unbounded(facts, handler, 0)
        if found is None:
            return None
        query, owner_facts, owner = found
        where = "" if owner is handler else f" (in {owner.qualname}() of {owner_facts.path})"
        label = query.model_name or "rows"
        finding = self.finding(
            route.file, handler,
            f"GET {route.path} returns every {label} row the query matches: `{query.call.func.replace('()', '(...)')}()`"
            f"{where} has no limit; add limit/offset (or cursor) parameters with an upper bound",
            function=handler.qualname, framework=route.framework,
            query=[query.call.line, query.call.col, query.call.end_line, query.call.end_col] if owner is handler
            else None,
        )
        finding.first_line = handler.first_line
        return finding

    def _drf(self, project: Project, analysis: _Analysis, facts: FileFacts, route: Route) -> Finding | None:
        cls = route.cls
        assert cls is not None
        if not any(isinstance(owner, str) and _DRF_LIST.search(owner) or
                   isinstance(owner, ClassFacts) and _DRF_LIST.search(owner.name)
                   for _f, owner in project.class_mro(facts, cls)):
            return None
        handler = route.handler
        if handler is not None and handler.name == "list":
            if any(short(c.func) in ("paginate_queryset", "get_paginated_response") or c.func == "super().list"
                   for c in handler.calls) or analysis.bounded_function(handler):
                return None
            finding = self.finding(
                route.file, handler,
                f"{cls.name}.list() sends the whole queryset for GET {route.path}: it never calls "
                "self.paginate_queryset(); page the queryset and return self.get_paginated_response(...)",
                function=handler.qualname, framework="django",
            )
            finding.first_line = handler.first_line
            return finding
        if handler is not None:
            return None
        if analysis.pagination(facts, cls):
            return None
        getter = project.find_method(facts, cls, "get_queryset")
        if getter is not None and (any(sliced(v) for v in getter[2].return_values) or
                                   analysis.bounded_function(getter[2])):
            return None
        finding = self.finding(
            route.file, cls,
            f"{cls.name} lists GET {route.path} without pagination: set pagination_class (or "
            "DEFAULT_PAGINATION_CLASS and PAGE_SIZE in REST_FRAMEWORK)",
            function=cls.name, framework="django",
        )
        finding.first_line = cls.first_line
        return finding

    def fix(self, finding: Finding, text: str, project: Project | None):
        from backcheck.fixes.pagination import add_limit_offset

        if finding.data.get("framework") != "fastapi" or not finding.data.get("query"):
            return None
        return add_limit_offset(text, finding.line, finding.data["query"], self.fix_applicability)


class _Analysis:
    """Follows a handler's return value to the queries it is built from."""

    def __init__(self, project: Project, models: Models, code: str):
        self.project = project
        self.models = models
        self.code = code
        self._memo: dict[tuple[str, str], tuple | None] = {}
        self._default_pagination: bool | None = None

    def bounded_function(self, func: FuncFacts) -> bool:
        """Something in the function limits the rows: a limit/offset/paginate call, a slice, a LIMIT, or page
        parameters it reads."""
        for call in func.calls:
            if bounded_chain(call.func) or _PAGINATES.search(call.func):
                return True
        if any(_has_slice(v) for v in [*func.return_values, *func.locals.values()]):
            return True
        if any(_PAGE_WORDS.match(p.name.lstrip("*")) and p.name in func.reads for p in func.params):
            return True
        return sql_limited(func)

    def unbounded(self, facts: FileFacts, func: FuncFacts, depth: int,
                  seen: frozenset = frozenset()) -> tuple[Query, FileFacts, FuncFacts] | None:
        key = (facts.path, func.qualname)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None
        result = self._unbounded(facts, func, depth, seen | {key})
        self._memo[key] = result
        return result

    def _unbounded(self, facts: FileFacts, func: FuncFacts, depth: int,
                   seen: frozenset) -> tuple[Query, FileFacts, FuncFacts] | None:
        if self.bounded_function(func):
            return None
        reach = returned(func, loop_bindings(facts, func))
        if not reach.values and not reach.names:
            return None
        slices = [v for v in reach.values if sliced(v)]
        for call in sorted(func.calls, key=lambda c: (c.line, c.col)):
            if not reach.has(call):
                continue
            query = classify(self.project, self.models, facts, func, call)
            if query is not None:
                if query.many and not query.bounded and not any(s.value is call for s in slices):
                    return query, facts, func
                continue
            if depth >= MAX_DEPTH or _passes_page(call):
                continue
            target = self._callee(facts, func, call)
            if target is None or (target[0].path, target[1].qualname) in seen:
                continue
            found = self.unbounded(target[0], target[1], depth + 1, seen)
            if found is not None:
                return found
        return None

    def _callee(self, facts: FileFacts, func: FuncFacts, call: CallV) -> tuple[FileFacts, FuncFacts] | None:
        name = call.func
        if "()" in name or "[]" in name:
            return None
        head = name.split(".", 1)[0]
        if name.startswith("self.") and name.count(".") == 1 and "." in func.qualname:
            cls = facts.classes.get(func.qualname.split(".")[0])
            found = self.project.find_method(facts, cls, name[5:]) if cls is not None else None
            return (found[0], found[2]) if found else None
        if head not in facts.imports and head not in facts.functions:
            return None
        found = self.project.resolve(facts, name)
        if found and found[1] == "function":
            return found[0], found[2]
        return None

    def pagination(self, facts: FileFacts, cls: ClassFacts) -> bool:
        """Whether a DRF view pages its list: its own pagination_class, else the settings default."""
        found = self.project.class_attr(facts, cls, "pagination_class")
        if found is not None:
            value = found[1]
            return not (isinstance(value, Const) and value.value is None)
        if self._default_pagination is None:
            self._default_pagination = self._settings_pagination()
        return self._default_pagination

    def _settings_pagination(self) -> bool:
        for facts in self.project.files.values():
            value = facts.assigns.get("REST_FRAMEWORK")
            if value is None or not isinstance(value[0], Map):
                continue
            settings = {k.value: v for k, v in zip(value[0].keys, value[0].values)
                        if isinstance(k, Const) and isinstance(k.value, str)}
            default = settings.get("DEFAULT_PAGINATION_CLASS")
            if default is None or isinstance(default, Const) and default.value is None:
                continue
            size = settings.get("PAGE_SIZE")
            if size is not None and not (isinstance(size, Const) and size.value is None):
                return True
            # a project pagination class usually sets its own page size
            name = default.value if isinstance(default, Const) and isinstance(default.value, str) else ""
            if name and not name.startswith("rest_framework."):
                return True
        return False


def _has_slice(value: Any, depth: int = 0) -> bool:
    """A slice anywhere in a value: `list(qs[:limit])`, `{"rows": rows[offset:offset + size]}`."""
    if depth > 6 or value is None:
        return False
    if sliced(value):
        return True
    if isinstance(value, CallV):
        return any(_has_slice(a, depth + 1) for a in [*value.args, *value.kwargs.values()])
    if isinstance(value, Map):
        return any(_has_slice(v, depth + 1) for v in value.values)
    if isinstance(value, Seq):
        return any(_has_slice(v, depth + 1) for v in value.items)
    if isinstance(value, Sub):
        return _has_slice(value.value, depth + 1)
    return False


def _passes_page(call: CallV) -> bool:
    """A call handing a page size or offset on: the callee bounds its rows."""
    if any(_PAGE_WORDS.match(k) for k in call.kwargs):
        return True
    return any(isinstance(a, Ref) and _PAGE_WORDS.match(a.name.rsplit(".", 1)[-1]) for a in call.args)
