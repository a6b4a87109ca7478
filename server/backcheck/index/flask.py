"""Flask: apps and blueprints (also built inside `create_app` factories), their route decorators,
`add_url_rule` with view functions and `MethodView.as_view`, blueprint URL prefixes (nested
`register_blueprint` too), Flask-RESTful/RESTX resources, connexion OpenAPI specs, and authentication
through decorators (Flask-Login, Flask-HTTPAuth, Flask-JWT-Extended, APIFairy, Flask-Security, project
decorators whose body checks the caller), `before_request` hooks and inline checks in the handler."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backcheck.index import authcommon as ac
from backcheck.index.facts import CallV, ClassFacts, Const, FileFacts, FuncFacts, Map, Ref, Seq
from backcheck.index.project import HTTP_METHODS, Project, Route

FRAMEWORK = "flask"
_APP_TYPES = {"flask.Flask", "flask.app.Flask", "quart.Quart", "apiflask.APIFlask", "apiflask.app.APIFlask"}
_BLUEPRINT_TYPES = {
    "flask.Blueprint", "flask.blueprints.Blueprint", "flask_smorest.Blueprint", "apiflask.APIBlueprint",
    "quart.Blueprint", "sanic.Blueprint",
}
_RESTFUL_API_TYPES = {"flask_restful.Api", "flask_restx.Api", "flask_restplus.Api"}
_NAMESPACE_TYPES = {"flask_restx.Namespace", "flask_restplus.Namespace"}
_CONNEXION_TYPES = {"connexion.App", "connexion.FlaskApp", "connexion.AsyncApp", "connexion.apps.flask_app.FlaskApp",
                    "connexion.apps.flask.FlaskApp"}
_VERBS = {"get", "post", "put", "patch", "delete"}
_VIEW_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
_AUTH_LIBRARIES = ("flask_login", "flask_security", "flask_jwt_extended", "flask_jwt", "flask_httpauth", "apifairy",
                   "flask_praetorian", "flask_user", "flask_principal", "flask_oidc", "flask_dance", "authlib",
                   "flask_simplelogin", "flask_basicauth", "flask_api_key", "flask_restx", "flask_appbuilder")
_SPEC_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".backcheck", ".tox", "site-packages"}


@dataclass
class FlaskObj:
    """An app, blueprint, Flask-RESTful Api or RESTX Namespace object: where routes hang."""

    key: tuple[str, str]
    kind: str  # "app" | "blueprint" | "api" | "namespace"
    facts: FileFacts
    prefix: str = ""
    name: str = ""
    # (parent key, url_prefix given at registration or None)
    parents: list[tuple[tuple[str, str], str | None]] = field(default_factory=list)
    hooks: list[tuple[FileFacts, FuncFacts]] = field(default_factory=list)
    # hooks a blueprint installs on the whole app (`before_app_request`)
    app_hooks: list[tuple[FileFacts, FuncFacts]] = field(default_factory=list)


def _const_str(value: Any) -> str | None:
    return value.value if isinstance(value, Const) and isinstance(value.value, str) else None


def _rule(value: Any) -> str | None:
    """A URL rule: a string, or the string a helper call wraps (`org_scoped_rule("/users")`)."""
    text = _const_str(value)
    if text is None and isinstance(value, CallV) and value.args:
        text = _const_str(value.args[0])
    return text


def _methods(value: Any) -> list[str]:
    items = value.items if isinstance(value, Seq) else []
    return [m.value.upper() for m in items if isinstance(m, Const) and isinstance(m.value, str)]


class FlaskIndex:
    """Route discovery and auth decisions for the Flask apps of one project."""

    def __init__(self, project: Project):
        self.project = project
        self.objects: dict[tuple[str, str], FlaskObj] = {}
        self._decorator_cache: dict[str, str] = {}

    # -- objects --------------------------------------------------------------------------------------

    def _kind(self, facts: FileFacts, func: str, depth: int = 0) -> str | None:
        qualified = ac.qualify_name(self.project, facts, func)
        if qualified in _APP_TYPES or qualified in _CONNEXION_TYPES:
            return "app"
        if qualified in _BLUEPRINT_TYPES:
            return "blueprint"
        if qualified in _RESTFUL_API_TYPES:
            return "api"
        if qualified in _NAMESPACE_TYPES:
            return "namespace"
        if depth < 4:
            found = self.project.lookup(qualified)
            kind = ac.kind_from_bases(found, self._kind, depth)
            if kind:
                return kind
            if found and found[1] == "function":
                # an app factory: `app = create_app()` holds whatever Flask app the factory builds
                for value in found[2].locals.values():
                    if isinstance(value, CallV) and self._kind(found[0], value.func, depth + 1) == "app":
                        return "app"
        return None

    def collect_objects(self) -> None:
        for facts in self.project.files.values():
            if not _mentions_flask(facts):
                continue
            scopes = [((k, v) for k, (v, _line) in facts.assigns.items())]
            for func in facts.all_functions():
                scopes.append(iter(func.locals.items()))
            for scope in scopes:
                for name, value in scope:
                    if not isinstance(value, CallV) or "." in name:
                        continue
                    kind = self._kind(facts, value.func)
                    if kind is None:
                        continue
                    key = (facts.module, name)
                    prefix_arg = "url_prefix" if kind in ("blueprint",) else ("prefix" if kind == "api" else "path")
                    prefix = _const_str(value.kwargs.get(prefix_arg)) or ""
                    if kind == "namespace" and not prefix:
                        first = _const_str(value.args[0]) if value.args else None
                        prefix = "/" + first if first else ""
                    self.objects.setdefault(key, FlaskObj(
                        key=key, kind=kind, facts=facts, prefix=prefix,
                        name=(_const_str(value.args[0]) if value.args else None) or name,
                    ))
                    if kind == "api" and value.args and isinstance(value.args[0], Ref):
                        self._pending_api_parent.append((key, facts, value.args[0].name))

    def object_key(self, facts: FileFacts, name: str, create: bool = False) -> tuple[str, str] | None:
        """The app/blueprint a name refers to in a module (local, imported, or `module.bp`)."""
        if (facts.module, name) in self.objects:
            return facts.module, name
        qualified = ac.qualify_name(self.project, facts, name)
        found = self.project.lookup(qualified)
        if found and found[1] == "assign":
            key = (found[0].module, qualified.rsplit(".", 1)[-1])
            if key in self.objects:
                return key
        module, _, attr = qualified.rpartition(".")
        target = self.project.module(module) if module else None
        if target is not None and (target.module, attr) in self.objects:
            return target.module, attr
        if create and "." not in name and _mentions_flask(facts) and not found:
            # an app object this index cannot see being built (`app = create_app()` elsewhere)
            key = (facts.module, name)
            self.objects[key] = FlaskObj(key=key, kind="app", facts=facts, name=name)
            return key
        return None

    def collect_links(self) -> None:
        """register_blueprint, Api(bp), add_namespace, and before_request hooks."""
        for key, facts, parent_name in self._pending_api_parent:
            parent = self.object_key(facts, parent_name)
            if parent and parent != key:
                self.objects[key].parents.append((parent, None))
        for facts, call in self.project.all_calls():
            owner, _, verb = call.func.rpartition(".")
            if verb in ("register_blueprint", "add_namespace", "init_app") and call.args and isinstance(call.args[0], Ref):
                if verb == "init_app":
                    # api.init_app(app) / api.init_app(bp)
                    child, parent = self.object_key(facts, owner), self.object_key(facts, call.args[0].name)
                else:
                    parent, child = self.object_key(facts, owner), self.object_key(facts, call.args[0].name)
                if parent is None or child is None or parent == child:
                    continue
                if verb == "init_app" and self.objects[child].kind != "api":
                    continue
                arg = "path" if verb == "add_namespace" else "url_prefix"
                prefix = _const_str(call.kwargs.get(arg))
                self.objects[child].parents.append((parent, prefix))
            elif verb in ("before_request", "before_app_request") and call.args and isinstance(call.args[0], Ref):
                self._add_hook(facts, owner, verb, call.args[0].name)
        for facts in self.project.files.values():
            for func in facts.all_functions():
                for decorator in func.decorators:
                    if isinstance(decorator, Ref):
                        owner, _, verb = decorator.name.rpartition(".")
                        if verb in ("before_request", "before_app_request") and owner:
                            self._add_hook(facts, owner, verb, func)

    def _add_hook(self, facts: FileFacts, owner: str, verb: str, func: FuncFacts | str) -> None:
        key = self.object_key(facts, owner)
        if key is None:
            return
        if isinstance(func, str):
            found = ac.resolve_name(self.project, facts, func)
            if not found or found[1] != "function":
                return
            facts, func = found[0], found[2]
        target = self.objects[key].app_hooks if verb == "before_app_request" else self.objects[key].hooks
        target.append((facts, func))

    def mounts(self, key: tuple[str, str], seen: frozenset = frozenset()) -> list[tuple[str, list[tuple[str, str]]]]:
        """Every (URL prefix, chain of object keys from the root app down) an object is reachable through."""
        obj = self.objects[key]
        if not obj.parents or key in seen:
            return [(obj.prefix, [key])]
        chains = []
        for parent, prefix in obj.parents:
            if parent in seen:
                continue
            own = obj.prefix if prefix is None else prefix
            for parent_prefix, parent_chain in self.mounts(parent, seen | {key}):
                chains.append((ac.join_path(parent_prefix, own) if own else parent_prefix, parent_chain + [key]))
        return chains or [(obj.prefix, [key])]

    # -- routes ---------------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        self._pending_api_parent: list[tuple[tuple[str, str], FileFacts, str]] = []
        self.collect_objects()
        out: list[Route] = []
        out.extend(connexion_routes(self))
        if not self.objects and not any(_mentions_flask(f) for f in self.project.files.values()):
            return out
        self.collect_links()
        self._app_hooks = self._collect_app_hooks()
        for facts in self.project.files.values():
            if not _mentions_flask(facts) and not any(f.decorators for f in facts.all_functions()):
                continue
            for func in facts.all_functions():
                for decorator in func.decorators:
                    if isinstance(decorator, CallV):
                        out.extend(self._decorated(facts, func, decorator))
            for cls in facts.classes.values():
                for decorator in cls.decorators:
                    if isinstance(decorator, CallV):
                        out.extend(self._decorated_class(facts, cls, decorator))
            scopes: list[tuple[list[CallV], dict[str, Any]]] = [(facts.calls, {})]
            scopes.extend((f.calls, f.locals) for f in facts.all_functions())
            for calls, local in scopes:
                for call in calls:
                    verb = call.func.rpartition(".")[2]
                    if verb == "add_url_rule":
                        out.extend(self._added(facts, call, local))
                    elif verb.startswith("add_") and verb.endswith("resource") and call.args:
                        out.extend(self._resource(facts, call, local))
        by_app: dict[Any, list[Route]] = {}
        apps_of: dict[tuple, set[Any]] = {}
        for route in out:
            by_app.setdefault(route.extra.get("app"), []).append(route)
            apps_of.setdefault(_route_key(route), set()).add(route.extra.get("app"))
        authless = set()
        for app, routes in by_app.items():
            if app is not None:
                modules = {r.file: self.project.files[r.file] for r in routes if r.file in self.project.files}
                app_facts = self.objects[app].facts
                modules[app_facts.path] = app_facts
                if ac.has_no_auth(routes, list(modules.values())):
                    authless.add(app)
        out = _dedupe(out)
        ac.mark_authless(out, authless, lambda r: apps_of.get(_route_key(r), set()))
        return out

    def _collect_app_hooks(self) -> dict[tuple[str, str], list[tuple[FileFacts, FuncFacts]]]:
        """Hooks by root app: the app's own `before_request` plus every blueprint's `before_app_request`."""
        by_root: dict[tuple[str, str], list[tuple[FileFacts, FuncFacts]]] = {}
        for key, obj in self.objects.items():
            if not obj.app_hooks:
                continue
            for _prefix, chain in self.mounts(key):
                by_root.setdefault(chain[0], []).extend(obj.app_hooks)
        return by_root

    def _decorated(self, facts: FileFacts, func: FuncFacts, decorator: CallV) -> list[Route]:
        owner, _, verb = decorator.func.rpartition(".")
        if not owner or verb not in _VERBS | {"route"}:
            return []
        key = self.object_key(facts, owner, create=verb == "route")
        if key is None or self.objects[key].kind == "api":
            return []
        path = _rule(decorator.args[0]) if decorator.args else _rule(decorator.kwargs.get("rule"))
        if path is None:
            return []
        methods = [verb.upper()] if verb in _VERBS else (_methods(decorator.kwargs.get("methods")) or ["GET"])
        return self._build(facts, key, path, [(methods, func, func.name)], [], None)

    def _decorated_class(self, facts: FileFacts, cls: ClassFacts, decorator: CallV) -> list[Route]:
        """`@blp.route("/x")` on a MethodView (flask-smorest) or `@ns.route("/x")` on a Resource (RESTX)."""
        owner, _, verb = decorator.func.rpartition(".")
        if verb != "route" or not owner:
            return []
        key = self.object_key(facts, owner)
        path = _rule(decorator.args[0]) if decorator.args else None
        if key is None or path is None:
            return []
        return self._build(facts, key, path, self._class_handlers(facts, cls), [], cls)

    def _added(self, facts: FileFacts, call: CallV, local: dict[str, Any]) -> list[Route]:
        owner = call.func.rpartition(".")[0]
        key = self.object_key(facts, owner, create=True) if owner else None
        if key is None:
            return []
        rule = _rule(call.args[0]) if call.args else _rule(call.kwargs.get("rule"))
        view = call.args[2] if len(call.args) > 2 else call.kwargs.get("view_func")
        if rule is None or view is None:
            return []
        methods = _methods(call.kwargs.get("methods"))
        return self._view_routes(facts, key, rule, view, methods, local, [])

    def _view_routes(self, facts: FileFacts, key: tuple[str, str], rule: str, view: Any, methods: list[str],
                     local: dict[str, Any], wrappers: list[Any], depth: int = 0) -> list[Route]:
        """Routes for a view given as a value: a function, `Cls.as_view(...)`, or a wrapper call around one."""
        if depth > 4:
            return []
        if isinstance(view, Ref) and view.name in local and depth < 3:
            return self._view_routes(facts, key, rule, local[view.name], methods, local, wrappers, depth + 1)
        if isinstance(view, Ref):
            found = ac.resolve_name(self.project, facts, view.name)
            if found and found[1] == "function":
                return self._build(found[0], key, rule, [(methods or ["GET"], found[2], found[2].name)], wrappers,
                                   None, mount_facts=facts)
            if found and found[1] == "assign" and depth < 3:
                return self._view_routes(found[0], key, rule, found[2][0], methods, {}, wrappers, depth + 1)
            return []
        if isinstance(view, CallV):
            head, _, verb = view.func.rpartition(".")
            if verb == "as_view" and head:
                found = ac.resolve_name(self.project, facts, head.removesuffix("()"))
                if found and found[1] == "class":
                    handlers = self._class_handlers(found[0], found[2])
                    if methods:
                        handlers = [(m, f, n) for m, f, n in handlers if set(m) & set(methods)] or handlers
                    return self._build(found[0], key, rule, handlers, wrappers, found[2], mount_facts=facts)
                return []
            if view.args:
                # login_required(view) or a decorator factory applied to a view
                return self._view_routes(facts, key, rule, view.args[0], methods, local,
                                         [*wrappers, (facts, view)], depth + 1)
        return []

    def _resource(self, facts: FileFacts, call: CallV, local: dict[str, Any]) -> list[Route]:
        """Flask-RESTful / RESTX `api.add_resource(Resource, "/a", "/b")`."""
        owner = call.func.rpartition(".")[0]
        key = self.object_key(facts, owner)
        target = call.args[0]
        if key is None or not isinstance(target, Ref):
            return []
        found = ac.resolve_name(self.project, facts, target.name)
        if not found or found[1] != "class":
            return []
        out = []
        for rule in [_rule(a) for a in call.args[1:]]:
            if rule is not None:
                out.extend(self._build(found[0], key, rule, self._class_handlers(found[0], found[2]), [], found[2],
                                       mount_facts=facts))
        return out

    def _class_handlers(self, facts: FileFacts, cls: ClassFacts) -> list[tuple[list[str], FuncFacts | None, str]]:
        """(methods, handler, function label) for each HTTP method a class-based view answers."""
        handlers = []
        for name in _VIEW_METHODS:
            found = self.project.find_method(facts, cls, name)
            if found is None:
                continue
            owner_cls, func = found[1], found[2]
            handlers.append(([name.upper()], func if owner_cls is cls else None, f"{cls.name}.{name}"
                             if owner_cls is cls else cls.name))
        if not handlers:
            dispatch = self.project.find_method(facts, cls, "dispatch_request")
            declared = ac.class_attr(self.project, facts, cls, "methods")
            methods = _methods(declared[1]) if declared else []
            func = dispatch[2] if dispatch and dispatch[1] is cls else None
            handlers.append((methods or ["GET"], func, f"{cls.name}.dispatch_request" if func else cls.name))
        return handlers

    def _build(self, facts: FileFacts, key: tuple[str, str], rule: str,
               handlers: list[tuple[list[str], FuncFacts | None, str]], wrappers: list[Any],
               cls: ClassFacts | None, mount_facts: FileFacts | None = None) -> list[Route]:
        routes = []
        for prefix, chain in self.mounts(key):
            path = ac.join_path(prefix, rule) if rule else (prefix or "/")
            for methods, func, label in handlers:
                via: list[str] = []
                public_via = ""
                for wrap_facts, wrapper in wrappers:
                    reason = self.decorator_auth(wrap_facts, wrapper)
                    if reason:
                        via.append(f"wrapped in {reason}")
                if cls is not None:
                    via.extend(self._class_auth(facts, cls))
                if func is not None:
                    for decorator in func.decorators:
                        name = ac.decorator_name(decorator)
                        if ac.OPEN_DECORATOR_NAMES.match(name.rsplit(".", 1)[-1]):
                            public_via = f"@{name}"
                            continue
                        reason = self.decorator_auth(facts, decorator)
                        if reason:
                            via.append(f"@{reason}")
                    inline = ac.inline_auth(func) or self._inline_call(facts, func)
                    if inline:
                        via.append(inline)
                    if not via:
                        handed = ac.delegated_auth(self.project, facts, func, self._own_auth)
                        if handed:
                            via.append(handed)
                endpoint = cls.name if cls is not None else (func.name if func is not None else label)
                via.extend(self._hook_auth(chain, endpoint, path))
                route = Route(
                    file=facts.path,
                    line=func.line if func is not None else (cls.line if cls is not None else 0),
                    first_line=func.first_line if func is not None else (cls.first_line if cls is not None else 0),
                    function=label,
                    methods=methods,
                    path=path,
                    framework=FRAMEWORK,
                    auth=bool(via),
                    auth_via=via,
                    handler=func,
                    cls=cls,
                    extra={"module": facts.module, "blueprint": self.objects[key].name, "app": chain[0],
                           "endpoint": f"{self.objects[key].name}.{endpoint}"
                           if self.objects[key].kind == "blueprint" else endpoint},
                )
                if public_via:
                    route.public, route.public_via = True, public_via
                elif not via and set(methods) <= {"GET", "HEAD"} and ac.is_static_page(func):
                    route.public, route.public_via = True, "renders a fixed template"
                routes.append(route)
        return routes

    # -- authentication ------------------------------------------------------------------------------

    def decorator_auth(self, facts: FileFacts, decorator: Any) -> str:
        """How a decorator (or wrapper call) turns anonymous requests away, or ""."""
        name = ac.decorator_name(decorator)
        if not name:
            return ""
        cache_key = f"{facts.module}:{name}"
        if cache_key in self._decorator_cache:
            return self._decorator_cache[cache_key]
        self._decorator_cache[cache_key] = ""
        reason = self._decorator_auth(facts, decorator, name)
        self._decorator_cache[cache_key] = reason
        return reason

    def _decorator_auth(self, facts: FileFacts, decorator: Any, name: str) -> str:
        short = name.rsplit(".", 1)[-1]
        qualified = ac.qualify_name(self.project, facts, name)
        if self.project.is_auth_name(qualified, "decorator"):
            return f"{name} (configured in auth_decorators)"
        if short in ("route", "get", "post", "put", "patch", "delete", "before_request", "errorhandler"):
            return ""
        found = ac.resolve_name(self.project, facts, name)
        if found and found[1] in ("function", "class"):
            reason = ac.wrapper_checks(self.project, found[0], found[2]) if found[1] == "function" else \
                ac.decorator_class_checks(self.project, found[0], found[2])
            if reason:
                return f"{name} ({reason})"
            if found[1] == "function" or not ac.AUTH_DECORATOR_NAMES.match(short):
                return ""
        if found and found[1] == "assign" and isinstance(found[2][0], CallV):
            # `admin_only = roles_required("admin")`: judge the call it holds
            return self._decorator_auth(found[0], found[2][0], ac.decorator_name(found[2][0]))
        if ac.AUTH_DECORATOR_NAMES.match(short):
            return name
        if short == "require" and isinstance(decorator, CallV):
            # flask-principal: @admin_permission.require(http_exception=403)
            return name
        if qualified.startswith(_AUTH_LIBRARIES) and re.search(r"(auth|login|jwt|token|role|permission)", short, re.IGNORECASE):
            return name
        return ""

    def _own_auth(self, facts: FileFacts, func: FuncFacts) -> str:
        """How a function protects itself: an auth decorator or an inline check."""
        for decorator in func.decorators:
            reason = self.decorator_auth(facts, decorator)
            if reason:
                return f"@{reason}"
        return ac.inline_auth(func) or self._inline_call(facts, func)

    def _class_auth(self, facts: FileFacts, cls: ClassFacts) -> list[str]:
        """`decorators = [...]` (MethodView) and `method_decorators = [...]` (Flask-RESTful) on the class."""
        via = []
        for attr in ("decorators", "method_decorators"):
            found = ac.class_attr(self.project, facts, cls, attr)
            if not found:
                continue
            owner_facts, value = found
            for item in self._decorator_items(owner_facts, value):
                reason = self.decorator_auth(owner_facts, item)
                if reason:
                    via.append(f"{cls.name}.{attr}: {reason}")
        return via

    def _decorator_items(self, facts: FileFacts, value: Any, depth: int = 0) -> list[Any]:
        """The decorators a `decorators` attribute lists: a list, a per-method dict, or `Base.decorators + [...]`."""
        if isinstance(value, Seq):
            return list(value.items)
        if isinstance(value, Map):
            return [i for v in value.values if v is not None for i in (v.items if isinstance(v, Seq) else [v])]
        names = getattr(value, "names", None)
        if not names or depth > 3:
            return []
        items: list[Any] = []
        for name in names:
            owner, _, attr = name.rpartition(".")
            if attr in ("decorators", "method_decorators") and owner:
                found = ac.resolve_name(self.project, facts, owner)
                if found and found[1] == "class":
                    inherited = ac.class_attr(self.project, found[0], found[2], attr)
                    if inherited:
                        items.extend(self._decorator_items(inherited[0], inherited[1], depth + 1))
            elif not any(other.startswith(name + ".") for other in names):
                items.append(Ref(name))
        return items

    def _inline_call(self, facts: FileFacts, func: FuncFacts) -> str:
        return ac.inline_call_auth(self.project, facts, func)

    def _hook_auth(self, chain: list[tuple[str, str]], endpoint: str, path: str) -> list[str]:
        via = []
        hooks = list(self._app_hooks.get(chain[0], []))
        for key in chain:
            hooks.extend(self.objects[key].hooks)
        for hook_facts, hook in hooks:
            reason = self.hook_auth(hook_facts, hook)
            if not reason:
                continue
            guard = ac.hook_rejects(hook)
            if guard is not None and self._exempt(hook_facts, guard, endpoint, path):
                continue
            via.append(f"before_request {hook.name}: {reason}")
        return via

    def hook_auth(self, facts: FileFacts, hook: FuncFacts) -> str:
        """Whether a before-request hook turns anonymous requests away."""
        guard = ac.hook_rejects(hook)
        if guard is not None:
            return f"checks {guard.signal}"
        for decorator in hook.decorators:
            reason = self.decorator_auth(facts, decorator)
            if reason:
                return f"@{reason}"
        for guard in ac.guards_of(hook):
            if guard.kind == "call":
                reason = ac.call_authenticates(self.project, facts, guard.signal)
                if reason:
                    return f"calls {reason}"
        if ac.rejects_with_auth_status(hook):
            return "rejects with 401/403"
        return ""

    def _exempt(self, facts: FileFacts, guard: Any, endpoint: str, path: str) -> bool:
        """Whether a hook's own test lets this route through (endpoint or path named in an allow-list)."""
        names = list(guard.exempt)
        for ref in guard.exempt_names:
            found = ac.resolve_name(self.project, facts, ref)
            if found and found[1] == "assign":
                value = found[2][0]
                names.extend(_const_str(i) or "" for i in getattr(value, "items", []) or [])
        for name in names:
            if not name:
                continue
            if name == endpoint or name.rsplit(".", 1)[-1] == endpoint:
                return True
            if name.startswith("/") and (path == name or (len(name) > 1 and path.startswith(name.rstrip("/") + "/"))):
                return True
        return False


def _mentions_flask(facts: FileFacts) -> bool:
    return any(v.split(".")[0] in ("flask", "flask_restful", "flask_restx", "flask_smorest", "apiflask", "quart",
                                   "connexion", "flask_restplus") for v in facts.imports.values())


def _route_key(route: Route) -> tuple:
    return route.file, route.line, route.function, route.path, tuple(route.methods)


def _dedupe(routes: list[Route]) -> list[Route]:
    seen = set()
    out = []
    for route in routes:
        key = _route_key(route)
        if key not in seen:
            seen.add(key)
            out.append(route)
    return out


# ---- connexion --------------------------------------------------------------------------------------


def connexion_routes(index: FlaskIndex) -> list[Route]:
    """Routes declared in OpenAPI/Swagger specs that connexion `add_api` loads (operationId -> function)."""
    project = index.project
    out: list[Route] = []
    seen_specs: set[str] = set()
    for facts, call in project.all_calls():
        if not call.func.endswith(".add_api") or not call.args:
            continue
        if not any(v.split(".")[0] == "connexion" for v in facts.imports.values()):
            continue
        spec_name = _const_str(call.args[0])
        if spec_name is None:
            continue
        spec_path = _find_spec(project, facts, spec_name)
        if spec_path is None or str(spec_path) in seen_specs:
            continue
        seen_specs.add(str(spec_path))
        spec = load_spec(spec_path)
        if not isinstance(spec, dict):
            continue
        base = _const_str(call.kwargs.get("base_path"))
        resolver = call.kwargs.get("resolver")
        resty = None
        if isinstance(resolver, CallV) and resolver.func.rsplit(".", 1)[-1] == "RestyResolver" and resolver.args:
            resty = _const_str(resolver.args[0])
        out.extend(_spec_routes(project, spec, base, index, facts, resty))
    return out


def _find_spec(project: Project, facts: FileFacts, name: str) -> Path | None:
    root = Path(project.root)
    spec_dirs = [""]
    for value, _line in facts.assigns.values():
        if isinstance(value, CallV) and _const_str(value.kwargs.get("specification_dir")):
            spec_dirs.insert(0, _const_str(value.kwargs.get("specification_dir")) or "")
    for func in facts.all_functions():
        for call in func.calls:
            if _const_str(call.kwargs.get("specification_dir")):
                spec_dirs.insert(0, _const_str(call.kwargs.get("specification_dir")) or "")
    here = (root / facts.path).parent
    for folder in (here, root):
        for spec_dir in spec_dirs:
            candidate = (folder / spec_dir / name)
            if candidate.is_file():
                return candidate
    base = os.path.basename(name)
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SPEC_SKIP_DIRS and not d.startswith(".")]
        if base in files:
            return Path(folder) / base
    return None


def load_spec(path: Path) -> Any:
    """An OpenAPI/Swagger document from JSON or (a practical subset of) YAML; None when unreadable."""
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return None
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except ValueError:
            return None
    try:
        return parse_yaml(text)
    except (ValueError, IndexError):
        return None


def _operation(project: Project, near: FileFacts, qualified: str) -> tuple[FileFacts, str, Any] | None:
    """The function an operationId names, imported the way the app next to the spec would import it."""
    parts = near.module.split(".")[:-1]
    for cut in range(len(parts), -1, -1):
        prefix = ".".join(parts[:cut])
        found = project.lookup(f"{prefix}.{qualified}" if prefix else qualified)
        if found and found[1] == "function":
            return found
    return None


def _resty_operation(package: str, path: str, method: str) -> str:
    """The function connexion's RestyResolver picks: `/pets/{id}` GET -> `<package>.pets.get`."""
    pieces = [p for p in str(path).strip("/").split("/") if p]
    resources = [p.replace("-", "_") for p in pieces if not p.startswith("{")]
    if not resources:
        return ""
    name = method.lower()
    if name == "get" and not pieces[-1].startswith("{"):
        name = "search"
    return ".".join([package, *resources, name])


def _spec_routes(project: Project, spec: dict, base: str | None, index: FlaskIndex, near: FileFacts,
                 resty: str | None = None) -> list[Route]:
    if base is None:
        base = spec.get("basePath") or ""
        servers = spec.get("servers")
        if not base and isinstance(servers, list) and servers and isinstance(servers[0], dict):
            url = str(servers[0].get("url") or "")
            base = re.sub(r"^[a-z]+://[^/]*", "", url)
    base = str(base or "").rstrip("/")
    global_security = spec.get("security")
    out = []
    paths = spec.get("paths") if isinstance(spec.get("paths"), dict) else {}
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        controller = item.get("x-openapi-router-controller") or item.get("x-swagger-router-controller")
        for method, op in item.items():
            if method.upper() not in HTTP_METHODS or not isinstance(op, dict):
                continue
            operation = op.get("operationId")
            owner = op.get("x-openapi-router-controller") or op.get("x-swagger-router-controller") or controller
            if operation:
                qualified = f"{owner}.{operation}" if owner else str(operation)
            elif resty:
                qualified = _resty_operation(resty, path, method)
            else:
                continue
            found = _operation(project, near, qualified)
            if found is None:
                continue
            facts, func = found[0], found[2]
            security = op.get("security", global_security)
            via = []
            if isinstance(security, list) and security:
                names = [k for entry in security if isinstance(entry, dict) for k in entry]
                via.append(f"OpenAPI security: {', '.join(names) or 'required'}")
            for decorator in func.decorators:
                reason = index.decorator_auth(facts, decorator)
                if reason:
                    via.append(f"@{reason}")
            inline = ac.inline_auth(func)
            if inline:
                via.append(inline)
            route = Route(
                file=facts.path, line=func.line, first_line=func.first_line, function=func.name,
                methods=[method.upper()], path=(base + "/" + str(path).lstrip("/")) if base else str(path),
                framework="connexion", auth=bool(via), auth_via=via, handler=func,
                extra={"module": facts.module, "operationId": qualified},
            )
            if isinstance(op.get("security"), list) and not op.get("security"):
                route.public, route.public_via = True, "OpenAPI security: [] on the operation"
            out.append(route)
    return out


# ---- a small YAML reader (block mappings and sequences, flow collections, scalars) -------------------

_YAML_COMMENT = re.compile(r"(^|\s)#.*$")


def parse_yaml(text: str) -> Any:
    """Parse the YAML that OpenAPI documents use; anchors, tags and multi-documents are not supported."""
    lines: list[tuple[int, str]] = []
    raw = text.splitlines()
    i = 0
    while i < len(raw):
        line = raw[i].rstrip()
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            continue
        content = _strip_comment(line.lstrip())
        indent = len(line) - len(line.lstrip())
        if content.endswith(("|", ">", "|-", ">-", "|+", ">+")):
            # block scalar: swallow the more-indented lines that follow
            block = []
            while i < len(raw) and (not raw[i].strip() or len(raw[i]) - len(raw[i].lstrip()) > indent):
                block.append(raw[i].strip())
                i += 1
            content = content.rsplit(" ", 1)[0] + " " + json.dumps(" ".join(b for b in block if b))
            if content.startswith(("|", ">")):
                content = json.dumps(" ".join(b for b in block if b))
        lines.append((indent, content))
    value, _ = _block(lines, 0, lines[0][0] if lines else 0)
    return value


def _strip_comment(text: str) -> str:
    if "#" not in text:
        return text
    out, quote = [], ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1] in " \t"):
            break
        out.append(char)
    return "".join(out).rstrip()


def _block(lines: list[tuple[int, str]], start: int, indent: int) -> tuple[Any, int]:
    if start >= len(lines):
        return None, start
    if lines[start][1].startswith("- ") or lines[start][1] == "-":
        return _sequence(lines, start, indent)
    return _mapping(lines, start, indent)


def _split_key(content: str) -> tuple[str, str] | None:
    if content[:1] in "'\"":
        end = content.find(content[0], 1)
        if end > 0 and content[end + 1: end + 2] == ":":
            return content[1:end], content[end + 2:].strip()
        return None
    match = re.match(r"^([^:]+?|[^ ]+?):(\s+|$)(.*)$", content)
    if not match:
        return None
    return match.group(1).strip(), match.group(3).strip()


def _mapping(lines: list[tuple[int, str]], start: int, indent: int) -> tuple[dict, int]:
    result: dict[str, Any] = {}
    index = start
    while index < len(lines):
        level, content = lines[index]
        if level < indent or (level == indent and content.startswith("- ")):
            break
        if level > indent:
            index += 1
            continue
        pair = _split_key(content)
        if pair is None:
            index += 1
            continue
        key, rest = pair
        index += 1
        if rest and rest not in ("&",) and not rest.startswith("&"):
            result[key] = _scalar(rest)
        elif index < len(lines) and (lines[index][0] > level or (lines[index][0] == level
                                                                  and lines[index][1].startswith("- "))):
            result[key], index = _block(lines, index, lines[index][0])
        else:
            result[key] = None
    return result, index


def _sequence(lines: list[tuple[int, str]], start: int, indent: int) -> tuple[list, int]:
    result: list[Any] = []
    index = start
    while index < len(lines):
        level, content = lines[index]
        if level < indent or level > indent or not (content.startswith("- ") or content == "-"):
            if level > indent:
                index += 1
                continue
            break
        item = content[2:].strip() if content != "-" else ""
        index += 1
        if not item:
            if index < len(lines) and lines[index][0] > level:
                value, index = _block(lines, index, lines[index][0])
                result.append(value)
            else:
                result.append(None)
            continue
        pair = _split_key(item) if item[:1] not in "[{" else None
        if pair is None:
            result.append(_scalar(item))
            continue
        # a mapping that starts on the dash line: its keys sit two columns to the right of the dash
        inner = [(level + 2, item)]
        while index < len(lines) and lines[index][0] > level:
            inner.append(lines[index])
            index += 1
        value, _ = _mapping(inner, 0, level + 2)
        result.append(value)
    return result, index


def _scalar(text: str) -> Any:
    text = text.strip()
    if text.startswith("&"):
        text = text.partition(" ")[2]
    if text.startswith("*"):
        return None
    if text.startswith(("[", "{")):
        return _flow(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        if text[0] == '"':
            try:
                return json.loads(text)
            except ValueError:
                return text[1:-1]
        return text[1:-1].replace("''", "'")
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "~", ""):
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _flow(text: str) -> Any:
    """`[a, b]`, `{a: b}`, `[]`, `{}` and one level of nesting inside them."""
    inner = text[1:-1].strip() if len(text) >= 2 else ""
    parts, depth, current, quote = [], 0, "", ""
    for char in inner:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        parts.append(current.strip())
    if text.startswith("["):
        return [_scalar(p) for p in parts]
    result = {}
    for part in parts:
        key, _, value = part.partition(":")
        result[_scalar(key)] = _scalar(value) if value.strip() else None
    return result


def find_routes(project: Project) -> list[Route]:
    """Every Flask (and connexion) route in the project."""
    return FlaskIndex(project).routes()


__all__ = ["FlaskIndex", "find_routes", "load_spec", "parse_yaml"]
