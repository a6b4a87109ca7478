"""## What it does
Flags a route handler that talks to the database itself instead of calling a service function: one that
performs an ORM write in its own body (`db.add`, `session.execute(update(...))`, `Model.objects.create`,
`obj.save()`, `queryset.update()` ...), builds and runs a query there (`session.query(...)`,
`session.scalar(select(...).where(...))`, `Model.objects.filter(...)`), or makes two or more lookups.
A single fetch by key (`db.get(Model, id)`, `get_object_or_404`, `Model.query.get_or_404`) is fine.

Saving through a DRF serializer or a Django form (`serializer.save()`, `form.save()`) counts as
delegating, and so does calling the project's own functions that do the database work.

## Why is this bad?
A handler that queries and writes by itself mixes HTTP concerns (parsing, status codes, auth) with the
business rules. The same rules then get copied into the next endpoint, the CLI and the background job, and
they can only be tested through HTTP. A thin handler that calls a service keeps one place to change, to
test and to wrap in a transaction.

## Example
```python
@router.post("/orders")
def place_order(body: OrderIn, db: Session = Depends(get_db), user: User = Depends(current_user)):
    cart = db.query(Cart).filter(Cart.user_id == user.id).one()
    order = Order(user_id=user.id, total=sum(i.price for i in cart.items))
    db.add(order)
    db.commit()
    return order
```

## Use instead
```python
@router.post("/orders")
def place_order(body: OrderIn, db: Session = Depends(get_db), user: User = Depends(current_user)) -> OrderOut:
    return orders.place(db, user, body)
```

## Fix safety
There is no quick fix: where the service lives and what it is called is a design decision.

## References
- Martin Fowler, Patterns of Enterprise Application Architecture: Service Layer
- FastAPI: Bigger Applications - Multiple Files, https://fastapi.tiangolo.com/tutorial/bigger-applications/
- Cosmic Python, chapter 4: Our First Use Case: Flask API and Service Layer
"""

from __future__ import annotations

from collections.abc import Iterable

from backcheck.diagnostics import Finding
from backcheck.index.project import Project
from backcheck.rules.base import Rule
from backcheck.rules.transactions.orm import handler_routes, route_label, walker_for

MIN_QUERIES = 2
_LOOKUPS = {"get", "get_or_404", "get_one", "get_object_or_404", "first_or_404"}


def _lookup(op) -> bool:
    """A fetch by key (`db.get(Model, id)`, `get_object_or_404`, `Model.objects.get(pk=...)`): not logic."""
    return op.call.func.rsplit(".", 1)[-1] in _LOOKUPS


class BusinessLogicInRoute(Rule):
    code = "BC302"
    name = "business-logic-in-route"
    severity = "info"
    checklist = "Service layer: handlers delegate business logic"

    def check_project(self, project: Project) -> Iterable[Finding]:
        walker = walker_for(project)
        for route, facts, handler, cls in handler_routes(project):
            own = [o for o in walker.ops(facts, handler, cls) if o.depth == 0 and o.func is handler]
            writes = [o for o in own if o.kind == "write" and o.orm != "form"]
            queries = [o for o in own if o.kind == "query"]
            composed = [o for o in queries if not _lookup(o)]
            if not writes and not composed and len(queries) < MIN_QUERIES:
                continue
            first = min(writes + queries, key=lambda o: (o.call.line, o.call.col))
            parts = []
            if writes:
                parts.append(f"{len(writes)} write{'s' if len(writes) > 1 else ''}")
            if queries:
                parts.append(f"{len(queries)} quer{'ies' if len(queries) > 1 else 'y'}")
            yield self.finding(
                facts.path, first.call,
                f"{route_label(route)} runs {' and '.join(parts)} in the handler itself (first: {first.label}); "
                "move the database work into a service function the route calls",
                function=handler.qualname,
            )

