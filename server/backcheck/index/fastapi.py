"""FastAPI: apps and APIRouters, their decorators and `add_api_route`, `include_router` prefixes, and
authentication through dependencies (decorator, router and include level, parameters with
`Depends`/`Security`, `Annotated` aliases from other modules, dependency chains down to a security scheme
or a function that raises 401/403, and callable class instances)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from backcheck.index import authcommon as ac
from backcheck.index.facts import CallV, ClassFacts, Const, FileFacts, FuncFacts, Map, Ref, Seq, Sub
from backcheck.index.project import Project, Route

FRAMEWORK = "fastapi"
_APP_TYPES = {"fastapi.FastAPI", "fastapi.applications.FastAPI"}
_ROUTER_TYPES = {"fastapi.APIRouter", "fastapi.routing.APIRouter"}
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


@dataclass
class RouterObj:
    key: tuple[str, str]
    is_app: bool
    facts: FileFacts
    prefix: str = ""
    dependencies: list[Any] = field(default_factory=list)
    # (parent key, include prefix, include dependencies, include facts)
    parents: list[tuple[tuple[str, str], str, list[Any], FileFacts]] = field(default_factory=list)


def _const_str(value: Any) -> str | None:
    return value.value if isinstance(value, Const) and isinstance(value.value, str) else None


def _seq(value: Any) -> list[Any]:
    return value.items if isinstance(value, Seq) else []


class FastAPIIndex:
    """Route discovery and auth decisions for one project."""

    def __init__(self, project: Project):
        self.project = project
        self.routers: dict[tuple[str, str], RouterObj] = {}
        self._auth_cache: dict[str, str | None] = {}
        self._in_progress: set[str] = set()

    # -- apps and routers ----------------------------------------------------------------------------

    def _kind_of_callee(self, facts: FileFacts, func: str, depth: int = 0) -> str | None:
        qualified = self.project.qualify(facts, func)
        if qualified in _APP_TYPES:
            return "app"
        if qualified in _ROUTER_TYPES:
            return "router"
        if depth < 4:
            return ac.kind_from_bases(self.project.lookup(qualified), self._kind_of_callee, depth)
        return None

    def _constructors(self) -> set[str]:
        """Short names that can build an app or router: FastAPI, APIRouter and project subclasses of them."""
        names = {"FastAPI", "APIRouter"}
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
            scopes = [facts.assigns.items()]
            for func in facts.all_functions():
                scopes.append(((k, (v, func.line)) for k, v in func.locals.items()))
            for scope in scopes:
                for name, (value, _line) in scope:
                    if not isinstance(value, CallV) or value.func.rsplit(".", 1)[-1] not in constructors:
                        continue
                    kind = self._kind_of_callee(facts, value.func)
                    if kind is None:
                        continue
                    key = (facts.module, name)
                    self.routers[key] = RouterObj(
                        key=key,
                        is_app=kind == "app",
                        facts=facts,
                        prefix=self.project.static_str(facts, value.kwargs.get("prefix")) or "",
                        dependencies=_seq(value.kwargs.get("dependencies")),
                    )

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

    def collect_includes(self) -> None:
        for facts, call in self.project.all_calls():
            if not call.func.endswith(".include_router") or not call.args:
                continue
            parent = self.router_key(facts, call.func[: -len(".include_router")])
            child_ref = call.args[0]
            if parent is None or not isinstance(child_ref, Ref):
                continue
            child = self.router_key(facts, child_ref.name)
            if child is None or child == parent:
                continue
            self.routers[child].parents.append(
                (parent, self.project.static_str(facts, call.kwargs.get("prefix")) or "",
                 _seq(call.kwargs.get("dependencies")), facts)
            )

    def mounts(self, key: tuple[str, str], seen: frozenset = frozenset()) -> list[tuple[str, list[tuple[Any, FileFacts, str]]]]:
        """Every (path prefix, dependencies with their module and origin) chain from a router up to a root."""
        router = self.routers[key]
        own_deps = [(d, router.facts, "router dependencies") for d in router.dependencies]
        if not router.parents or key in seen:
            return [(router.prefix, own_deps)]
        chains = []
        for parent, prefix, deps, facts in router.parents:
            if parent in seen:
                continue
            include_deps = [(d, facts, "include_router dependencies") for d in deps]
            for parent_prefix, parent_deps in self.mounts(parent, seen | {key}):
                chains.append((parent_prefix + prefix + router.prefix, parent_deps + include_deps + own_deps))
        return chains or [(router.prefix, own_deps)]

    # -- routes --------------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        self.collect_routers()
        if not self.routers:
            return []
        self.collect_includes()
        out: list[Route] = []
        for facts in self.project.files.values():
            for func in facts.all_functions():
                for decorator in func.decorators:
                    if isinstance(decorator, CallV):
                        out.extend(self._decorated(facts, func, decorator))
            for call in [*facts.calls, *(c for f in facts.all_functions() for c in f.calls)]:
                if call.func.endswith(".add_api_route") and len(call.args) >= 2:
                    out.extend(self._added(facts, call))
        return out

    def _decorated(self, facts: FileFacts, func: FuncFacts, decorator: CallV) -> list[Route]:
        owner, _, verb = decorator.func.rpartition(".")
        if not owner or verb not in _VERBS | {"api_route", "route", "websocket", "websocket_route"}:
            return []
        key = self.router_key(facts, owner) or self._param_router(facts, func, owner)
        if key is None:
            return []
        raw_path = decorator.args[0] if decorator.args else decorator.kwargs.get("path")
        path = self.project.static_str(facts, raw_path)
        if path is None:
            path = ""
        if verb in _VERBS:
            methods = [verb.upper()]
        elif verb.startswith("websocket"):
            methods = ["WEBSOCKET"]
        else:
            methods = [m.value.upper() for m in _seq(decorator.kwargs.get("methods")) if isinstance(m, Const)] or ["GET"]
        route_deps = [(d, facts, "decorator dependencies") for d in _seq(decorator.kwargs.get("dependencies"))]
        extra = {
            "response_model": decorator.kwargs.get("response_model"),
            "status_code": decorator.kwargs.get("status_code"),
            "decorator": decorator,
            "module": facts.module,
        }
        return self._build(facts, func, key, path, methods, route_deps, extra)

    def _param_router(self, facts: FileFacts, func: FuncFacts, owner: str) -> tuple[str, str] | None:
        """`def setup(app: FastAPI): @app.get(...)`: an app or router handed to the enclosing function."""
        if "." not in func.qualname:
            return None
        outer = facts.functions.get(func.qualname.split(".")[0])
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
        for call in func.calls[:40]:
            if "(" in call.func or "." in call.func and call.func.split(".")[0] in ("self", "db", "session"):
                continue
            found = self.project.resolve(facts, call.func)
            if found and found[1] == "function" and raises_auth_error(found[2]) and _reads_credentials(found[2]):
                return f"inline check: {call.func}() rejects with 401/403"
        return None

    def _added(self, facts: FileFacts, call: CallV) -> list[Route]:
        key = self.router_key(facts, call.func[: -len(".add_api_route")])
        endpoint = call.args[1]
        if key is None or not isinstance(endpoint, Ref):
            return []
        found = self.project.resolve(facts, endpoint.name)
        if not found or found[1] != "function":
            return []
        methods = [m.value.upper() for m in _seq(call.kwargs.get("methods")) if isinstance(m, Const)] or ["GET"]
        deps = [(d, facts, "add_api_route dependencies") for d in _seq(call.kwargs.get("dependencies"))]
        extra = {"response_model": call.kwargs.get("response_model"), "module": found[0].module}
        return self._build(found[0], found[2], key, _const_str(call.args[0]) or "", methods, deps, extra)

    def _build(self, facts, func, key, path, methods, route_deps, extra) -> list[Route]:
        routes = []
        for prefix, chain_deps in self.mounts(key):
            via: list[str] = []
            for dep, dep_facts, origin in [*chain_deps, *route_deps]:
                reason = self.dependency_auth(dep_facts, dep)
                if reason:
                    via.append(f"{origin}: {reason}")
            for param in func.params:
                reason = self.param_auth(facts, param)
                if reason:
                    via.append(f"parameter {param.name}: {reason}")
            if not via and not _ISSUES_CREDENTIALS.search(f"{path} {func.name}"):
                # sign-in endpoints reject bad passwords with 401 too; that is not authentication
                reason = self.inline_auth(facts, func)
                if reason:
                    via.append(reason)
            routes.append(
                Route(
                    file=facts.path,
                    line=func.line,
                    first_line=func.first_line,
                    function=func.name,
                    methods=methods,
                    path=(prefix + path) or "/",
                    framework=FRAMEWORK,
                    auth=bool(via),
                    auth_via=via,
                    handler=func,
                    extra=dict(extra),
                )
            )
        return routes

    # -- authentication ------------------------------------------------------------------------------

    def param_auth(self, facts: FileFacts, param: Any) -> str | None:
        """Whether a handler/dependency parameter brings authentication, and how."""
        for value in (param.default, param.annotation):
            reason = self.dependency_auth(facts, value, param.annotation)
            if reason:
                return reason
        return None

    def dependency_auth(self, facts: FileFacts, value: Any, annotation: Any = None, depth: int = 0) -> str | None:
        """How a Depends/Security marker, an Annotated type or a type alias authenticates (None: it does not)."""
        if value is None or depth > 12:
            return None
        if isinstance(value, CallV):
            callee = self.project.qualify(facts, value.func)
            short = callee.rsplit(".", 1)[-1]
            if callee in _DEPENDS or callee in _SECURITY or short in {"Depends", "Security"}:
                target = value.args[0] if value.args else value.kwargs.get("dependency")
                if target is None:
                    target = _annotation_type(annotation)
                if target is None:
                    return None
                reason = self.target_auth(facts, target, depth + 1)
                return f"{short}({_label(target)}) -> {reason}" if reason else None
            return None
        if isinstance(value, Sub):
            base = value.value.name if isinstance(value.value, Ref) else ""
            if base.rsplit(".", 1)[-1] == "Annotated":
                items = value.index.items if isinstance(value.index, Seq) else [value.index]
                for item in items[1:]:
                    reason = self.dependency_auth(facts, item, items[0], depth + 1)
                    if reason:
                        return reason
            return None
        if isinstance(value, Ref):
            found = self.project.resolve(facts, value.name)
            if found and found[1] == "assign":
                alias = found[2][0]
                if isinstance(alias, Sub):
                    return self.dependency_auth(found[0], alias, None, depth + 1)
        return None

    def target_auth(self, facts: FileFacts, target: Any, depth: int) -> str | None:
        """Whether the thing inside Depends(...) authenticates."""
        if isinstance(target, CallV):
            # Depends(RoleChecker(["admin"])) or Depends(library_factory(...))
            callee = self.project.qualify(facts, target.func)
            if callee.rsplit(".", 1)[-1] in _SCHEMES:
                return f"security scheme {callee.rsplit('.', 1)[-1]}"
            found = self.project.lookup(callee)
            if found and found[1] == "class":
                return self.class_auth(found[0], found[2], depth)
            if found and found[1] == "function":
                # a dependency factory: look at the function it returns, else its own body
                return self.function_auth(found[0], found[2], depth) or self._factory_auth(found[0], found[2], depth)
            if self.project.is_auth_name(callee, "dependency") or _AUTHISH.search(callee.rsplit(".", 1)[-1]):
                return f"{callee} (by name)"
            return None
        if not isinstance(target, Ref):
            return None
        qualified = self.project.qualify(facts, target.name)
        if self.project.is_auth_name(qualified, "dependency"):
            return f"{qualified} (configured in auth_dependencies)"
        found = self.project.lookup(qualified)
        if found is None:
            short = qualified.rsplit(".", 1)[-1]
            if short in _SCHEMES:
                return f"security scheme {short}"
            if _AUTHISH.search(short) and not qualified.startswith(("fastapi.", "starlette.")):
                return f"{qualified} (by name)"
            return None
        owner, kind, decl = found
        if kind == "function":
            return self.function_auth(owner, decl, depth)
        if kind == "class":
            return self.class_auth(owner, decl, depth)
        if kind == "assign":
            value = decl[0]
            if isinstance(value, CallV):
                callee = self.project.qualify(owner, value.func)
                short = callee.rsplit(".", 1)[-1]
                if short in _SCHEMES or self._is_scheme_class(owner, value.func):
                    return f"security scheme {short}"
                cls = self.project.lookup(callee)
                if cls and cls[1] == "class":
                    return self.class_auth(cls[0], cls[2], depth, instance=True)
                if _AUTHISH.search(short) or _AUTHISH.search(target.name):
                    return f"{target.name} (by name)"
            if isinstance(value, Ref):
                return self.target_auth(owner, value, depth + 1)
        return None

    def _is_scheme_class(self, facts: FileFacts, name: str, depth: int = 0) -> bool:
        found = self.project.resolve(facts, name)
        if not found or found[1] != "class" or depth > 5:
            return False
        for base in found[2].bases:
            if base.rsplit(".", 1)[-1] in _SCHEMES or self._is_scheme_class(found[0], base, depth + 1):
                return True
        return False

    def function_auth(self, facts: FileFacts, func: FuncFacts, depth: int) -> str | None:
        key = f"{facts.module}:{func.qualname}"
        if key in self._auth_cache:
            return self._auth_cache[key]
        if key in self._in_progress or depth > 12:
            return None
        self._in_progress.add(key)
        try:
            reason = self._function_auth(facts, func, depth)
        finally:
            self._in_progress.discard(key)
        self._auth_cache[key] = reason
        return reason

    def _function_auth(self, facts: FileFacts, func: FuncFacts, depth: int) -> str | None:
        if self.project.is_auth_name(f"{facts.module}.{func.qualname}", "dependency"):
            return f"{func.name} (configured in auth_dependencies)"
        for param in func.params:
            for value in (param.default, param.annotation):
                inner = self.dependency_auth(facts, value, param.annotation, depth + 1)
                if inner:
                    return f"{func.name} <- {inner}"
            if isinstance(param.default, CallV):
                short = self.project.qualify(facts, param.default.func).rsplit(".", 1)[-1]
                if short in _SCHEMES:
                    return f"{func.name} <- security scheme {short}"
        if raises_auth_error(func):
            return f"{func.name} (rejects with 401/403)"
        for exc in func.raises:
            # `raise credentials_exception` where that name is bound to HTTPException(401, ...)
            name = exc.name if isinstance(exc, Ref) else None
            bound = func.locals.get(name) if name else None
            if bound is None and name:
                found = self.project.resolve(facts, name)
                bound = found[2][0] if found and found[1] == "assign" else None
            if isinstance(bound, CallV) and ac.status_is_auth([*bound.args, *bound.kwargs.values()]):
                return f"{func.name} (rejects with 401/403)"
        return None

    def _factory_auth(self, facts: FileFacts, func: FuncFacts, depth: int) -> str | None:
        for value in func.return_values:
            if isinstance(value, Ref):
                inner = self.project.resolve(facts, value.name)
                if inner and inner[1] == "function":
                    reason = self.function_auth(inner[0], inner[2], depth + 1)
                    if reason:
                        return reason
        nested = [f for f in facts.functions.values() if f.qualname.startswith(func.qualname + ".")]
        for inner in nested:
            reason = self.function_auth(facts, inner, depth + 1)
            if reason:
                return reason
        return None

    def class_auth(self, facts: FileFacts, cls: ClassFacts, depth: int, instance: bool = False) -> str | None:
        """A class used as a dependency authenticates through __call__ (instances) or __init__ (the class)."""
        if self._is_scheme_class(facts, cls.name) or any(b.rsplit(".", 1)[-1] in _SCHEMES for b in cls.bases):
            return f"security scheme subclass {cls.name}"
        for method_name in ("__call__", "__init__") if instance else ("__init__", "__call__"):
            found = self.project.find_method(facts, cls, method_name)
            if found:
                reason = self.function_auth(found[0], found[2], depth + 1)
                if reason:
                    return f"{cls.name}.{reason}"
        return None


def raises_auth_error(func: FuncFacts) -> bool:
    """Whether a function raises (or aborts with) 401/403, or compares against those codes and raises."""
    return ac.rejects_with_auth_status(func) or ("auth_status" in func.flags and bool(func.raises))


_ISSUES_CREDENTIALS = re.compile(r"(login|log_in|signin|sign_in|signup|sign_up|register|token|refresh|"
                                 r"password|otp|mfa|2fa)", re.IGNORECASE)
_CREDENTIAL_READS = re.compile(r"(token|authori[sz]ation|credential|signature|api_?key|jwt|bearer|"
                               r"is_authenticated|verify)", re.IGNORECASE)


def _reads_credentials(func: FuncFacts) -> bool:
    """Whether a function looks at credentials (a token, a signature, an auth header) at all."""
    return any(_CREDENTIAL_READS.search(name) for name in func.reads) or any(
        _CREDENTIAL_READS.search(call.func) for call in func.calls
    )


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
