"""## What it does
Flags a route whose database writes can half-succeed: two or more ORM writes on one handler's call path
(the handler and the project functions it calls, two levels deep, across modules) that do not share a
transaction.

- Django (autocommit): two or more writes (`Model.objects.create/update/delete/bulk_*`, `obj.save()`,
  `obj.delete()`, `serializer.save()`, `form.save()`, raw `cursor.execute("INSERT ...")`) outside
  `transaction.atomic` (as a decorator, a `with` block, `method_decorator(transaction.atomic)`) and with
  no `ATOMIC_REQUESTS` in the database settings.
- SQLAlchemy / SQLModel / Flask-SQLAlchemy: writes committed in two or more separate `commit()` calls,
  outside `with session.begin():` / `begin_nested()`. Writes followed by one commit already share the
  session's transaction and are not flagged.

`dict.update`, `set.add`, `file.save(path)` and `form.save(commit=False)` are not writes.

## Why is this bad?
When the second write fails (a constraint, a timeout, a deploy killing the worker) the first one is
already committed: an order without its lines, money moved out of one account and not into the other, a
user created without a profile. Such half states are hard to detect and harder to repair. One transaction
makes the whole change happen or not happen.

## Example
```python
def place_order(request):
    order = Order.objects.create(customer=request.user)
    for line in request.POST.getlist("items"):
        OrderLine.objects.create(order=order, sku=line)
    Stock.objects.filter(sku__in=request.POST.getlist("items")).update(reserved=F("reserved") + 1)
    return redirect(order)
```

## Use instead
```python
def place_order(request):
    with transaction.atomic():
        order = Order.objects.create(customer=request.user)
        for line in request.POST.getlist("items"):
            OrderLine.objects.create(order=order, sku=line)
        Stock.objects.filter(sku__in=request.POST.getlist("items")).update(reserved=F("reserved") + 1)
    return redirect(order)
```
With SQLAlchemy, commit once after all the writes (`session.flush()` where you need generated ids), or
run them in `with session.begin():` on a fresh session.

## Fix safety
When the writes are in the handler itself the quick fix wraps the statements from the first write to the
last in `with transaction.atomic():` (Django, adding the import), or, for SQLAlchemy, turns every commit
but the last into `flush()` so the writes commit together (a `with session.begin():` block would fail on a
session that a dependency already used). Both change when data becomes visible to other requests, so the
fix is unsafe: review it.

## References
- Django: Database transactions, https://docs.djangoproject.com/en/stable/topics/db/transactions/
- SQLAlchemy: Transactions and Connection Management, https://docs.sqlalchemy.org/en/20/orm/session_transaction.html
- Martin Kleppmann, Designing Data-Intensive Applications, chapter 7 (atomicity)
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from backcheck.diagnostics import Finding
from backcheck.index.project import Project
from backcheck.rules.base import FileContext, Rule
from backcheck.rules.transactions.orm import (
    atomic_requests,
    class_atomic,
    handler_routes,
    route_label,
    walker_for,
)

_AUTOCOMMIT = {"django", "form", "raw"}


def _mutates(ops, commits) -> bool:
    """Whether a function that commits also assigns to attributes of objects (changes the session tracks)."""
    return any(any("." in name for name in o.func.locals) for o in commits)


class WritesWithoutTransaction(Rule):
    code = "BC301"
    name = "writes-without-transaction"
    severity = "warning"
    checklist = "Transactions: multi-step writes are atomic"
    node_types = (ast.Assign,)
    fix_title = "Run these writes in one transaction"
    fix_applicability = "unsafe"

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        # DATABASES["default"]["ATOMIC_REQUESTS"] = True (cookiecutter-django style settings)
        target = node.targets[0] if isinstance(node, ast.Assign) and node.targets else None
        if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
                and target.slice.value == "ATOMIC_REQUESTS" and isinstance(node.value, ast.Constant) \
                and node.value.value is True:
            ctx.remember(self, ("atomic_requests",))

    def check_project(self, project: Project) -> Iterable[Finding]:
        walker = walker_for(project)
        django_atomic = None
        for route, facts, handler, cls in handler_routes(project):
            if route.framework == "django" and django_atomic is None:
                django_atomic = atomic_requests(project)
            atomic = (route.framework == "django" and bool(django_atomic)) or class_atomic(cls, handler.name)
            ops = walker.ops(facts, handler, cls, atomic=atomic)
            finding = self._django(route, facts, handler, ops) or self._sqlalchemy(route, facts, handler, ops)
            if finding is not None:
                finding.first_line = handler.first_line
                yield finding

    def _django(self, route, facts, handler, ops) -> Finding | None:
        writes = [o for o in ops if o.kind == "write" and not o.atomic and o.orm in _AUTOCOMMIT]
        # the same write written twice is usually two branches of an if (or a re-save of one row): count once
        writes = list({(o.file, o.call.func): o for o in reversed(writes)}.values())[::-1]
        if len(writes) < 2:
            return None
        shown = ", ".join(f"{o.label} at line {o.call.line}" + ("" if o.file == route.file else f" of {o.file}")
                          for o in writes[:3])
        more = f" and {len(writes) - 3} more" if len(writes) > 3 else ""
        local = all(o.file == facts.path and o.func is handler for o in writes)
        return self.finding(
            facts.path, handler,
            f"{route_label(route)} makes {len(writes)} database writes that each commit on their own ({shown}"
            f"{more}); if a later one fails the earlier ones stay: wrap them in `transaction.atomic()`",
            function=handler.qualname, orm="django", def_line=handler.line,
            lines=[o.call.line for o in writes] if local else [],
        )

    def _sqlalchemy(self, route, facts, handler, ops) -> Finding | None:
        # every commit ends a transaction; the session tracks changed objects, so `order.status = ...`
        # is a write too: two commit calls on one path mean two transactions
        commits = [o for o in ops if o.kind == "commit" and not o.atomic and o.orm == "sqlalchemy"]
        commits = list({(o.file, o.call.line, o.call.col): o for o in commits}.values())
        if len(commits) < 2 or not any(o.kind == "write" for o in ops) and not _mutates(ops, commits):
            return None
        shown = ", ".join(f"line {o.call.line}" + ("" if o.file == route.file else f" of {o.file}")
                          for o in commits[:4])
        local = all(o.file == facts.path and o.func is handler for o in commits)
        return self.finding(
            facts.path, handler,
            f"{route_label(route)} commits its changes in {len(commits)} separate transactions (commits at "
            f"{shown}); a failure after the first commit leaves partial data: commit once after all the writes",
            function=handler.qualname, orm="sqlalchemy", def_line=handler.line,
            commits=[[o.call.line, o.call.col, o.call.end_line, o.call.end_col] for o in commits] if local else [],
        )

    def fix(self, finding: Finding, text: str, project: Project | None):
        from backcheck.fixes.transaction import single_commit_fix, wrap_atomic_fix

        if finding.data.get("orm") == "django" and finding.data.get("lines"):
            return wrap_atomic_fix(text, finding.data["def_line"], finding.data["lines"], self.fix_applicability)
        if finding.data.get("orm") == "sqlalchemy" and finding.data.get("commits"):
            return single_commit_fix(text, finding.data["commits"], self.fix_applicability)
        return None
