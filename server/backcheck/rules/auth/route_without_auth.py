"""## What it does
Flags a route that an anonymous request can reach and that is not declared public.

backcheck follows how each framework authenticates: FastAPI dependencies (on the decorator, the router,
`include_router`, parameters with `Depends`/`Security`, `Annotated` aliases and dependency chains down
to a security scheme or a function that rejects with 401/403); Flask decorators (`login_required`,
Flask-HTTPAuth, Flask-JWT-Extended, project decorators that check the user), `before_request` hooks and
inline `current_user.is_authenticated` checks; Django and DRF `login_required`, mixins,
`permission_classes`, `DEFAULT_PERMISSION_CLASSES`, and `LoginRequiredMiddleware`.

Routes whose path or name reads as public by design (sign-in and sign-up flows, password reset, health
checks, API docs, the site root) are not flagged.

## Why is this bad?
Every route should pass through authentication unless someone decided it is public. A route that was
simply forgotten exposes data or actions to anyone who finds the URL, and nothing in a code review of
the handler itself shows it.

## Example
```python
@router.get("/orders/{order_id}")
def read_order(order_id: int, db: Session = Depends(get_db)) -> OrderOut:
    return orders.get(db, order_id)
```

## Use instead
```python
@router.get("/orders/{order_id}")
def read_order(order_id: int, user: CurrentUser, db: Session = Depends(get_db)) -> OrderOut:
    return orders.get_for_user(db, user, order_id)
```
or declare it public on purpose: `public = ["/status"]` under `[tool.backcheck]`, or a
`# backcheck: public` comment on the decorator or `def` line.

## Fix safety
The quick fix adds the project's own authentication dependency (FastAPI) or decorator (Flask, Django)
when backcheck found one used elsewhere in the project. It changes who can call the route, so it is
unsafe: review it.

## References
- OWASP API Security Top 10 2023, API2: Broken Authentication
- FastAPI: Security, https://fastapi.tiangolo.com/tutorial/security/
- Django: Limiting access to logged-in users, https://docs.djangoproject.com/en/stable/topics/auth/default/
"""

from __future__ import annotations

from typing import Iterable

from backcheck.diagnostics import Finding
from backcheck.fixes import Fix
from backcheck.index.project import Project, looks_public
from backcheck.rules.base import Rule


class RouteWithoutAuth(Rule):
    code = "BC101"
    name = "route-without-auth"
    severity = "error"
    checklist = "All routes have authentication"
    fix_title = "Require authentication on this route"
    fix_applicability = "unsafe"

    def fix(self, finding: Finding, text: str, project: Project | None) -> Fix | None:
        from backcheck.fixes.auth import require_auth

        return require_auth(finding, text, project)

    def check_project(self, project: Project) -> Iterable[Finding]:
        seen: set[tuple[str, int]] = set()
        for route in project.routes:
            if route.auth or route.public:
                continue
            if looks_public(route.path, route.function) or (route.file, route.line) in seen:
                continue
            seen.add((route.file, route.line))
            target = route.handler or route.cls
            where = target if target is not None else (route.line, 0, route.line, 0)
            finding = self.finding(
                route.file,
                where,
                f"{'/'.join(route.methods)} {route.path} can be reached without authentication; add an auth "
                "dependency or decorator, or declare the route public",
                framework=route.framework,
                function=route.function,
                path=route.path,
                class_based=route.cls is not None,
                drf=bool(route.extra.get("drf")),
            )
            finding.first_line = route.first_line
            yield finding
