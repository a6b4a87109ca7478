"""## What it does
Flags an authentication endpoint that nothing rate-limits. An endpoint counts as authentication when it
accepts a write (POST/PUT/PATCH, or any method for a Django function view) and its path or handler name
reads as sign-in, sign-up, token, refresh, password reset, OTP or verification, or its handler checks
credentials or issues tokens (`OAuth2PasswordRequestForm`, `authenticate`, `check_password`,
`verify_password`, `login_user`, `create_access_token`, `jwt.encode`, ...).

The limiters people use are recognised where they are declared: slowapi and Flask-Limiter decorators
(`@limiter.limit(...)`), default limits (`Limiter(default_limits=...)`, `RATELIMIT_DEFAULT`,
`SlowAPIMiddleware`), fastapi-limiter `Depends(RateLimiter(...))` on the route, its router or the app,
DRF `throttle_classes` / `throttle_scope` and `DEFAULT_THROTTLE_CLASSES`, django-ratelimit
`@ratelimit(...)` (also through `method_decorator`), django-axes and django-defender, rate-limit
middleware, and inline checks calling something named like a limiter or a throttle.

## Why is this bad?
Without a limit an attacker can try passwords, reset codes and one-time codes as fast as the server
answers: credential stuffing with leaked password lists, brute-forcing a 6-digit code in minutes, or
flooding sign-up and reset mail. A limit per client and per account turns those attacks from minutes into
years, and costs legitimate users nothing.

## Example
```python
@router.post("/login")
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DbSession) -> Token:
    user = authenticate(db, form.username, form.password)
    ...
```

## Use instead
```python
@router.post("/login")
@limiter.limit("5/minute")
def login(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DbSession) -> Token:
    user = authenticate(db, form.username, form.password)
    ...
```

## Fix safety
There is no quick fix: which limiter, which key (client address, account) and which rate are the
project's decisions. If a proxy or gateway limits these paths, suppress the finding with
`# backcheck: ignore[BC102]` on the handler.

## References
- OWASP API Security Top 10 2023, API4: Unrestricted Resource Consumption; API2: Broken Authentication
- OWASP Authentication Cheat Sheet, "Protect Against Automated Attacks"
- slowapi, https://slowapi.readthedocs.io/ ; Flask-Limiter, https://flask-limiter.readthedocs.io/
- DRF: Throttling, https://www.django-rest-framework.org/api-guide/throttling/
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from backcheck.diagnostics import Finding
from backcheck.index.facts import CallV, Const, FileFacts, Map, Ref, Seq, Sub
from backcheck.index.project import Project, Route
from backcheck.rules.base import Rule
from backcheck.rules.errors.paths import is_test_path
from backcheck.rules.transactions.orm import PathWalker, walker_for

_AUTH_WORDS = re.compile(
    r"(log_?in|sign_?in|sign_?up|regist|token|refresh|password|passwd|reset|forgot|recover|otp|mfa|2fa|"
    r"two_?factor|verif|magic_?link|activate)",
    re.IGNORECASE,
)
# Words that name an auth endpoint only as the last path segment or the whole handler name: POST /auth.
_GENERIC_AUTH = {"auth", "authenticate", "session", "sessions", "signin", "login"}
# Endpoints that check a secret even for a signed-in user (current password, one-time codes).
_SECRET_WORDS = re.compile(r"(password|passwd|otp|mfa|2fa|two_?factor|verif)", re.IGNORECASE)
_NOT_AUTH = re.compile(r"(log_?out|sign_?out|revoke)", re.IGNORECASE)
_WRITE = {"POST", "PUT", "PATCH", "*"}
_CREDENTIAL_CALLS = re.compile(
    r"(^|\.)(authenticate|authenticate_user|check_password|verify_password|check_password_hash|checkpw|"
    r"login_user|login|create_access_token|create_refresh_token|create_token|issue_token|generate_token|"
    r"encode_token|verify_otp|verify_totp)$|(^|\.)jwt\.encode$|pwd_context\.verify$"
)
_LIMIT_NAME = re.compile(r"(limit|throttl|ratelimit|rate_limit|lockout|brute)", re.IGNORECASE)
_INLINE_LIMIT = re.compile(
    r"(rate_?limit|ratelimit|throttl|limiter|too_many|attempt|lockout|is_blocked|axes|\.hit$|cooldown)", re.IGNORECASE
)
_AUTH_APPS = re.compile(r"^(axes|defender|django_ratelimit|ratelimit|brutebuster|django_brute)", re.IGNORECASE)


def _names(value: Any, depth: int = 0) -> list[str]:
    """Every dotted name and string mentioned in a summary (bounded)."""
    if depth > 6 or value is None:
        return []
    if isinstance(value, Ref):
        return [value.name]
    if isinstance(value, Const):
        return [value.value] if isinstance(value.value, str) else []
    if isinstance(value, CallV):
        out = [value.func]
        for item in [*value.args, *value.kwargs.values()]:
            out += _names(item, depth + 1)
        return out
    if isinstance(value, Seq):
        return [n for item in value.items for n in _names(item, depth + 1)]
    if isinstance(value, Map):
        return [n for item in [*value.keys, *value.values] for n in _names(item, depth + 1)]
    if isinstance(value, Sub):
        return _names(value.value, depth + 1) + _names(value.index, depth + 1)
    return []


def _mentions_limiter(value: Any) -> bool:
    return any(_LIMIT_NAME.search(n) for n in _names(value))


def is_auth_endpoint(route: Route, walker: PathWalker | None, facts: FileFacts | None) -> str:
    """Why a route is an authentication endpoint, or "" when it is not."""
    if not _WRITE.intersection(route.methods):
        return ""
    label = f"{route.path} {route.function}"
    if _NOT_AUTH.search(label):
        return ""
    handler = route.handler
    if set(route.methods) == {"*"} and handler is not None and not _accepts_posts(handler):
        return ""  # a Django view that never looks at a submitted form is a page, not a sign-in
    words = [m.group(0).lower() for text in (route.function, route.path) for m in _AUTH_WORDS.finditer(text)]
    last = route.path.rstrip("/").rsplit("/", 1)[-1].lower()
    if last in _GENERIC_AUTH or route.function.rsplit(".", 1)[-1].lower() in _GENERIC_AUTH:
        words.append(last if last in _GENERIC_AUTH else route.function.rsplit(".", 1)[-1].lower())
    why = words[0] if words else ""
    if not why and handler is not None and facts is not None:
        if any("OAuth2PasswordRequestForm" in n for p in handler.params for n in _names(p.annotation) + _names(p.default)):
            why = "password form"
        elif walker is not None and walker.calls_any(facts, handler, route.cls,
                                                     lambda c: bool(_CREDENTIAL_CALLS.search(c.func)), max_depth=1):
            why = "credential check"
    if not why:
        return ""
    if route.auth and not any("basic" in v.lower() for v in route.auth_via) and not _SECRET_WORDS.search(label):
        return ""  # already signed in: not where passwords are guessed (HTTP Basic is, though)
    return why


def _accepts_posts(handler) -> bool:
    return any(r.startswith(("request.POST", "request.method", "request.body", "request.data", "self.request.POST"))
               for r in handler.reads) or "POST" in str(handler.flags)


class AuthEndpointWithoutRateLimit(Rule):
    code = "BC102"
    name = "auth-endpoint-without-rate-limit"
    severity = "warning"
    checklist = "Security best practices: authentication endpoints are rate-limited"

    def check_project(self, project: Project) -> Iterable[Finding]:
        walker = walker_for(project)
        global_limits: dict[str, bool] | None = None
        reported: set[tuple[str, int]] = set()
        for route in project.routes:
            facts = project.files.get(route.file)
            if facts is None or is_test_path(route.file):
                continue
            why = is_auth_endpoint(route, walker, facts)
            if not why:
                continue
            if global_limits is None:
                global_limits = self._global_limits(project)
            if self._limited(project, walker, route, facts, global_limits):
                continue
            key = (route.file, route.line)
            if key in reported:
                continue
            reported.add(key)
            target = route.handler or route.cls
            where = target if target is not None else (route.line, 0, route.line, 0)
            methods = "/".join(m for m in route.methods if m != "*") or "ANY"
            finding = self.finding(
                route.file, where,
                f"{methods} {route.path} is an authentication endpoint ({why}) with no rate limit: passwords "
                f"and codes can be guessed as fast as the server answers; {self._advice(route)}",
                function=route.function, path=route.path,
            )
            finding.first_line = route.first_line
            yield finding

    @staticmethod
    def _advice(route: Route) -> str:
        if route.framework == "fastapi":
            return "add a slowapi `@limiter.limit(...)` or a fastapi-limiter `Depends(RateLimiter(...))`"
        if route.framework == "flask":
            return "add a Flask-Limiter `@limiter.limit(...)`"
        if route.extra.get("drf"):
            return "set `throttle_classes` (or DEFAULT_THROTTLE_CLASSES)"
        return "add django-ratelimit's `@ratelimit(...)` or django-axes"

    # -- what limits a route -------------------------------------------------------------------------

    def _limited(self, project: Project, walker: PathWalker, route: Route, facts: FileFacts,
                 global_limits: dict[str, bool]) -> bool:
        framework = "drf" if route.extra.get("drf") else route.framework
        if global_limits.get(framework) or global_limits.get("*"):
            return True
        if framework == "drf" and global_limits.get("django"):
            return True
        handler = route.handler
        if handler is not None:
            if any(_mentions_limiter(d) for d in handler.decorators):
                return True
            if any(_mentions_limiter(p.default) or _mentions_limiter(p.annotation) for p in handler.params):
                return True
            if walker.calls_any(facts, handler, route.cls, lambda c: bool(_INLINE_LIMIT.search(c.func))):
                return True
        decorator = route.extra.get("decorator")
        if isinstance(decorator, CallV) and _mentions_limiter(decorator.kwargs.get("dependencies")):
            return True
        if route.cls is not None:
            owner = project.files.get(route.file) or facts
            if any(_mentions_limiter(d) for d in route.cls.decorators):
                return True
            for attr in ("throttle_classes", "throttle_scope"):
                found = project.class_attr(owner, route.cls, attr)
                if found is not None and not (isinstance(found[1], Seq) and not found[1].items):
                    return True
        return self._module_limited(project, facts)

    @staticmethod
    def _module_limited(project: Project, facts: FileFacts) -> bool:
        """A router or blueprint limited as a whole in the handler's own module."""
        for value, _line in facts.assigns.values():
            if isinstance(value, CallV) and value.func.rsplit(".", 1)[-1] in ("APIRouter", "Blueprint") \
                    and _mentions_limiter(value.kwargs.get("dependencies")):
                return True
        for call in facts.calls:
            # limiter.limit("5/minute")(auth_bp), include_router(auth.router, dependencies=[... RateLimiter ...])
            if call.func.endswith((".limit()", ".shared_limit()")):
                return True
            if call.func.endswith(".include_router") and _mentions_limiter(call.kwargs.get("dependencies")):
                return True
        return False

    def _global_limits(self, project: Project) -> dict[str, bool]:
        """Frameworks whose every route is limited by a default: {"fastapi"|"flask"|"drf"|"django"|"*": True}."""
        out: dict[str, bool] = {}
        for facts in project.files.values():
            if is_test_path(facts.path):
                continue
            for call in self._module_and_factory_calls(facts):
                short = call.func.rsplit(".", 1)[-1]
                if short == "Limiter" and (call.kwargs.get("default_limits") or call.kwargs.get("application_limits")):
                    package = project.qualify(facts, call.func)
                    out["fastapi" if package.startswith("slowapi") else "flask"] = True
                    if not package.startswith(("slowapi", "flask_limiter")):
                        out["*"] = True
                elif short == "add_middleware" and call.args and _LIMIT_NAME.search(" ".join(_names(call.args[0]))) or short == "FastAPI" and _mentions_limiter(call.kwargs.get("dependencies")):
                    out["fastapi"] = True
                elif short in ("update", "from_mapping") and "RATELIMIT_DEFAULT" in call.kwargs:
                    out["flask"] = True
            for name, (value, _line) in facts.assigns.items():
                if name == "RATELIMIT_DEFAULT":
                    out["flask"] = True
                elif name == "REST_FRAMEWORK" and isinstance(value, Map):
                    for key, item in zip(value.keys, value.values):
                        if isinstance(key, Const) and key.value == "DEFAULT_THROTTLE_CLASSES" \
                                and isinstance(item, Seq) and item.items:
                            out["drf"] = True
                elif name in ("INSTALLED_APPS", "MIDDLEWARE") and isinstance(value, Seq):
                    for item in value.items:
                        text = item.value if isinstance(item, Const) and isinstance(item.value, str) else ""
                        if _AUTH_APPS.match(text) or (name == "MIDDLEWARE" and _LIMIT_NAME.search(text)):
                            out["django"] = True
            for cls in facts.classes.values():
                if "RATELIMIT_DEFAULT" in cls.attrs:
                    out["flask"] = True
        return out

    @staticmethod
    def _module_and_factory_calls(facts: FileFacts) -> Iterable[CallV]:
        yield from facts.calls
        for value, _line in facts.assigns.values():
            if isinstance(value, CallV):
                yield value
        for func in facts.functions.values():
            yield from func.calls

