"""FastAPI: apps and APIRouters (project subclasses, extension routers, apps built by a factory), their
decorators and `add_api_route` (in `if` blocks, loops and loader functions), `include_router` prefixes,
and authentication judged by what each dependency does.

Every auth candidate of a route (app, router and include dependencies, HTTP middleware, decorator and
parameter dependencies, class-based-view attributes, an inline check) gets a verdict, recorded in
`Route.auth_trail`: "authenticates" when, followed through project code (factories and the function they
return for the arguments given, closures, `functools.partial`, instances with `__call__`, aliases,
sub-dependencies), it rejects a request without credentials (401/403, a FastAPI security scheme, a known
library primitive); "open" when it does not, including optional variants (`auto_error=False`, a factory
called with `required=False`); "conditional" when its rejection depends on a setting, which becomes the
route's `auth_condition` (see `fastapi_gates.py`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from backcheck.index import authcommon as ac
from backcheck.index import fastapi_gates as gates
from backcheck.index.facts import (
    CallV,
    ClassFacts,
    Const,
    FileFacts,
    FStr,
    FuncFacts,
    Map,
    Ref,
    Seq,
    Sub,
    Test,
)
from backcheck.index.fastapi_gates import AUTHENTICATES, CONDITIONAL, OPEN, Verdict
from backcheck.index.project import AuthStep, Project, Route

FRAMEWORK = "fastapi"
_APP_TYPES = {"fastapi.FastAPI", "fastapi.applications.FastAPI"}
_ROUTER_TYPES = {
    "fastapi.APIRouter", "fastapi.routing.APIRouter",
    # routers of FastAPI extensions (class-based views)
    "fastapi_utils.inferring_router.InferringRouter", "fastapi_restful.inferring_router.InferringRouter",
    "fastapi_restful.InferringRouter",
}
_DEPENDS = {"fastapi.Depends", "fastapi.params.Depends", "fastapi.param_functions.Depends"}
_SECURITY = {"fastapi.Security", "fastapi.params.Security", "fastapi.param_functions.Security"}
_SCHEMES = {
    "OAuth2PasswordBearer", "OAuth2AuthorizationCodeBearer", "OAuth2", "HTTPBearer", "HTTPBasic",
    "HTTPDigest", "APIKeyHeader", "APIKeyCookie", "APIKeyQuery", "OpenIdConnect", "SecurityBase",
    "HTTPBase",
}
_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "trace"}
# Library dependencies recognised by name (fastapi-users, auth0, custom packages): current_user(...), ...
_AUTHISH = re.compile(r"(current_(active_)?(super)?user|authenticat|require_(user|auth|login|role|scope)|"
                      r"verify_(token|jwt|api_key|key)|get_(current|auth)|auth_required|login_required|"
                      r"jwt_required|check_(token|auth|permission)|permission)", re.IGNORECASE)
# Auth primitives of libraries, by (qualified owner, attribute): the keyword and the value of it that
# make them let anonymous requests through ("*": always optional, "": never). An empty attribute means
# the instance itself is the dependency (fastapi-login's `LoginManager`).
_LIBRARY_PRIMITIVES: dict[tuple[str, str], tuple[str, Any, str]] = {
    ("fastapi_users.FastAPIUsers", "current_user"): ("optional", True, "fastapi-users"),
    ("fastapi_users.fastapi_users.FastAPIUsers", "current_user"): ("optional", True, "fastapi-users"),
    ("fastapi_login.LoginManager", ""): ("", None, "fastapi-login"),
    ("fastapi_login.LoginManager", "optional"): ("*", None, "fastapi-login"),
    ("authx.AuthX", "access_token_required"): ("", None, "authx"),
    ("authx.AuthX", "fresh_token_required"): ("", None, "authx"),
    ("authx.AuthX", "refresh_token_required"): ("", None, "authx"),
    ("supertokens_python.recipe.session.framework.fastapi", "verify_session"):
        ("session_required", False, "SuperTokens"),
    ("fastapi_auth0.Auth0", "get_user"): ("", None, "fastapi-auth0"),
    ("fastapi_auth0.Auth0", "implicit_scheme"): ("", None, "fastapi-auth0"),
    ("fastapi_azure_auth.SingleTenantAzureAuthorizationCodeBearer", ""): ("auto_error", False, "fastapi-azure-auth"),
    ("fastapi_azure_auth.MultiTenantAzureAuthorizationCodeBearer", ""): ("auto_error", False, "fastapi-azure-auth"),
    ("fastapi_azure_auth.B2CMultiTenantAuthorizationCodeBearer", ""): ("auto_error", False, "fastapi-azure-auth"),
}
# Calls on an injected fastapi-jwt-auth / AuthX object that reject a request without a valid token.
_JWT_REQUIRED = {"jwt_required", "fresh_jwt_required", "jwt_refresh_token_required", "access_token_required"}
_AUTH_EXCEPTION = re.compile(
    r"(Unauthori[sz]ed|Forbidden|PermissionDenied|NotAuthenticated|AuthenticationFailed|InvalidToken|"
    r"Credential|LoginRequired|AuthError|AuthenticationError|Unauthenticated|NotAuthori[sz]ed|AccessDenied)"
)
# Parameters and locals that hold configuration rather than request data.
_CONFIG = re.compile(r"(settings|config|conf\b|options|environ|getenv)", re.IGNORECASE)
_MAX_DEPTH = 14
_UNKNOWN = object()
_REQUIRES = {"starlette.authentication.requires", "fastapi.authentication.requires"}
_JWT_LIBRARIES = {"fastapi_jwt_auth", "async_fastapi_jwt_auth", "fastapi_another_jwt_auth", "authx"}


@dataclass
class RouterObj:
    key: tuple[str, str]
    is_app: bool
    facts: FileFacts
    prefix: str = ""
    # (dependency marker, the module it is written in)
    dependencies: list[tuple[Any, FileFacts]] = field(default_factory=list)
    # (parent key, include prefix, include dependencies with their module, include facts)
    parents: list[tuple[tuple[str, str], str, list[tuple[Any, FileFacts]], FileFacts]] = field(default_factory=list)


def _const_str(value: Any) -> str | None:
    return value.value if isinstance(value, Const) and isinstance(value.value, str) else None


def _seq(value: Any) -> list[Any]:
    return value.items if isinstance(value, Seq) else []


class FastAPIIndex:
    """Route discovery and auth decisions for one project."""

    def __init__(self, project: Project):
        self.project = project
        self.routers: dict[tuple[str, str], RouterObj] = {}
        self._auth_cache: dict[str, Verdict] = {}
        self._in_progress: set[str] = set()
        # router key -> the HTTP middleware functions of that app: (module, function)
        self.middleware: dict[tuple[str, str], list[tuple[FileFacts, FuncFacts]]] = {}
        # id of a router dependency marker -> the tests under which the router has it (`_rebound_deps`)
        self._dep_gates: dict[int, tuple[list[Test], FileFacts, FuncFacts]] = {}

    # -- apps and routers ----------------------------------------------------------------------------

    def _kind_of_callee(self, facts: FileFacts, func: str, depth: int = 0) -> str | None:
        qualified = self.project.qualify(facts, func)
        if qualified in _APP_TYPES:
            return "app"
        if qualified in _ROUTER_TYPES:
            return "router"
        if depth >= 4:
            return None
        found = self.project.lookup(qualified)
        if found and found[1] == "assign" and isinstance(found[2][0], CallV):
            # `APIRouter = get_api_router_class(APIRoute)`: a class made by a project function
            maker = self.project.resolve(found[0], found[2][0].func)
            if maker and maker[1] == "function":
                made = maker[2].returns
                if (isinstance(made, Sub) and isinstance(made.value, Ref) and made.value.name in ("type", "Type")
                        and isinstance(made.index, Ref)):
                    return self._kind_of_callee(maker[0], made.index.name, depth + 1)
                for value in maker[2].return_values:
                    if isinstance(value, Ref) and value.name in maker[0].classes:
                        return self._kind_of_callee(maker[0], value.name, depth + 1)
            return None
        return ac.kind_from_bases(found, self._kind_of_callee, depth)

    def _constructors(self) -> set[str]:
        """Short names that can build an app or router: FastAPI, APIRouter and project subclasses of them."""
        names = {"FastAPI", "APIRouter", *(t.rsplit(".", 1)[-1] for t in _ROUTER_TYPES)}
        for facts in self.project.files.values():
            if not any(v.startswith("fastapi") for v in facts.imports.values()) and not any(
                base.rsplit(".", 1)[-1] in names for cls in facts.classes.values() for base in cls.bases
            ):
                continue
            for cls in facts.classes.values():
                if any(self._kind_of_callee(facts, base) for base in cls.bases if base):
                    names.add(cls.name)
        return names

    def collect_routers(self) -> None:
        if not any(v.startswith("fastapi") for f in self.project.files.values() for v in f.imports.values()):
            return  # no FastAPI in the project: nothing can build an app or a router
        constructors = self._constructors()
        for facts in self.project.files.values():
            if not facts.imports:
                continue
            scopes: list[tuple[Any, FuncFacts | None]] = [(facts.assigns.items(), None)]
            for func in facts.all_functions():
                scopes.append((((k, (v, func.line)) for k, v in func.locals.items()), func))
            for scope, owner in scopes:
                for name, (value, _line) in scope:
                    if not isinstance(value, CallV) or value.func.rsplit(".", 1)[-1] not in constructors:
                        continue
                    kind = self._kind_of_callee(facts, value.func)
                    if kind is None:
                        continue
                    key = (facts.module, name)
                    deps = self._deps(facts, value.kwargs.get("dependencies"))
                    if owner is not None and owner.rebinds:
                        deps = self._rebound_deps(facts, owner, name, deps, constructors)
                    self.routers[key] = RouterObj(
                        key=key,
                        is_app=kind == "app",
                        facts=facts,
                        prefix=self.project.static_str(facts, value.kwargs.get("prefix")) or "",
                        dependencies=deps + self._subclass_dependencies(facts, value.func),
                    )
        self._alias_factory_apps()

    def _rebound_deps(self, facts: FileFacts, func: FuncFacts, name: str, deps: list[tuple[Any, FileFacts]],
                      constructors: set[str]) -> list[tuple[Any, FileFacts]]:
        """`r = APIRouter()` then `if test: r = APIRouter(dependencies=[...])`: the last binding's
        dependencies apply only when its own tests hold, the earlier binding's only when they do not."""
        bindings = [(tests, value) for bound, tests, value in func.rebinds if bound == name]
        if len(bindings) < 2:
            return deps
        (before, earlier), (tests, _) = bindings[-2], bindings[-1]
        extra = [test for test in tests if test not in before]
        if not extra:
            return deps
        for dep, _ in deps:
            self._dep_gates[id(dep)] = (extra, facts, func)
        if not isinstance(earlier, CallV) or earlier.func.rsplit(".", 1)[-1] not in constructors:
            return deps
        otherwise = Test(gates.gate_text(extra), [n for t in extra for n in t.names], True)
        old = self._deps(facts, earlier.kwargs.get("dependencies"))
        for dep, _ in old:
            self._dep_gates[id(dep)] = ([otherwise], facts, func)
        return deps + old

    def _gated(self, dep: Any, verdict: Verdict) -> Verdict:
        """A router dependency that applies only under a test (see `_rebound_deps`): it authenticates when
        the test holds with the settings' defaults in project code, else it is conditional on the test."""
        gate = self._dep_gates.get(id(dep))
        if gate is None or not verdict.authenticates:
            return verdict
        tests, facts, func = gate
        text = gates.gate_text(tests)
        if all(self._reads_config(facts, func, test) for test in tests) and self._config_holds(facts, tests, func):
            return replace(verdict, reason=f"{verdict.reason}; the router has it only when {text}, which "
                                           "holds with the settings' defaults in project code")
        return Verdict(CONDITIONAL, f"the router has it only when {text}: {verdict.reason}",
                       condition=gates.negate(text))

    def _deps(self, facts: FileFacts, value: Any, depth: int = 0) -> list[tuple[Any, FileFacts]]:
        """A `dependencies=` list with the module each marker is written in (`dependencies=AUTH_DEPS`
        names a list declared elsewhere)."""
        if isinstance(value, Seq):
            return [(item, facts) for item in value.items]
        if isinstance(value, Ref) and depth < 4:
            found = self.project.resolve(facts, value.name)
            if found and found[1] == "assign":
                return self._deps(found[0], found[2][0], depth + 1)
        return []

    def _alias_factory_apps(self) -> None:
        """`app = create_app()` where the project function builds the app and returns it."""
        for facts in self.project.files.values():
            for name, (value, _line) in facts.assigns.items():
                if not isinstance(value, CallV) or (facts.module, name) in self.routers:
                    continue
                found = self.project.resolve(facts, value.func)
                if not found or found[1] != "function":
                    continue
                for returned in found[2].return_values:
                    key = (found[0].module, returned.name) if isinstance(returned, Ref) else None
                    if key in self.routers:
                        self.routers[(facts.module, name)] = self.routers[key]
                        break

    def _subclass_dependencies(self, facts: FileFacts, func: str) -> list[tuple[Any, FileFacts]]:
        """`class UserRouter(APIRouter)` whose `__init__` passes `dependencies=[...]` to `super().__init__`."""
        found = self.project.resolve(facts, func)
        if not found or found[1] != "class":
            return []
        deps: list[tuple[Any, FileFacts]] = []
        for owner_facts, owner in self.project.class_mro(found[0], found[2]):
            init = owner.methods.get("__init__") if isinstance(owner, ClassFacts) else None
            for call in init.calls if init else ():
                if call.func.endswith("__init__") and call.func.startswith("super("):
                    deps.extend(self._deps(owner_facts, call.kwargs.get("dependencies")))
        return deps

    def router_key(self, facts: FileFacts, name: str) -> tuple[str, str] | None:
        """The router object a name refers to in a module (local, imported, or `module.router`)."""
        if (facts.module, name) in self.routers:
            return facts.module, name
        qualified = self.project.qualify(facts, name)
        found = self.project.lookup(qualified)
        if found and found[1] == "assign":
            key = (found[0].module, qualified.rsplit(".", 1)[-1])
            if key in self.routers:
                return key
        module, _, attr = qualified.rpartition(".")
        target = self.project.module(module)
        if target is not None and (target.module, attr) in self.routers:
            return target.module, attr
        return None

    def collect_middleware(self) -> None:
        """`@app.middleware("http")` functions and `app.add_middleware(Cls)` with a project `dispatch`."""
        for facts in self.project.files.values():
            for func in facts.all_functions():
                for decorator in func.decorators:
                    if isinstance(decorator, CallV) and decorator.func.endswith(".middleware"):
                        key = self.router_key(facts, decorator.func.rsplit(".", 1)[0])
                        if key is not None:
                            self.middleware.setdefault(key, []).append((facts, func))
        for facts, call in self.project.all_calls():
            if call.func.endswith(".middleware()") and call.args and isinstance(call.args[0], Ref):
                # `app.middleware("http")(check_key)`
                key = self.router_key(facts, call.func[: -len(".middleware()")])
                found = self.project.resolve(facts, call.args[0].name)
                if key is not None and found and found[1] == "function":
                    self.middleware.setdefault(key, []).append((found[0], found[2]))
                continue
            if not call.func.endswith(".add_middleware") or not call.args or not isinstance(call.args[0], Ref):
                continue
            key = self.router_key(facts, call.func.rsplit(".", 1)[0])
            found = self.project.resolve(facts, call.args[0].name)
            if key is None or not found or found[1] != "class":
                continue
            for method in ("dispatch", "__call__"):
                hook = self.project.find_method(found[0], found[2], method)
                if hook:
                    self.middleware.setdefault(key, []).append((hook[0], hook[2]))
                    break

    def middleware_verdict(self, facts: FileFacts, hook: FuncFacts, path: str) -> Verdict:
        """Whether an HTTP middleware turns an anonymous request for `path` away."""
        guard = ac.hook_rejects(hook)
        if guard is not None:
            how = f"checks {guard.signal} (line {guard.line})"
        elif any(isinstance(v, CallV) and ac.status_is_auth(list(v.kwargs.values())) for _, v in hook.returns_when):
            how = "answers 401/403"
        elif any(self._rejection(facts, hook, exc) for _, exc in hook.raises_when):
            how = "rejects with 401/403"
        else:
            return Verdict(OPEN, f"{hook.name}: no check of the caller that answers 401/403")
        if (guard is not None and _exempts(self.project, facts, guard.exempt, guard.exempt_names, path)) or \
                self._passes_through(facts, hook, path):
            return Verdict(OPEN, f"{hook.name} lets {path} through (its allow-list)")
        return Verdict(AUTHENTICATES, f"{hook.name} {how}")

    def _passes_through(self, facts: FileFacts, hook: FuncFacts, path: str) -> bool:
        """`if request.url.path in PUBLIC: return await call_next(request)`: an allow-list before the check."""
        through = hook.params[-1].name if hook.params else ""
        for tests, value in hook.returns_when:
            if not isinstance(value, CallV) or value.func.rsplit(".", 1)[-1] not in (through, "call_next", "app"):
                continue
            for test in tests:
                if test.negated:
                    continue
                consts = re.findall(r"[\"'](/[^\"']*)[\"']", test.text)
                if _exempts(self.project, facts, consts, test.names, path):
                    return True
        return False

    def collect_includes(self) -> None:
        for facts, call in self.project.all_calls():
            if not call.func.endswith(".include_router") or not call.args:
                continue
            parent = self.router_key(facts, call.func[: -len(".include_router")])
            child_ref = call.args[0]
            if parent is None or not isinstance(child_ref, Ref):
                continue
            prefix, deps = call.kwargs.get("prefix"), call.kwargs.get("dependencies")
            child = self.router_key(facts, child_ref.name)
            if child is not None:
                self._include(parent, child, facts, facts, prefix, deps)
                continue
            # `for router in (users.router, items.router): app.include_router(router, ...)`
            names = [v.name for v in (child_ref, prefix) if isinstance(v, Ref) and _loop_var(facts, v.name)]
            owner, rows = self._loop_rows(facts, names)
            for row in rows:
                element = row.get(child_ref.name)
                child = self.router_key(owner, element.name) if isinstance(element, Ref) else None
                if child is not None:
                    row_prefix = row.get(prefix.name) if isinstance(prefix, Ref) and prefix.name in row else None
                    self._include(parent, child, owner if row_prefix is not None else facts, facts,
                                  row_prefix if row_prefix is not None else prefix, deps)

    def _include(self, parent: tuple[str, str], child: tuple[str, str], prefix_facts: FileFacts,
                 facts: FileFacts, prefix: Any, deps: Any) -> None:
        if child != parent:
            self.routers[child].parents.append(
                (parent, self.project.static_str(prefix_facts, prefix) or "", self._deps(facts, deps), facts)
            )

    def _loop_rows(self, facts: FileFacts, names: list[str]) -> tuple[FileFacts, list[dict[str, Any]]]:
        """The values loop variables take, one {name: value} per element of what the loop iterates
        (a list or tuple display, or a module constant holding one), with the module it is written in."""
        if not names:
            return facts, []
        iterated = _loop_var(facts, names[0])[0]
        owner, items = self._items(facts, iterated)
        rows = []
        for item in items:
            row: dict[str, Any] = {}
            for name in names:
                source, index = _loop_var(facts, name)
                if source != iterated:
                    continue
                if index < 0:
                    row[name] = item
                elif isinstance(item, Seq) and index < len(item.items):
                    row[name] = item.items[index]
            rows.append(row)
        return owner, rows

    def _items(self, facts: FileFacts, value: Any, depth: int = 0) -> tuple[FileFacts, list[Any]]:
        if isinstance(value, Seq):
            return facts, value.items
        if isinstance(value, Ref) and depth < 4:
            found = self.project.resolve(facts, value.name)
            if found and found[1] == "assign":
                return self._items(found[0], found[2][0], depth + 1)
        return facts, []

    def mounts(self, key: tuple[str, str], seen: frozenset = frozenset()) -> list[tuple[str, list[tuple[Any, FileFacts, str]]]]:
        """Every (path prefix, dependencies with their module and origin) chain from a router up to a root."""
        router = self.routers[key]
        origin = "app dependencies" if router.is_app else "router dependencies"
        own_deps = [(d, dep_facts, origin) for d, dep_facts in router.dependencies]
        if not router.parents or key in seen:
            # a root: the app's HTTP middleware runs before any of its routes
            hooks = [(hook, hook_facts, "middleware") for hook_facts, hook in self.middleware.get(key, [])]
            return [(router.prefix, hooks + own_deps)]
        chains = []
        for parent, prefix, deps, facts in router.parents:
            if parent in seen:
                continue
            include_deps = [(d, dep_facts, "include_router dependencies") for d, dep_facts in deps]
            for parent_prefix, parent_deps in self.mounts(parent, seen | {key}):
                chains.append((parent_prefix + prefix + router.prefix, parent_deps + include_deps + own_deps))
        return chains or [(router.prefix, own_deps)]

    # -- routes --------------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        self.collect_routers()
        if not self.routers:
            return []
        self.collect_includes()
        self.collect_middleware()
        out: list[Route] = []
        for facts in self.project.files.values():
            if _TEST_MODULE.search(facts.path):
                continue  # routes a test declares on the app it is given are scaffolding, not the API
            for func in facts.all_functions():
                for decorator in func.decorators:
                    if isinstance(decorator, CallV):
                        out.extend(self._decorated(facts, func, decorator))
            calls = [(None, c) for c in facts.calls]
            calls += [(f, c) for f in facts.all_functions() for c in f.calls]
            for func, call in calls:
                if call.func.endswith(".add_api_route"):
                    out.extend(self._added(facts, call, func))
        return out

    def _decorated(self, facts: FileFacts, func: FuncFacts, decorator: CallV) -> list[Route]:
        owner, _, verb = decorator.func.rpartition(".")
        if not owner or verb not in _VERBS | {"api_route", "route", "websocket", "websocket_route"}:
            return []
        key = self.router_key(facts, owner) or self._param_router(facts, func, owner)
        if key is None:
            return []
        raw_path = decorator.args[0] if decorator.args else decorator.kwargs.get("path")
        path = self._path(facts, raw_path) if raw_path is not None else ""
        if verb in _VERBS:
            methods = [verb.upper()]
        elif verb.startswith("websocket"):
            methods = ["WEBSOCKET"]
        else:
            methods = [m.value.upper() for m in _seq(decorator.kwargs.get("methods")) if isinstance(m, Const)] or ["GET"]
        route_deps = [(d, dep_facts, "decorator dependencies")
                      for d, dep_facts in self._deps(facts, decorator.kwargs.get("dependencies"))]
        extra = {
            "response_model": decorator.kwargs.get("response_model"),
            "status_code": decorator.kwargs.get("status_code"),
            "decorator": decorator,
            "module": facts.module,
        }
        return self._build(facts, func, key, path, methods, route_deps, extra)

    def _param_router(self, facts: FileFacts, func: FuncFacts, owner: str,
                      own: bool = False) -> tuple[str, str] | None:
        """`def setup(app: FastAPI): @app.get(...)`: an app or router handed to the enclosing function
        (`own`: to the function itself, for `app.add_api_route(...)` in its body)."""
        if "." not in func.qualname and not own:
            return None
        outer = func if own else facts.functions.get(func.qualname.split(".")[0])
        if outer is None:
            return None
        for param in outer.params:
            if param.name == owner and isinstance(param.annotation, Ref):
                kind = self._kind_of_callee(facts, param.annotation.name)
                if kind:
                    key = (facts.module, f"{outer.name}:{owner}")
                    self.routers.setdefault(key, RouterObj(key=key, is_app=kind == "app", facts=facts))
                    return key
        return None

    def inline_auth(self, facts: FileFacts, func: FuncFacts) -> str | None:
        """A handler that rejects anonymous callers itself, or through a project function it calls first."""
        if raises_auth_error(func) and _reads_credentials(func):
            return "inline check (rejects with 401/403)"
        for call in func.calls:
            # a websocket turned away with a policy-violation close (the websocket 403)
            code = call.args[0] if call.args else call.kwargs.get("code")
            if call.func.endswith(".close") and _is_policy_close(code) and _reads_credentials(func):
                return f"inline check: {call.func}(policy violation)"
        optional = set()
        for param in func.params:
            verdict = self.param_verdict(facts, param)
            if (verdict is not None and verdict.optional) or (verdict is None and _may_be_missing(param.default)):
                optional.add(param.name)
        for tests, exc in func.raises_when if optional else ():
            if self._rejection(facts, func, exc) and any(gates.lacks_credential(t, optional) for t in tests):
                return f"inline check: rejects with 401/403 when {', '.join(sorted(optional))} is missing"
        injected = {p.name: p for p in func.params}
        for call in func.calls:
            head, _, attr = call.func.rpartition(".")
            if attr in _JWT_REQUIRED and head in injected:
                library = self.project.qualify(facts, _label(injected[head].annotation))
                if library.split(".", 1)[0] in _JWT_LIBRARIES:
                    return f"inline check: {head}.{attr}() ({library})"
        for call in func.calls[:40]:
            if "(" in call.func or "." in call.func and call.func.split(".")[0] in ("self", "db", "session"):
                continue
            found = self.project.resolve(facts, call.func)
            if found and found[1] == "function" and raises_auth_error(found[2]) and _reads_credentials(found[2]):
                return f"inline check: {call.func}() rejects with 401/403"
        return None

    def _added(self, facts: FileFacts, call: CallV, within: FuncFacts | None) -> list[Route]:
        """`router.add_api_route(path, endpoint, ...)`, at module level, in an `if`, a loop or a function."""
        owner = call.func[: -len(".add_api_route")]
        key = self.router_key(facts, owner)
        if key is None and within is not None:
            key = self._param_router(facts, within, owner, own=True)
        raw_path = call.args[0] if call.args else call.kwargs.get("path")
        endpoint = call.args[1] if len(call.args) > 1 else call.kwargs.get("endpoint")
        if key is None or raw_path is None or not isinstance(endpoint, Ref):
            return []
        if _loop_var(facts, endpoint.name) and self.project.resolve(facts, endpoint.name) is None:
            # `for path, view in ROUTES: router.add_api_route(path, view)`: one route per element
            names = [v.name for v in (endpoint, raw_path) if isinstance(v, Ref) and _loop_var(facts, v.name)]
            owner, rows = self._loop_rows(facts, names)
            out = []
            for row in rows:
                view = row.get(endpoint.name)
                path = row.get(raw_path.name) if isinstance(raw_path, Ref) else None
                if isinstance(view, Ref):
                    out.extend(self._endpoint_route(facts, call, key, owner, view, owner if path else facts,
                                                    path or raw_path))
            return out
        return self._endpoint_route(facts, call, key, facts, endpoint, facts, raw_path)

    def _endpoint_route(self, facts: FileFacts, call: CallV, key: tuple[str, str], view_facts: FileFacts,
                        endpoint: Ref, path_facts: FileFacts, raw_path: Any) -> list[Route]:
        found = self.project.resolve(view_facts, endpoint.name)
        if not found or found[1] != "function":
            return []
        methods = [m.value.upper() for m in _seq(call.kwargs.get("methods")) if isinstance(m, Const)] or ["GET"]
        deps = [(d, dep_facts, "add_api_route dependencies")
                for d, dep_facts in self._deps(facts, call.kwargs.get("dependencies"))]
        extra = {"response_model": call.kwargs.get("response_model"), "module": found[0].module}
        return self._build(found[0], found[2], key, self._path(path_facts, raw_path), methods, deps, extra)

    def _path(self, facts: FileFacts, value: Any) -> str:
        """A route path as written; a computed one keeps its constant start and names the rest."""
        known = self.project.static_str(facts, value)
        if known is not None:
            return known
        if isinstance(value, FStr):
            return value.prefix + (f"{{{value.names[0]}}}" if value.names else "")
        if isinstance(value, Ref):
            return f"{{{value.name}}}"
        return ""

    def _build(self, facts, func, key, path, methods, route_deps, extra) -> list[Route]:
        routes = []
        for prefix, chain_deps in self.mounts(key):
            trail, via, conditions = self._trail(facts, func, (prefix + path) or "/", [*chain_deps, *route_deps])
            auth = bool(via)
            condition = "" if auth else next(iter(conditions), "")
            routes.append(
                Route(
                    file=facts.path,
                    line=func.line,
                    first_line=func.first_line,
                    function=func.name,
                    methods=methods,
                    path=(prefix + path) or "/",
                    framework=FRAMEWORK,
                    auth=auth,
                    auth_via=via,
                    handler=func,
                    extra=dict(extra),
                    auth_trail=trail,
                    auth_condition=condition,
                )
            )
        return routes

    def _trail(self, facts: FileFacts, func: FuncFacts, path: str,
               deps: list[tuple[Any, FileFacts, str]]) -> tuple[list[AuthStep], list[str], list[str]]:
        """Every auth candidate of a route with its verdict, the `auth_via` texts of those that count, and
        the conditions that leave the conditional ones open."""
        trail: list[AuthStep] = []
        via: list[str] = []
        conditions: list[str] = []

        def add(kind: str, name: str, where: FileFacts, line: int, verdict: Verdict, label: str) -> None:
            step = AuthStep(kind, name, where.path, line, verdict.verdict, verdict.reason)
            trail.append(step)
            if verdict.verdict == CONDITIONAL:
                conditions.append(verdict.condition or verdict.reason)
            if verdict.authenticates:
                via.append(f"{label}: {verdict.reason}")

        for dep, dep_facts, origin in deps:
            if origin == "middleware":
                add("middleware", dep.name, dep_facts, dep.line, self.middleware_verdict(dep_facts, dep, path),
                    f"middleware {dep.name}")
                continue
            verdict = self.dependency_verdict(dep_facts, dep) or Verdict(OPEN, "not a Depends/Security marker")
            verdict = self._gated(dep, verdict) if self._dep_gates else verdict
            kind = _ORIGIN_KIND.get(origin, "dependency")
            add(kind, _label(dep.args[0] if isinstance(dep, CallV) and dep.args else dep), dep_facts,
                dep.line if isinstance(dep, CallV) else 0, verdict, origin)
        for param in func.params:
            verdict = self.param_verdict(facts, param)
            if verdict is not None:
                line = param.default.line if isinstance(param.default, CallV) else func.line
                add("dependency", f"parameter {param.name}", facts, line, verdict, f"parameter {param.name}")
        for owner_facts, name, value, annotation in self._class_dependencies(facts, func):
            verdict = self.dependency_verdict(owner_facts, value, annotation) or self.dependency_verdict(
                owner_facts, annotation, annotation)
            if verdict is not None:
                line = value.line if isinstance(value, CallV) else 0
                add("dependency", name, owner_facts, line, verdict, f"class attribute {name}")
        for decorator in func.decorators:
            name = decorator.func if isinstance(decorator, CallV) else ""
            if name and self.project.qualify(facts, name) in _REQUIRES:
                add("decorator", f"@{name}(...)", facts, decorator.line,
                    Verdict(AUTHENTICATES, "starlette requires(): rejects unauthenticated requests"), "decorator")
        if not via and not _ISSUES_CREDENTIALS.search(f"{path} {func.name}"):
            # sign-in endpoints reject bad passwords with 401 too; that is not authentication
            reason = self.inline_auth(facts, func)
            if reason:
                add("inline", func.name, facts, func.line, Verdict(AUTHENTICATES, reason), "inline")
        return trail, via, conditions

    def _class_dependencies(self, facts: FileFacts, func: FuncFacts) -> list[tuple[FileFacts, str, Any, Any]]:
        """A class-based view's dependencies (fastapi-utils `cbv`, a project `controller`): annotated class
        attributes with `Depends(...)`, which FastAPI resolves before calling the method on the instance."""
        if "." not in func.qualname or not func.params or func.params[0].name != "self":
            return []
        cls = facts.classes.get(func.qualname.split(".")[0])
        if cls is None:
            return []
        found: list[tuple[FileFacts, str, Any, Any]] = []
        seen: set[str] = set()
        for owner_facts, owner in self.project.class_mro(facts, cls):
            if not isinstance(owner, ClassFacts):
                continue
            for name, raw in owner.attrs.items():
                if name in seen or name.startswith("_"):
                    continue
                seen.add(name)
                if isinstance(raw, tuple) and raw and raw[0] == "annotated":
                    annotation, value = raw[1], raw[2]
                else:
                    annotation, value = None, raw
                if isinstance(value, CallV) or isinstance(annotation, Sub):
                    found.append((owner_facts, f"{owner.name}.{name}", value, annotation))
        return found

    # -- authentication ------------------------------------------------------------------------------

    def param_verdict(self, facts: FileFacts, param: Any) -> Verdict | None:
        """What a handler or dependency parameter brings (None: it is not a dependency at all)."""
        for value in (param.default, param.annotation):
            verdict = self.dependency_verdict(facts, value, param.annotation)
            if verdict is not None:
                return verdict
        return None

    def param_auth(self, facts: FileFacts, param: Any) -> str | None:
        """How a parameter authenticates (None: it does not)."""
        verdict = self.param_verdict(facts, param)
        return verdict.reason if verdict and verdict.authenticates else None

    def dependency_verdict(self, facts: FileFacts, value: Any, annotation: Any = None,
                           depth: int = 0) -> Verdict | None:
        """What a Depends/Security marker, an Annotated type or a type alias does (None: not one)."""
        if value is None or depth > _MAX_DEPTH:
            return None
        if isinstance(value, CallV):
            callee = self.project.qualify(facts, value.func)
            short = callee.rsplit(".", 1)[-1]
            if callee in _DEPENDS or callee in _SECURITY or short in {"Depends", "Security"}:
                target = value.args[0] if value.args else value.kwargs.get("dependency")
                if target is None:
                    target = _annotation_type(annotation)
                if target is None:
                    return Verdict(OPEN, f"{short}() with nothing to call")
                inner = self.target_verdict(facts, target, depth + 1)
                return replace(inner, reason=f"{short}({_label(target)}) -> {inner.reason}")
            return None
        if isinstance(value, Sub):
            base = value.value.name if isinstance(value.value, Ref) else ""
            if base.rsplit(".", 1)[-1] == "Annotated":
                items = value.index.items if isinstance(value.index, Seq) else [value.index]
                for item in items[1:]:
                    verdict = self.dependency_verdict(facts, item, items[0], depth + 1)
                    if verdict is not None:
                        return verdict
            return None
        if isinstance(value, Ref):
            found = self.project.resolve(facts, value.name)
            if found and found[1] == "assign" and isinstance(found[2][0], Sub):
                return self.dependency_verdict(found[0], found[2][0], None, depth + 1)
        return None

    def dependency_auth(self, facts: FileFacts, value: Any, annotation: Any = None, depth: int = 0) -> str | None:
        """How a dependency marker authenticates (None: it does not)."""
        verdict = self.dependency_verdict(facts, value, annotation, depth)
        return verdict.reason if verdict and verdict.authenticates else None

    def target_verdict(self, facts: FileFacts, target: Any, depth: int) -> Verdict:
        """What the thing inside Depends(...) does: a function, a class, an instance, a factory call."""
        if depth > _MAX_DEPTH:
            return Verdict(OPEN, "too deep to follow")
        if isinstance(target, CallV):
            return self.call_verdict(facts, target, depth)
        if not isinstance(target, Ref):
            return Verdict(OPEN, "not a name backcheck can follow")
        qualified = self.project.qualify(facts, target.name)
        if self.project.is_auth_name(qualified, "dependency"):
            return Verdict(AUTHENTICATES, f"{qualified} (configured in auth_dependencies)")
        found = self.project.lookup(qualified)
        if found is None:
            return self._attribute_verdict(facts, target.name, depth) or self.library_verdict(qualified, None)
        owner, kind, decl = found
        if kind == "function":
            return self.function_verdict(owner, decl, depth)
        if kind == "class":
            return self.class_verdict(owner, decl, depth)
        if kind == "assign":
            value = decl[0]
            if isinstance(value, CallV):
                return self.call_verdict(owner, value, depth + 1)
            if isinstance(value, Ref):
                return self.target_verdict(owner, value, depth + 1)
        return Verdict(OPEN, f"{target.name} is not a function, class or instance")

    def call_verdict(self, facts: FileFacts, call: CallV, depth: int,
                     binding: dict[str, Any] | None = None) -> Verdict:
        """A call whose result is the dependency: a scheme, an instance, a partial, a factory.
        `binding`: values known for names in the call's arguments (a factory's own parameters)."""
        callee = self.project.qualify(facts, call.func)
        short = callee.rsplit(".", 1)[-1]
        if short in _SCHEMES and self.project.lookup(callee) is None:
            return _scheme_verdict(short, call, binding=self._flag_binding(facts, call, binding))
        if short == "partial" and call.args:
            inner = self.target_verdict(facts, call.args[0], depth + 1)
            return replace(inner, reason=f"partial({_label(call.args[0])}) -> {inner.reason}")
        found = self.project.lookup(callee)
        if found and found[1] == "class":
            if self._is_scheme_class(found[0], found[2].name):
                return self._scheme_subclass_verdict(facts, found[0], found[2], call, depth, binding)
            return self.instance_verdict(found[0], found[2], call, depth)
        if found and found[1] == "function":
            return self.factory_verdict(found[0], found[2], call, depth)
        owner, _, method = call.func.rpartition(".")
        if owner:
            instance = self._instance_of(facts, owner)
            if instance is not None:
                cls_facts, cls, _ = instance
                if isinstance(cls, ClassFacts):
                    found_method = self.project.find_method(cls_facts, cls, method)
                    if found_method:
                        binding = self._self_binding(cls_facts, cls, instance[2])
                        return self.factory_verdict(found_method[0], found_method[2], call, depth, binding)
                else:
                    return self.library_verdict(f"{cls}.{method}", call)
        return self.library_verdict(callee, call)

    def _scheme_subclass_verdict(self, facts: FileFacts, cls_facts: FileFacts, cls: ClassFacts, call: CallV,
                                 depth: int, binding: dict[str, Any] | None) -> Verdict:
        """A project subclass of a security scheme: `auto_error` as called or as its `__init__` defaults
        it; when that lets requests through, its own `__call__` may still reject them."""
        effective = call
        init = self.project.find_method(cls_facts, cls, "__init__")
        if "auto_error" not in call.kwargs and init is not None:
            default = next((p.default for p in init[2].params if p.name == "auto_error"), None)
            if isinstance(default, Const):
                effective = replace(call, kwargs={**call.kwargs, "auto_error": default})
        verdict = _scheme_verdict(cls.name, effective, subclass=True,
                                  binding=self._flag_binding(facts, effective, binding))
        method = self.project.find_method(cls_facts, cls, "__call__")
        if not verdict.authenticates and method is not None:
            # what `super().__call__(request)` hands back may be None: a credential that may be missing
            optional = {name for name, value in method[2].locals.items()
                        if any("super().__call__" in n for n in getattr(value, "names", ()))}
            own = self._body_verdict(method[0], method[2], optional, self._self_binding(cls_facts, cls, call))
            if own.authenticates:
                return replace(own, reason=f"{cls.name}.{own.reason}")
        return verdict

    def _flag_binding(self, facts: FileFacts, call: CallV, binding: dict[str, Any] | None) -> dict[str, Any]:
        """`auto_error=settings.AUTH_REQUIRED`: the value project code gives the flag, when it is constant."""
        known = dict(binding or {})
        flag = call.kwargs.get("auto_error")
        if isinstance(flag, Ref) and flag.name not in known:
            value = self._static_value(facts, flag.name)
            if value is not _UNKNOWN:
                known[flag.name] = value
        return known

    def library_verdict(self, qualified: str, call: CallV | None) -> Verdict:
        """A dependency whose code is not in the project: known primitives of auth libraries, then names."""
        for (owner, attr), (flag, open_value, library) in _LIBRARY_PRIMITIVES.items():
            if qualified == f"{owner}.{attr}" or (not attr and qualified == owner):
                what = f"{library} {attr or owner.rsplit('.', 1)[-1]}"
                if flag == "*":
                    return Verdict(OPEN, f"{what} lets anonymous requests through", optional=True)
                value = call.kwargs.get(flag) if call is not None and flag else None
                if isinstance(value, Const) and value.value == open_value:
                    return Verdict(OPEN, f"{what}({flag}={value.value!r}) lets anonymous requests through",
                                   optional=True)
                return Verdict(AUTHENTICATES, what)
        short = qualified.rsplit(".", 1)[-1]
        if short in _SCHEMES:
            return Verdict(AUTHENTICATES, f"security scheme {short}")
        if self.project.is_auth_name(qualified, "dependency"):
            return Verdict(AUTHENTICATES, f"{qualified} (configured in auth_dependencies)")
        if _AUTHISH.search(short) and not qualified.startswith(("fastapi.", "starlette.")):
            return Verdict(AUTHENTICATES, f"{qualified} (library dependency, by name)")
        return Verdict(OPEN, f"{qualified}: library code backcheck does not know")

    def _instance_of(self, facts: FileFacts, name: str) -> tuple[FileFacts, ClassFacts | str, CallV] | None:
        """The class a module-level instance was built from: (its module, project class or library name, call)."""
        found = self.project.resolve(facts, name)
        if not found or found[1] != "assign" or not isinstance(found[2][0], CallV):
            return None
        call = found[2][0]
        func = call.func.replace("[]", "")  # `FastAPIUsers[User, int](...)`
        cls = self.project.resolve(found[0], func)
        if cls and cls[1] == "class":
            return cls[0], cls[2], call
        return found[0], self.project.qualify(found[0], func), call

    def _attribute_verdict(self, facts: FileFacts, name: str, depth: int) -> Verdict | None:
        """`Depends(auth.require_user)`: a method or attribute of a module-level instance."""
        owner, _, attr = name.rpartition(".")
        instance = self._instance_of(facts, owner) if owner else None
        if instance is None:
            return None
        cls_facts, cls, call = instance
        if not isinstance(cls, ClassFacts):
            return self.library_verdict(f"{cls}.{attr}", None)
        method = self.project.find_method(cls_facts, cls, attr)
        if method:
            return self.function_verdict(method[0], method[2], depth + 1, self._self_binding(cls_facts, cls, call))
        return None

    def class_verdict(self, facts: FileFacts, cls: ClassFacts, depth: int) -> Verdict:
        """A class used as the dependency itself: FastAPI builds it, so its `__init__` is what runs."""
        if self._is_scheme_class(facts, cls.name):
            return Verdict(AUTHENTICATES, f"security scheme subclass {cls.name}")
        init = self.project.find_method(facts, cls, "__init__")
        if init is None:
            return Verdict(OPEN, f"{cls.name}: building it checks nothing")
        inner = self.function_verdict(init[0], init[2], depth + 1)
        return replace(inner, reason=f"{cls.name}.{inner.reason}")

    def instance_verdict(self, facts: FileFacts, cls: ClassFacts, call: CallV, depth: int) -> Verdict:
        """An instance used as the dependency (`Depends(RoleChecker(["admin"]))`): its `__call__` runs."""
        method = self.project.find_method(facts, cls, "__call__")
        if method is None:
            return Verdict(OPEN, f"{cls.name} instance has no __call__")
        inner = self.function_verdict(method[0], method[2], depth + 1, self._self_binding(facts, cls, call))
        return replace(inner, reason=f"{cls.name}.{inner.reason}")

    def _self_binding(self, facts: FileFacts, cls: ClassFacts, call: CallV) -> dict[str, Any]:
        """`self.<attr>` values an instance gets from its constructor call (`RoleChecker(required=False)`)."""
        init = self.project.find_method(facts, cls, "__init__")
        if init is None:
            return {}
        args = _bind_args(init[2], call, lambda name: self._static_value(facts, name))
        binding: dict[str, Any] = {}
        for name, value in init[2].locals.items():
            if not name.startswith("self."):
                continue
            if isinstance(value, Ref) and value.name in args:
                binding[name] = args[value.name]
            elif isinstance(value, Const):
                binding[name] = value.value
        return binding

    def factory_verdict(self, facts: FileFacts, func: FuncFacts, call: CallV, depth: int,
                        binding: dict[str, Any] | None = None) -> Verdict:
        """A dependency factory: what the function it returns for these arguments does."""
        known = dict(binding or {})
        known.update(_bind_args(func, call, lambda name: self._static_value(facts, name)))
        chosen: list[Any] = []
        unknown: list[tuple[tuple[Test, ...], Any]] = []
        for tests, value in func.returns_when:
            results = [gates.holds(test, known) for test in tests]
            if any(result is False for result in results):
                continue
            if all(result is True for result in results):
                chosen.append(value)
                break
            unknown.append((tests, value))
        if chosen:
            values = chosen
        elif unknown:
            values = [value for _, value in unknown]
        else:
            conditional = [value for _, value in func.returns_when]
            values = [v for v in func.return_values if isinstance(v, (Ref, CallV)) and v not in conditional]
        verdicts = [self._returned_verdict(facts, func, value, depth, known) for value in values]
        verdicts = [v for v in verdicts if v is not None]
        if not verdicts:
            # the returned dependency is not a plain name: judge the functions defined inside
            for inner in _nested(facts, func):
                verdict = self.function_verdict(facts, inner, depth + 1, known)
                if verdict.authenticates:
                    return replace(verdict, reason=f"{func.name}() -> {verdict.reason}")
            return Verdict(OPEN, f"{func.name}() returns nothing backcheck can follow")
        weakest = min(verdicts, key=lambda v: gates.RANK[v.verdict])
        if len(verdicts) > 1 and not weakest.authenticates:
            texts = ", ".join(gates.gate_text(list(t)) for t, _ in unknown) or "its arguments"
            return replace(weakest, reason=f"{func.name}() returns {weakest.reason} depending on {texts}")
        return replace(weakest, reason=f"{func.name}() -> {weakest.reason}")

    def _returned_verdict(self, facts: FileFacts, func: FuncFacts, value: Any, depth: int,
                          binding: dict[str, Any]) -> Verdict | None:
        if isinstance(value, CallV):
            if self.project.qualify(facts, value.func).rsplit(".", 1)[-1] in {"Depends", "Security"}:
                return self.dependency_verdict(facts, value, None, depth + 1)
            return self.call_verdict(facts, value, depth + 1, binding)
        if not isinstance(value, Ref):
            return None
        inner = facts.nested.get(f"{func.qualname}.{value.name}")
        if inner is not None:
            return self.function_verdict(facts, inner, depth + 1, binding)
        if value.name.startswith("self."):
            return None
        return self.target_verdict(facts, value, depth + 1)

    def _is_scheme_class(self, facts: FileFacts, name: str, depth: int = 0) -> bool:
        found = self.project.resolve(facts, name)
        if not found or found[1] != "class" or depth > 5:
            return False
        for base in found[2].bases:
            if base.rsplit(".", 1)[-1] in _SCHEMES or self._is_scheme_class(found[0], base, depth + 1):
                return True
        return False

    def function_auth(self, facts: FileFacts, func: FuncFacts, depth: int) -> str | None:
        """How a function used as a dependency authenticates (None: it does not)."""
        verdict = self.function_verdict(facts, func, depth)
        return verdict.reason if verdict.authenticates else None

    def function_verdict(self, facts: FileFacts, func: FuncFacts, depth: int,
                         binding: dict[str, Any] | None = None) -> Verdict:
        key = f"{facts.module}:{func.qualname}"
        if binding:
            key += ":" + repr(sorted(binding.items(), key=lambda item: item[0]))
        if key in self._auth_cache:
            return self._auth_cache[key]
        if key in self._in_progress or depth > _MAX_DEPTH:
            return Verdict(OPEN, f"{func.name}: a cycle or too deep to follow")
        self._in_progress.add(key)
        try:
            verdict = self._function_verdict(facts, func, depth, binding or {})
        finally:
            self._in_progress.discard(key)
        self._auth_cache[key] = verdict
        return verdict

    def _function_verdict(self, facts: FileFacts, func: FuncFacts, depth: int, binding: dict[str, Any]) -> Verdict:
        if self.project.is_auth_name(f"{facts.module}.{func.qualname}", "dependency"):
            return Verdict(AUTHENTICATES, f"{func.name} (configured in auth_dependencies)")
        subs: list[Verdict] = []
        optional: set[str] = set()
        for param in func.params:
            verdict = None
            for value in (param.default, param.annotation):
                verdict = self.dependency_verdict(facts, value, param.annotation, depth + 1)
                if verdict is not None:
                    break
            if verdict is None and isinstance(param.default, CallV):
                short = self.project.qualify(facts, param.default.func).rsplit(".", 1)[-1]
                if short in _SCHEMES:
                    verdict = _scheme_verdict(short, param.default)
            if verdict is None:
                if _may_be_missing(param.default):
                    optional.add(param.name)
                continue
            if verdict.optional:
                optional.add(param.name)
            subs.append(verdict)
        sub = gates.strongest(subs)
        if sub is not None and sub.authenticates:
            return replace(sub, reason=f"{func.name} <- {sub.reason}")
        body = self._body_verdict(facts, func, optional, binding)
        if body.authenticates:
            return body
        swallowed = None
        if not optional and body.verdict == OPEN:
            called = self._called_check(facts, func)
            if called is not None and called.authenticates:
                return called
            swallowed = called
        if sub is not None and sub.verdict == CONDITIONAL:
            return replace(sub, reason=f"{func.name} <- {sub.reason}")
        if body.verdict == CONDITIONAL:
            return body
        if any(v.optional for v in subs):
            why = next(v.reason for v in subs if v.optional)
            return Verdict(OPEN, f"{func.name} <- {why}", optional=True)
        caught = swallowed or next((v for v in subs if v.swallowed), None)
        if caught is not None and caught is not swallowed:
            return Verdict(OPEN, f"{func.name} <- {caught.reason}", swallowed=True)
        return caught or body

    def _called_check(self, facts: FileFacts, func: FuncFacts) -> Verdict | None:
        """A dependency that hands the credential to a project function which rejects with 401/403
        (`return verify_token(token)`); only its body counts, the callee's own Depends do not run.
        A rejection the caller catches and does not raise again (`except HTTPException: return None`)
        turns nobody away: that gives an OPEN verdict saying so."""
        swallowed = None
        for call in func.calls[:30]:
            if "(" in call.func or call.func.split(".", 1)[0] in ("self", "cls"):
                continue
            found = self.project.resolve(facts, call.func)
            if not found or found[1] != "function" or found[2] is func:
                continue
            body = self._body_verdict(found[0], found[2], set(), {})
            if body.authenticates and (_reads_credentials(found[2]) or _reads_credentials(func)):
                caught = self._swallowed(facts, func, call.line, self._raised_classes(found[0], found[2]))
                if caught:
                    swallowed = swallowed or Verdict(
                        OPEN, f"{func.name} calls {call.func}() inside try, and `except {caught}` does not "
                              f"raise again: the rejection ({body.reason}) is swallowed", swallowed=True)
                    continue
                return Verdict(AUTHENTICATES, f"{func.name} calls {call.func}() -> {body.reason}")
        return swallowed

    def _raised_classes(self, facts: FileFacts, func: FuncFacts) -> set[str]:
        """Short names of the exception classes a function raises, with their bases in project code."""
        names: set[str] = set()
        for exc in func.raises:
            if isinstance(exc, Ref):
                bound = func.locals.get(exc.name)
                exc = bound if isinstance(bound, CallV) else exc
            name = exc.func if isinstance(exc, CallV) else exc.name if isinstance(exc, Ref) else ""
            if not name:
                continue
            names.add(name.rsplit(".", 1)[-1])
            found = self.project.resolve(facts, name)
            if found and found[1] == "class":
                for _, base in self.project.class_mro(found[0], found[2]):
                    names.add((base.name if isinstance(base, ClassFacts) else base).rsplit(".", 1)[-1])
        return names

    def _swallowed(self, facts: FileFacts, func: FuncFacts, line: int, raised: set[str]) -> str:
        """The `except` clause that catches a rejection raised at `line` and does not raise again
        ("" when none does). A 401/403 rejection is an HTTP exception, whatever its own class is named."""
        for first, last, handlers in func.tries:
            if not first <= line <= last:
                continue
            for caught, raises in handlers:
                if raises:
                    continue
                for name in caught:
                    short = name.rsplit(".", 1)[-1]
                    if not name or short in _CATCH_ALL or short in raised:
                        return name or ":"
        return ""

    def _body_verdict(self, facts: FileFacts, func: FuncFacts, optional: set[str],
                      binding: dict[str, Any]) -> Verdict:
        """Whether a function's own body rejects an anonymous request, always or only under a setting."""
        gated: list[list[Test]] = []
        skipped = 0
        for whole, exc in func.raises_when:
            status = self._rejection(facts, func, exc)
            if not status:
                continue
            if isinstance(exc, CallV) and func.tries and self._swallowed(
                    facts, func, exc.line, {exc.func.rsplit(".", 1)[-1]}):
                continue  # `try: raise HTTPException(401) except HTTPException: return None`
            tests = [part for test in whole for part in gates.conjuncts(test)]
            if any(gates.holds(test, binding) is False for test in tests):
                skipped += 1
                continue
            if any(gates.needs_credential(test, optional) for test in tests):
                skipped += 1
                continue
            config = [test for test in tests if self._reads_config(facts, func, test)]
            if not config:
                return Verdict(AUTHENTICATES, f"{func.name} (rejects with {status})")
            if self._config_holds(facts, config, func):
                return Verdict(AUTHENTICATES, f"{func.name} (rejects with {status}; {gates.gate_text(config)} "
                                              "holds with the settings' defaults in project code)")
            gated.append(config)
        if not gated and not skipped:
            if any(call.func.rsplit(".", 1)[-1] == "abort" and ac.status_is_auth(call.args) for call in func.calls):
                return Verdict(AUTHENTICATES, f"{func.name} (aborts with 401/403)")
            if "auth_status" in func.flags and func.raises:
                return Verdict(AUTHENTICATES, f"{func.name} (rejects with 401/403)")
        if gated:
            gate = gates.gate_text(gated[0])
            return Verdict(CONDITIONAL, f"{func.name} rejects with 401/403 only when {gate}",
                           condition=gates.negate(gate))
        if skipped:
            # `if not token: raise HTTPException(400)` before the 401 for a bad one: no way through without it
            for tests, exc in func.raises_when:
                if isinstance(exc, (CallV, Ref)) and any(gates.lacks_credential(t, optional) for t in tests) and not any(
                        self._reads_config(facts, func, t) for t in tests):
                    missing = ", ".join(sorted(optional))
                    return Verdict(AUTHENTICATES, f"{func.name} (rejects requests without {missing}, "
                                                  "and bad ones with 401/403)")
            return Verdict(OPEN, f"{func.name} rejects only requests that send a credential", optional=True)
        return Verdict(OPEN, f"{func.name}: no 401/403 rejection and no security scheme")

    def _rejection(self, facts: FileFacts, func: FuncFacts, exc: Any) -> str:
        """"401/403" (or the exception's name) when a raised value rejects the caller, else ""."""
        if isinstance(exc, CallV):
            if ac.status_is_auth([*exc.args, *exc.kwargs.values()]):
                return "401/403"
            return exc.func if _AUTH_EXCEPTION.search(exc.func) else ""
        if not isinstance(exc, Ref):
            return ""
        if _AUTH_EXCEPTION.search(exc.name):
            return exc.name
        # `raise credentials_exception` where that name is bound to HTTPException(401, ...)
        bound = func.locals.get(exc.name)
        if bound is None:
            found = self.project.resolve(facts, exc.name)
            bound = found[2][0] if found and found[1] == "assign" else None
        if isinstance(bound, CallV) and ac.status_is_auth([*bound.args, *bound.kwargs.values()]):
            return "401/403"
        return ""

    def _reads_config(self, facts: FileFacts, func: FuncFacts, test: Test) -> bool:
        """Whether a test reads only configuration (module-level settings, constants, the environment),
        nothing that comes with the request."""
        names = gates.roots(test)
        if not names:
            return False
        params = {p.name: p for p in func.params}
        for name in names:
            if name in params:
                if not _is_config_param(params[name]):
                    return False
            elif name in func.locals:
                if not _CONFIG.search(_label(func.locals[name])):
                    return False
            elif name == "self" or not (name in facts.imports or name in facts.assigns or name in facts.functions):
                return False
        return True

    def _config_holds(self, facts: FileFacts, tests: list[Test], func: FuncFacts | None = None) -> bool:
        """Whether every test holds with the values the project's own code gives those settings."""
        binding: dict[str, Any] = {}
        params = {p.name: p for p in func.params} if func is not None else {}
        for test in tests:
            for name in test.names:
                head, _, attr = name.partition(".")
                param = params.get(head)
                if param is not None and isinstance(param.annotation, Ref) and attr and "." not in attr:
                    # `settings: Settings = Depends(get_settings)`: the class's own default
                    value = self._static_value(facts, f"{param.annotation.name}.{attr}")
                else:
                    value = self._static_value(facts, name)
                if value is not _UNKNOWN:
                    binding[name] = value
        return all(gates.holds(test, binding) is True for test in tests)

    def _static_value(self, facts: FileFacts, name: str, depth: int = 0) -> Any:
        """A constant a dotted name stands for in project code: a module constant, a settings default."""
        if depth > 6:
            return _UNKNOWN
        qualified = self.project.qualify(facts, name)
        found = self.project.lookup(qualified)
        if found and found[1] == "assign":
            value = found[2][0]
            if isinstance(value, Const):
                return value.value
            if isinstance(value, Ref):
                return self._static_value(found[0], value.name, depth + 1)
            return _UNKNOWN
        owner, _, attr = qualified.rpartition(".")
        if owner.endswith("()"):
            holder = self.project.resolve(facts, name.rpartition(".")[0].removesuffix("()"))
        else:
            holder = self.project.lookup(owner) if owner else None
        cls = None
        if holder and holder[1] == "function" and owner.endswith("()"):
            # `get_settings().AUTH_ENABLED`: the settings class the function builds
            made = [v for v in holder[2].return_values if isinstance(v, CallV)]
            cls = self.project.resolve(holder[0], made[0].func) if made else None
        elif holder and holder[1] == "class":
            cls = holder
        elif holder and holder[1] == "assign" and isinstance(holder[2][0], CallV):
            cls = self.project.resolve(holder[0], holder[2][0].func)
            if cls and cls[1] == "function":
                made = [v for v in cls[2].return_values if isinstance(v, CallV)]
                cls = self.project.resolve(cls[0], made[0].func) if made else None
        if cls and cls[1] == "class":
            found_attr = self.project.class_attr(cls[0], cls[2], attr)
            if found_attr:
                raw = found_attr[1]
                raw = raw[2] if isinstance(raw, tuple) and raw and raw[0] == "annotated" else raw
                if isinstance(raw, Const):
                    return raw.value
        return _UNKNOWN


def raises_auth_error(func: FuncFacts) -> bool:
    """Whether a function raises (or aborts with) 401/403, or compares against those codes and raises."""
    return ac.rejects_with_auth_status(func) or ("auth_status" in func.flags and bool(func.raises))


_ISSUES_CREDENTIALS = re.compile(r"(login|log_in|signin|sign_in|signup|sign_up|register|token|refresh|oauth|sso|callback|"
                                 r"password|otp|mfa|2fa)", re.IGNORECASE)
_CREDENTIAL_READS = re.compile(r"(token|authori[sz]ation|credential|signature|api_?key|jwt|bearer|"
                               r"is_authenticated|verify)", re.IGNORECASE)


def _reads_credentials(func: FuncFacts) -> bool:
    """Whether a function looks at credentials (a token, a signature, an auth header) at all."""
    return any(_CREDENTIAL_READS.search(name) for name in func.reads) or any(
        _CREDENTIAL_READS.search(call.func) for call in func.calls
    )


_TEST_MODULE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$")
# Exception classes whose handler catches any 401/403 rejection (FastAPI's own HTTPException included).
_CATCH_ALL = {"Exception", "BaseException", "HTTPException"}
_ORIGIN_KIND = {"app dependencies": "router", "router dependencies": "router", "include_router dependencies": "include"}


def _scheme_verdict(name: str, call: CallV, subclass: bool = False,
                    binding: dict[str, Any] | None = None) -> Verdict:
    """A FastAPI security scheme: it rejects requests without credentials unless `auto_error=False`."""
    what = f"security scheme {'subclass ' if subclass else ''}{name}"
    flag = call.kwargs.get("auto_error")
    if isinstance(flag, Ref) and binding and flag.name in binding:
        flag = Const(binding[flag.name])
    if isinstance(flag, Const) and not flag.value:
        return Verdict(OPEN, f"{what}(auto_error=False) lets requests without credentials through", optional=True)
    if isinstance(flag, Ref):
        return Verdict(CONDITIONAL, f"{what} rejects only when {flag.name}", condition=gates.negate(flag.name))
    return Verdict(AUTHENTICATES, what)


def _loop_var(facts: FileFacts, name: str) -> tuple[Any, int] | None:
    """(what is iterated, position in a tuple target or -1) for a `for` variable of the module or of
    one of its functions."""
    found = facts.loops.get(name)
    if found is None:
        for func in (*facts.all_functions(), *facts.nested.values()):
            found = func.loops.get(name)
            if found is not None:
                break
    return found


def _exempts(project: Project, facts: FileFacts, consts: list[str], refs: list[str], path: str) -> bool:
    """Whether a middleware's own test lets a path through (a path or prefix in its allow-list)."""
    names = list(consts)
    for ref in refs:
        found = project.resolve(facts, ref)
        if found and found[1] == "assign":
            names.extend(_const_str(item) or "" for item in _seq(found[2][0]))
    for name in names:
        if name.startswith("/") and (path == name or path.rstrip("/") == name.rstrip("/")
                                     or (len(name) > 1 and path.startswith(name.rstrip("/") + "/"))):
            return True
    return False


def _bind_args(func: FuncFacts, call: CallV, static: Any = None) -> dict[str, Any]:
    """Constant values a call gives a function's parameters, defaults included; `static(name)` gives
    the constant a name passed as an argument stands for (a setting), or _UNKNOWN."""

    def constant(arg: Any) -> Any:
        if isinstance(arg, Const):
            return arg.value
        if isinstance(arg, Ref) and static is not None:
            return static(arg.name)
        return _UNKNOWN

    params = [p for p in func.params if not p.name.startswith("*")]
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    values: dict[str, Any] = {}
    for param in params:
        if isinstance(param.default, Const):
            values[param.name] = param.default.value
    for param, arg in zip(params, call.args):
        values.pop(param.name, None)
        if (value := constant(arg)) is not _UNKNOWN:
            values[param.name] = value
    names = {p.name for p in params}
    for name, arg in call.kwargs.items():
        if name in names:
            values.pop(name, None)
            if (value := constant(arg)) is not _UNKNOWN:
                values[name] = value
    return values


def _nested(facts: FileFacts, func: FuncFacts) -> list[FuncFacts]:
    prefix = func.qualname + "."
    return [inner for name, inner in facts.nested.items() if name.startswith(prefix)]


def _is_policy_close(code: Any) -> bool:
    """1008 (policy violation) or the 4001/4003 codes apps use for unauthorised websockets."""
    if isinstance(code, Const):
        return code.value in (1008, 4001, 4003)
    return isinstance(code, Ref) and "POLICY_VIOLATION" in code.name


def _may_be_missing(default: Any) -> bool:
    """`x: str | None = None`, `Header(None)`, `Cookie(default=None)`: a value the request may omit."""
    if isinstance(default, Const):
        return default.value is None or default.value == ""
    if isinstance(default, CallV) and default.func.rsplit(".", 1)[-1] in {"Header", "Cookie", "Query"}:
        value = default.args[0] if default.args else default.kwargs.get("default")
        return isinstance(value, Const) and value.value is None
    return False


def _is_config_param(param: Any) -> bool:
    """A parameter that carries settings (`settings: AppSettings = Depends(get_app_settings)`)."""
    return bool(_CONFIG.search(f"{_label(param.annotation)} {_label(param.default)}"))


def _annotation_type(annotation: Any) -> Any:
    if isinstance(annotation, Sub) and isinstance(annotation.index, Seq) and annotation.index.items:
        return annotation.index.items[0]
    return annotation if isinstance(annotation, Ref) else None


def _label(target: Any) -> str:
    if isinstance(target, Ref):
        return target.name
    if isinstance(target, CallV):
        return f"{target.func}(...)"
    return "..."


def find_routes(project: Project) -> list[Route]:
    """Every FastAPI route in the project."""
    return FastAPIIndex(project).routes()


__all__ = ["FastAPIIndex", "Map", "find_routes", "raises_auth_error"]
