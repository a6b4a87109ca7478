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

Every route gets one of three verdicts:
- **authenticated**: a gate rejects an anonymous request on every path to the handler. Not flagged.
- **conditional**: the only gate depends on a setting or on state (a `LOGIN_REQUIRED`-style flag, a
  visibility setting, "during event time only"). Flagged one step lower (a warning instead of an
  error), and the message names the condition that leaves the route open: "open when
  settings.PRIVATE_MODE is false".
- **open**: nothing examined rejects an anonymous request. Flagged as an error.

## How to read the explanation
Each finding lists the authentication candidates backcheck examined for the route, in order: as the
diagnostic's related information in the editor (one entry per candidate, each a link to where it is
declared or applied), `relatedLocations` in SARIF, `related` in `backcheck check --format json`.
Hovering the handler's `def` or decorator lines shows the verdict and the same chain, and
`backcheck routes --explain` prints it for every route (`auth_trail` in `--format json`). Each
entry reads `kind name: verdict — reason`, for example

```text
router api_router: open — include_router adds no dependencies
dependency get_current_user: open — auto_error=False returns None instead of rejecting
decorator feature_flag: conditional — rejects only when settings.PRIVATE_MODE is true
```

kind is where the candidate sits (dependency, decorator, router, include, hook, middleware, mixin,
permission, settings, inline, marker); verdict is `authenticates`, `conditional` or `open`. An entry
that names a library class points at the route itself. "no authentication candidate found" means
nothing that could authenticate applies to the route at all. When a candidate you know rejects
anonymous requests shows up as open, its check is out of backcheck's sight (a library backcheck
does not know, a check decided at run time): list it under `auth_dependencies` or `auth_decorators`
in `[tool.backcheck]`, or declare the route public.

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

from collections.abc import Iterable

from backcheck.diagnostics import Finding, Related
from backcheck.fixes import Fix
from backcheck.index.project import Project, looks_public
from backcheck.rules.auth import explain
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
            endpoint = f"{'/'.join(route.methods)} {route.path}"
            if route.auth_condition:
                condition = explain.open_when(route.auth_condition)
                message = (f"{endpoint} is {condition}: its only gate depends on a setting or on "
                           "state; make the check unconditional, or declare the route public")
            else:
                message = (f"{endpoint} can be reached without authentication; add an auth "
                           "dependency or decorator, or declare the route public")
            finding = self.finding(
                route.file,
                where,
                message,
                framework=route.framework,
                function=route.function,
                path=route.path,
                class_based=route.cls is not None,
                drf=bool(route.extra.get("drf")),
            )
            finding.first_line = route.first_line
            if route.auth_condition:
                finding.severity = _LOWER[self.severity]
            finding.related = [Related(*explain.where(route, step), explain.step_text(step))
                               for step in explain.chain(route)]
            yield finding


# A conditional gate is reported one step below the rule's own severity.
_LOWER = {"error": "warning", "warning": "info", "info": "info"}
