"""## What it does
Flags a FastAPI route that returns ORM objects (SQLAlchemy, SQLModel tables) with neither a
`response_model` nor a return annotation to filter them. backcheck follows the returned value to where it
comes from: a query (`db.get(User, id)`, `db.query(User).all()`, `session.exec(select(User))`), a
relationship of a loaded object (`order.items`), or a project function whose return annotation or body
says it yields model instances.

## Why is this bad?
Without a response model FastAPI serialises whatever the handler returns with `jsonable_encoder`: every
column the model has today, and every column someone adds tomorrow (a password hash, an internal note, a
foreign key to another tenant). The API contract is whatever the table looks like, and the OpenAPI schema
cannot describe it.

## Example
```python
@router.get("/{order_id}/items")
def list_order_items(order_id: int, user: CurrentUser, db: DbSession):
    order = orders.get_order_for_user(db, user, order_id)
    return order.items
```

## Use instead
```python
@router.get("/{order_id}/items")
def list_order_items(order_id: int, user: CurrentUser, db: DbSession) -> list[OrderItemOut]:
    order = orders.get_order_for_user(db, user, order_id)
    return order.items
```
where `OrderItemOut` is a pydantic model with `from_attributes=True` listing the fields clients may see.

## Fix safety
When the project has a schema named after the model (`OrderItemOut`, `OrderItemRead`, `OrderItemPublic`,
`OrderItemResponse`, `OrderItemSchema`), the quick fix sets it as the route's `response_model` (in a
`list[...]` for collections). Clients stop receiving the fields the schema leaves out, so the fix is
unsafe: review it.

## References
- FastAPI: Response Model - Return Type, https://fastapi.tiangolo.com/tutorial/response-model/
- OWASP API Security Top 10 2023, API3: Broken Object Property Level Authorization
"""

from __future__ import annotations

from collections.abc import Iterable

from backcheck.diagnostics import Finding
from backcheck.index.facts import ClassFacts, Const
from backcheck.index.project import Project
from backcheck.rules.base import Rule
from backcheck.rules.schema.models import Model, models_of, value_model

SCHEMA_SUFFIXES = ("Out", "Read", "Public", "Response", "Schema", "Detail", "Item")


def schema_for(project: Project, model: Model) -> tuple[str, str] | None:
    """(module, class name) of a response schema named after a model, if the project has exactly one."""
    found = []
    for facts in project.files.values():
        for suffix in SCHEMA_SUFFIXES:
            cls = facts.classes.get(f"{model.name}{suffix}")
            if isinstance(cls, ClassFacts) and (facts.path, cls.name) not in models_of(project).by_key:
                found.append((facts.module, cls.name))
    return found[0] if len(found) == 1 else None


class OrmObjectWithoutResponseModel(Rule):
    code = "BC602"
    name = "orm-object-without-response-model"
    severity = "warning"
    checklist = "Never expose sensitive data: responses go through a schema"
    fix_title = "Filter the response through the model's schema"
    fix_applicability = "unsafe"

    def check_project(self, project: Project) -> Iterable[Finding]:
        models = models_of(project)
        if not models.by_key:
            return
        seen: set[tuple[str, int]] = set()
        for route in project.routes:
            handler = route.handler
            if route.framework != "fastapi" or handler is None or "WEBSOCKET" in route.methods:
                continue
            declared = route.extra.get("response_model")
            if declared is not None and not (isinstance(declared, Const) and declared.value is None):
                continue
            if handler.returns is not None or (route.file, handler.line) in seen:
                continue
            facts = project.files.get(route.file)
            if facts is None:
                continue
            for value in handler.return_values:
                found = value_model(project, models, facts, handler, value)
                if found is None or found[0] is None or found[0].kind == "django":
                    continue
                model, many, source = found
                seen.add((route.file, handler.line))
                methods = "/".join(route.methods)
                schema = schema_for(project, model)
                finding = self.finding(
                    route.file, handler,
                    f"{methods} {route.path} returns {'a list of ' if many else ''}ORM {model.name} objects "
                    f"({source}) with no response_model or return annotation: every column is sent as it is; "
                    "declare a response schema",
                    function=handler.qualname, model=model.name, many=many,
                    schema=list(schema) if schema else None,
                )
                finding.first_line = handler.first_line
                yield finding
                break

    def fix(self, finding: Finding, text: str, project: Project | None):
        from backcheck.fixes.response_model import set_response_model

        schema = finding.data.get("schema")
        if not schema or project is None:
            return None
        own = project.files.get(finding.path)
        return set_response_model(text, finding.line, schema[0], schema[1], bool(finding.data.get("many")),
                                  own.module if own else "", self.fix_applicability)
