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
)
from backcheck.index.project import HTTP_METHODS, AuthStep, Project, Route

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
        self._decorator_cache: dict[str, Any] = {}
        self.judge = ac.GateJudge(project)
        self.judge.via = self._via_verdict

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
        if create and "." not in name and (_mentions_flask(facts) or _adds_rules(facts)) and not found:
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
        registrars, callers = self._registrars()
        for facts in self.project.files.values():
            if not _mentions_flask(facts) and not any(f.decorators for f in facts.all_functions()) \
                    and not _adds_rules(facts):
                continue
            for func in facts.all_functions():
                for decorator in func.decorators:
                    if isinstance(decorator, CallV):
                        out.extend(self._decorated(facts, func, decorator))
            for cls in facts.classes.values():
                for decorator in cls.decorators:
                    if isinstance(decorator, CallV):
                        out.extend(self._decorated_class(facts, cls, decorator))
            scopes: list[tuple[list[CallV], dict[str, Any], dict[str, Any], FuncFacts | None]] = [
                (facts.calls, {}, getattr(facts, "loops", None) or {}, None)]
            scopes.extend((f.calls, f.locals, getattr(f, "loops", None) or {}, f) for f in facts.all_functions())
            for calls, local, loops, func in scopes:
                if func is not None and id(func) in registrars and registrars[id(func)][2]:
                    continue  # a helper that registers the views its callers hand it: see its call sites
                for call in calls:
                    verb = call.func.rpartition(".")[2]
                    if verb == "add_url_rule":
                        out.extend(self._added(facts, call, local, loops))
                    elif verb.startswith("add_") and verb.endswith("resource") and call.args:
                        out.extend(self._resource(facts, call, local))
                    elif call.func in callers:
                        out.extend(self._registered(facts, call, local, callers[call.func]))
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

    def _registrars(self) -> tuple[dict[int, Any], dict[str, list[Any]]]:
        """Project functions that call `X.add_url_rule` on a parameter (`register_view(bp, routes, view)`),
        and, by the callee text of each call site, the registrars it may name."""
        registrars: dict[int, Any] = {}
        for facts in self.project.files.values():
            for func in facts.all_functions():
                params = [p.name.lstrip("*") for p in func.params]
                inner = [c for c in func.calls if c.func.rpartition(".")[2] == "add_url_rule"
                         and c.func.rpartition(".")[0] in params]
                if inner:
                    registrars[id(func)] = [facts, func, False]
        callers: dict[str, list[Any]] = {}
        if not registrars:
            return registrars, callers
        for facts in self.project.files.values():
            calls = list(facts.calls)
            for func in facts.all_functions():
                calls.extend(func.calls)
            for call in calls:
                if call.func in callers or "add_url_rule" in call.func:
                    continue
                found = ac.resolve_name(self.project, facts, call.func)
                if found and found[1] == "function" and id(found[2]) in registrars:
                    registrars[id(found[2])][2] = True
                    callers.setdefault(call.func, []).append(registrars[id(found[2])])
        return registrars, callers

    def _registered(self, facts: FileFacts, call: CallV, local: dict[str, Any], targets: list[Any]) -> list[Route]:
        """Routes a registrar adds for one call site: its parameters bound to the arguments given."""
        found = ac.resolve_name(self.project, facts, call.func)
        out = []
        for reg_facts, func, _called in targets:
            if found is None or found[2] is not func:
                continue
            bound: dict[str, Any] = {}
            names = [p.name for p in func.params if not p.name.startswith("*")]
            if names and names[0] in ("self", "cls") and "." in call.func:
                names = names[1:]
            for name, value in zip(names, call.args):
                bound[name] = value
            for name, value in call.kwargs.items():
                if name in names:
                    bound[name] = value
            extra = {k: v for k, v in call.kwargs.items() if k not in names}
            for inner in func.calls:
                if inner.func.rpartition(".")[2] != "add_url_rule":
                    continue
                owner = inner.func.rpartition(".")[0]
                target = bound.get(owner)
                if not isinstance(target, Ref):
                    continue
                merged = CallV(inner.func, inner.args,
                               {**extra, **{k: v for k, v in inner.kwargs.items() if k != "**"}},
                               inner.line, inner.col, inner.end_line, inner.end_col)
                out.extend(self._added(facts, merged, {**local, **bound}, getattr(func, "loops", None) or {},
                                       home=reg_facts))
        return out

    def _added(self, facts: FileFacts, call: CallV, local: dict[str, Any],
               loops: dict[str, Any] | None = None, home: FileFacts | None = None) -> list[Route]:
        """`X.add_url_rule(...)`; `home` is the module the call is written in when it differs from the
        one its bound parameters come from (a registrar helper called elsewhere)."""
        home = home or facts
        owner = call.func.rpartition(".")[0]
        if not owner:
            return []
        bound_owner = local.get(owner) if home is not facts else None
        if isinstance(bound_owner, Ref):
            key = self.object_key(facts, bound_owner.name, create=True)
        else:
            key = self.object_key(home, owner, create=True)
        if key is None:
            return []
        rule_value = call.args[0] if call.args else call.kwargs.get("rule")
        view = call.args[2] if len(call.args) > 2 else call.kwargs.get("view_func")
        if rule_value is None or view is None:
            return []
        methods = _methods(call.kwargs.get("methods"))
        out = []
        for combo, origin in self._expand(facts, home, {"rule": rule_value, "view": view}, local, loops or {}):
            rule = _symbolic_rule(combo["rule"], local)
            if rule is None or combo["view"] is None:
                continue
            view_facts = origin.get("view", facts)
            out.extend(self._view_routes(view_facts, key, rule, combo["view"], methods,
                                         local if view_facts is facts else {}, []))
        return out

    def _expand(self, facts: FileFacts, home: FileFacts, values: dict[str, Any], local: dict[str, Any],
                loops: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, FileFacts]]]:
        """The values a call sees in each round of the loops it sits in (`for name, view in VIEWS: ...`),
        each with the module its names are resolved in."""
        resolved: dict[str, Any] = {}
        origin: dict[str, FileFacts] = {}
        for role, value in values.items():
            if isinstance(value, Ref) and value.name in loops:
                resolved[role] = value
            elif isinstance(value, Ref) and value.name in local:
                resolved[role], origin[role] = _local_value(value, local), facts
            else:
                resolved[role], origin[role] = value, home
        loop_vars = {role: v.name for role, v in resolved.items() if isinstance(v, Ref) and v.name in loops}
        if not loop_vars:
            return [(resolved, origin)]
        groups: dict[str, tuple[Any, list[tuple[str, int]]]] = {}
        for role, var in loop_vars.items():
            iterable, index = loops[var]
            groups.setdefault(repr(iterable), (iterable, []))[1].append((role, index))
        combos = [(dict(resolved), dict(origin))]
        for iterable, roles in groups.values():
            found = self._elements(home, iterable, local, 0)
            if found is None and home is not facts:
                found = self._elements(facts, iterable, local, 0)
            if found is None:
                for combo, _origin in combos:
                    for role, _index in roles:
                        combo[role] = Ref("{" + loop_vars[role] + "}") if role == "rule" else None
                continue
            elements, where = found
            expanded = []
            for combo, where_from in combos:
                for element in elements[:64]:
                    new, new_origin = dict(combo), dict(where_from)
                    for role, index in roles:
                        new_origin[role] = where
                        if index < 0:
                            new[role] = element
                        elif isinstance(element, Seq) and index < len(element.items):
                            new[role] = element.items[index]
                        else:
                            new[role] = None
                    expanded.append((new, new_origin))
            combos = expanded
        return combos

    def _elements(self, facts: FileFacts, iterable: Any, local: dict[str, Any],
                  depth: int) -> tuple[list[Any], FileFacts] | None:
        """The items a loop walks over when the iterable is written out in the project, and their module."""
        if depth > 4:
            return None
        if isinstance(iterable, Seq):
            return list(iterable.items), facts
        if isinstance(iterable, Map):
            return [k for k in iterable.keys if k is not None], facts
        if isinstance(iterable, Ref):
            if iterable.name in local and local[iterable.name] is not iterable:
                return self._elements(facts, local[iterable.name], local, depth + 1)
            found = ac.resolve_name(self.project, facts, iterable.name)
            if found and found[1] == "assign":
                return self._elements(found[0], found[2][0], {}, depth + 1)
            return None
        if isinstance(iterable, CallV):
            head, _, verb = iterable.func.rpartition(".")
            if verb in ("items", "keys", "values") and head:
                found = self._mapping(facts, Ref(head), local, depth + 1)
                if found is None:
                    return None
                mapping, where = found
                pairs = [(k, v) for k, v in zip(mapping.keys, mapping.values) if k is not None]
                if verb == "items":
                    return [Seq([k, v]) for k, v in pairs], where
                return ([k for k, _v in pairs] if verb == "keys" else [v for _k, v in pairs]), where
            if iterable.func in ("enumerate", "sorted", "list", "tuple") and iterable.args:
                found = self._elements(facts, iterable.args[0], local, depth + 1)
                if found is None or iterable.func != "enumerate":
                    return found
                return [Seq([Const(i), item]) for i, item in enumerate(found[0])], found[1]
        return None

    def _mapping(self, facts: FileFacts, value: Any, local: dict[str, Any],
                 depth: int) -> tuple[Map, FileFacts] | None:
        if isinstance(value, Map):
            return value, facts
        if isinstance(value, Ref) and depth < 5:
            if value.name in local and local[value.name] is not value:
                return self._mapping(facts, local[value.name], local, depth + 1)
            found = ac.resolve_name(self.project, facts, value.name)
            if found and found[1] == "assign":
                return self._mapping(found[0], found[2][0], {}, depth + 1)
        return None

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
                steps: list[AuthStep] = []
                public_via = ""
                for wrap_facts, wrapper in wrappers:
                    step = self.decorator_step(wrap_facts, wrapper, (mount_facts or facts).path, wrapper.line)
                    if step is not None:
                        step.name = f"wrapped in {step.name}"
                        steps.append(step)
                if cls is not None:
                    steps.extend(self._class_steps(facts, cls))
                if func is not None:
                    for decorator in func.decorators:
                        name = ac.decorator_name(decorator)
                        if ac.OPEN_DECORATOR_NAMES.match(name.rsplit(".", 1)[-1]):
                            public_via = f"@{name}"
                            steps.append(AuthStep("marker", f"@{name}", facts.path, func.first_line, "open",
                                                  "marks the route public"))
                            continue
                        step = self.decorator_step(facts, decorator, facts.path, func.first_line)
                        if step is not None:
                            step.name = f"@{step.name}"
                            steps.append(step)
                    steps.extend(self._inline_steps(facts, func))
                    if not any(s.verdict == "authenticates" for s in steps):
                        handed = ac.delegated_auth(self.project, facts, func, self._own_auth)
                        if handed:
                            steps.append(AuthStep("inline", "hands over", facts.path, func.line, "authenticates",
                                                  handed))
                endpoint = cls.name if cls is not None else (func.name if func is not None else label)
                obj = self.objects[key]
                full_endpoint = f"{obj.name}.{endpoint}" if obj.kind == "blueprint" else endpoint
                steps[:0] = self._hook_steps(chain, endpoint, path,
                                             {"endpoint": full_endpoint, "path": path, "methods": methods,
                                              "blueprint": obj.name if obj.kind == "blueprint" else ""})
                via = [_via(s) for s in steps if s.verdict == "authenticates"]
                conditions = [s.condition for s in steps if s.verdict == "conditional"]
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
                route.auth_trail = [s.step for s in steps]
                if not via and conditions:
                    route.auth_condition = " and ".join(dict.fromkeys(conditions))
                if public_via:
                    route.public, route.public_via = True, public_via
                elif not via and set(methods) <= {"GET", "HEAD"} and ac.is_static_page(func):
                    route.public, route.public_via = True, "renders a fixed template"
                routes.append(route)
        return routes

    # -- authentication ------------------------------------------------------------------------------

    def decorator_auth(self, facts: FileFacts, decorator: Any) -> str:
        """How a decorator (or wrapper call) turns anonymous requests away, or "" when it does not."""
        step = self.decorator_step(facts, decorator, facts.path, 0)
        if step is None or step.verdict != "authenticates":
            return ""
        return f"{step.name} ({step.reason})"

    def decorator_step(self, facts: FileFacts, decorator: Any, applied_file: str, applied_line: int) -> _Step | None:
        """The trail step for one decorator (None for the route decorators themselves)."""
        name = ac.decorator_name(decorator)
        if not name:
            return None
        short = name.rsplit(".", 1)[-1]
        if short in ("route", "get", "post", "put", "patch", "delete", "before_request", "errorhandler",
                     "wraps", "doc", "response", "expect", "marshal_with", "marshal_list_with", "arguments",
                     "input", "output"):
            return None
        optional = isinstance(decorator, CallV) and _truthy(decorator.kwargs.get("optional"))
        cache_key = f"{facts.module}:{name}:{optional}"
        if cache_key not in self._decorator_cache:
            self._decorator_cache[cache_key] = None
            self._decorator_cache[cache_key] = self._decorator_verdict(facts, decorator, name, optional, 0)
        judged = self._decorator_cache[cache_key]
        if judged is None:
            judged = (ac.Verdict("open", "could not be followed"), "", 0)
        verdict, file, line = judged
        return _Step(AuthStep("decorator", name, file or applied_file, line or applied_line, verdict.verdict,
                              verdict.reason), verdict.condition, library=not file)

    def _decorator_verdict(self, facts: FileFacts, decorator: Any, name: str, optional: bool,
                           depth: int) -> tuple[ac.Verdict, str, int]:
        qualified = self._through_reexports(ac.qualify_name(self.project, facts, name))
        if self.project.is_auth_name(qualified, "decorator"):
            return ac.Verdict("authenticates", "configured in auth_decorators"), "", 0
        known = _library_decorator(qualified, optional)
        if known is not None:
            return known, "", 0
        found = ac.resolve_name(self.project, facts, name)
        if found is None and "." in name and depth < 4:
            # a method of an object used as a decorator: `@auth.login_required`, `@guard.check`
            owner, _, attr = name.rpartition(".")
            obj = ac.resolve_name(self.project, facts, owner)
            if obj and obj[1] == "assign" and isinstance(obj[2][0], CallV):
                ctor = obj[2][0]
                ctor_name = ac.qualify_name(self.project, obj[0], ctor.func)
                known = _library_object(ctor_name, attr, optional)
                if known is not None:
                    return known, obj[0].path, obj[2][1]
                cls = ac.resolve_name(self.project, obj[0], ctor.func)
                if cls and cls[1] == "class":
                    method = self.project.find_method(cls[0], cls[2], attr)
                    if method is not None:
                        found = (method[0], "function", method[2])
                    else:
                        for base in self._library_bases(cls[0], cls[2]):
                            known = _library_object(base, attr, optional)
                            if known is not None:
                                return known, cls[0].path, cls[2].line
        if found and found[1] == "function":
            verdict = self._function_verdict(found[0], found[2], depth)
            return verdict, found[0].path, found[2].line
        if found and found[1] == "class":
            for base in self._library_bases(found[0], found[2]):
                known = _library_object(base, "__call__", optional)
                if known is not None:
                    return known, found[0].path, found[2].line
            method = self.project.find_method(found[0], found[2], "__call__")
            if method is not None:
                return self._function_verdict(method[0], method[2], depth), found[0].path, found[2].line
            return ac.Verdict("open", f"{name} has no __call__ that checks who is calling"), found[0].path,                 found[2].line
        if found and found[1] == "assign" and depth < 4:
            value = found[2][0]
            if isinstance(value, CallV):
                # `admin_only = roles_required("admin")`, `require_oauth = ResourceProtector()`
                inner_optional = optional or _truthy(value.kwargs.get("optional"))
                verdict, file, line = self._decorator_verdict(found[0], value, ac.decorator_name(value),
                                                              inner_optional, depth + 1)
                return verdict, file or found[0].path, line or found[2][1]
            if isinstance(value, Ref):
                verdict, file, line = self._decorator_verdict(found[0], value, value.name, optional, depth + 1)
                return verdict, file or found[0].path, line or found[2][1]
        if found is None and qualified.split(".")[0] not in self.project.modules:
            return ac.Verdict("open", "a library decorator backcheck does not know to check the caller"), "", 0
        return ac.Verdict("open", "does not check who is calling"), "", 0

    def _through_reexports(self, qualified: str) -> str:
        """A qualified name followed through the project modules that only re-export it
        (`app.auth.login_required` -> `flask_login.login_required`)."""
        for _ in range(5):
            module, _, attr = qualified.rpartition(".")
            target = self.project.module(module) if module else None
            if target is None or attr not in target.imports or attr in target.functions or attr in target.classes:
                return qualified
            qualified = target.imports[attr]
        return qualified

    def _via_verdict(self, facts: FileFacts, name: str) -> ac.Verdict | None:
        """The verdict for a decorator a wrapper calls the view through."""
        step = self.decorator_step(facts, Ref(name), facts.path, 0)
        return ac.Verdict(step.verdict, step.reason, step.condition) if step is not None else None

    def _library_bases(self, facts: FileFacts, cls: ClassFacts, depth: int = 0) -> list[str]:
        """Qualified names of the library classes a project class derives from."""
        out = []
        for base in cls.bases:
            qualified = ac.qualify_name(self.project, facts, base)
            found = self.project.lookup(qualified)
            if found and found[1] == "class" and depth < 4:
                out.extend(self._library_bases(found[0], found[2], depth + 1))
            elif not found:
                out.append(qualified)
        return out

    def _function_verdict(self, facts: FileFacts, func: FuncFacts, depth: int) -> ac.Verdict:
        """A project decorator's verdict: the wrappers it defines, judged by what they do to the request."""
        nested = getattr(facts, "nested", None) or {}
        wrappers = [f for q, f in nested.items() if q.startswith(func.qualname + ".") and _has_pass(f.gate)]
        if _has_pass(func.gate):
            wrappers.insert(0, func)
        verdicts = [v for v in (self.judge.judge(facts, w, "wrapper") for w in wrappers) if v is not None]
        for wanted in ("authenticates", "conditional", "open"):
            for verdict in verdicts:
                if verdict.verdict == wanted:
                    return verdict
        # a factory handing back another decorator: `return require_permissions((name,))`
        own = {f.name for q, f in nested.items() if q.startswith(func.qualname + ".")}
        for value in func.return_values:
            name = ac.decorator_name(value) if isinstance(value, (Ref, CallV)) else ""
            if not name or name in own or name.startswith(("self.", "cls.")) or depth >= 3:
                continue
            verdict, _file, _line = self._decorator_verdict(facts, value, name, False, depth + 1)
            if verdict.verdict != "open" or "does not" not in verdict.reason:
                return ac.Verdict(verdict.verdict, f"{func.name} -> {verdict.reason}", verdict.condition)
        reason = ac.wrapper_checks(self.project, facts, func)
        if reason:
            return ac.Verdict("authenticates", reason)
        return ac.Verdict("open", f"{func.name} does not check who is calling")

    def _own_auth(self, facts: FileFacts, func: FuncFacts) -> str:
        """How a function protects itself: an auth decorator or an inline check."""
        for decorator in func.decorators:
            reason = self.decorator_auth(facts, decorator)
            if reason:
                return f"@{reason}"
        return ac.inline_auth(func) or self._inline_call(facts, func)

    def _inline_steps(self, facts: FileFacts, func: FuncFacts) -> list[_Step]:
        """The handler's own checks at the top of its body."""
        judged = self.judge.judge_handler(facts, func)
        if judged is not None:
            return [_Step(AuthStep("inline", func.name, facts.path, func.line, judged.verdict, judged.reason),
                          judged.condition)]
        steps = []
        for guard in ac.guards_of(func):
            if not guard.top:
                continue
            if guard.kind in ("rejects", "exits", "wraps"):
                steps.append(_Step(AuthStep("inline", guard.signal, facts.path, guard.line, "authenticates",
                                            f"inline check of {guard.signal} (line {guard.line})")))
                break
            if guard.kind == "call":
                reason = ac.call_authenticates(self.project, facts, guard.signal)
                verdict = "authenticates" if reason else "open"
                steps.append(_Step(AuthStep("inline", guard.signal, facts.path, guard.line, verdict,
                                            f"calls {reason} (line {guard.line})" if reason
                                            else f"{guard.signal}() does not turn anonymous requests away")))
                if reason:
                    break
        return steps

    def _class_steps(self, facts: FileFacts, cls: ClassFacts) -> list[_Step]:
        """`decorators = [...]` (MethodView) and `method_decorators = [...]` (Flask-RESTful) on the class."""
        steps = []
        for attr in ("decorators", "method_decorators"):
            found = ac.class_attr(self.project, facts, cls, attr)
            if not found:
                continue
            owner_facts, value = found
            for item in self._decorator_items(owner_facts, value):
                step = self.decorator_step(owner_facts, item, owner_facts.path, cls.line)
                if step is not None:
                    step.name = f"{cls.name}.{attr}: {step.name}"
                    steps.append(step)
        return steps

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

    def _hook_steps(self, chain: list[tuple[str, str]], endpoint: str, path: str, route: dict) -> list[_Step]:
        steps = []
        hooks = [(k, h) for h in self._app_hooks.get(chain[0], []) for k in [None]]
        for key in chain:
            hooks.extend((key, h) for h in self.objects[key].hooks)
        for key, (hook_facts, hook) in hooks:
            owner = self.objects[key].name if key is not None else "app"
            name = f"{owner}.before_request {hook.name}"
            verdict = self.judge.judge(hook_facts, hook, "hook", route)
            if verdict is None:
                reason = self.hook_auth(hook_facts, hook)
                guard = ac.hook_rejects(hook)
                if reason and guard is not None and self._exempt(hook_facts, guard, endpoint, path):
                    verdict = ac.Verdict("open", f"{hook.name} exempts this route")
                elif reason:
                    verdict = ac.Verdict("authenticates", reason)
                else:
                    verdict = ac.Verdict("open", f"{hook.name} does not turn anonymous requests away")
            steps.append(_Step(AuthStep("hook", name, hook_facts.path, hook.line, verdict.verdict, verdict.reason),
                               verdict.condition))
        return steps

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


@dataclass
class _Step:
    """An AuthStep with the condition a conditional verdict names."""

    step: AuthStep
    condition: str = ""
    library: bool = False  # a library primitive or a configured name: `auth_via` shows the name alone

    @property
    def verdict(self) -> str:
        return self.step.verdict

    @property
    def name(self) -> str:
        return self.step.name

    @name.setter
    def name(self, value: str) -> None:
        self.step.name = value

    @property
    def reason(self) -> str:
        return self.step.reason


def _via(step: _Step) -> str:
    """The `auth_via` text for an authenticating step (the CLI contract)."""
    if step.step.kind == "inline":
        return step.reason
    if step.library:
        return step.name  # a library primitive: its name says it
    if step.step.kind == "hook":
        return f"before_request {step.name.split('.before_request ', 1)[-1]}: {step.reason}"
    return f"{step.name} ({step.reason})"


def _local_value(value: Any, local: dict[str, Any]) -> Any:
    """A name's value in the scope it is used in (one step through locals)."""
    if isinstance(value, Ref) and value.name in local and local[value.name] is not None:
        return local[value.name]
    return value


def _symbolic_rule(value: Any, local: dict[str, Any]) -> str | None:
    """A URL rule, with the parts computed at run time left as `{name}`."""
    value = _local_value(value, local)
    text = _rule(value)
    if text is not None:
        return text
    if isinstance(value, FStr):
        names = [n for n in value.names if "." not in n] or value.names
        return value.prefix + "{" + (names[0] if names else "rule") + "}"
    if isinstance(value, Ref):
        return "{" + value.name.rsplit(".", 1)[-1].strip("{}") + "}" if not value.name.startswith("{") \
            else value.name
    return None


def _truthy(value: Any) -> bool:
    return isinstance(value, Const) and bool(value.value)


def _has_pass(tree: Any) -> bool:
    """Whether a gate tree ever hands the request on to the view it wraps."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, tuple) or not node:
            continue
        if node[0] in ("pass", "via"):
            return True
        if node[0] == "if":
            stack.extend((node[2], node[3]))
        elif node[0] == "call":
            stack.append(node[4])
    return False


# Library decorators that turn anonymous requests away, by package and name.
_LIBRARY_DECORATORS = {
    "flask_login": {"login_required", "fresh_login_required"},
    "flask_jwt_extended": {"jwt_required", "fresh_jwt_required", "jwt_refresh_token_required"},
    "flask_jwt": {"jwt_required"},
    "flask_security": {"auth_required", "login_required", "roles_required", "roles_accepted",
                       "permissions_required", "permissions_accepted", "auth_token_required", "http_auth_required"},
    "flask_praetorian": {"auth_required", "roles_required", "roles_accepted"},
    "flask_user": {"login_required", "roles_required", "roles_accepted", "allow_unconfirmed_email"},
    "flask_simplelogin": {"login_required"},
    "apifairy": {"authenticate"},
    "flask_appbuilder": {"has_access", "has_access_api", "protect"},
    "flask_oidc": {"require_login", "accept_token"},
    "flask_principal": {"require"},
    "flask_login_required": {"login_required"},
}
# Library objects whose methods (or which themselves, "__call__") guard a view.
_LIBRARY_GUARDS = {
    "flask_httpauth": {"login_required"},
    "flask_basicauth": {"required"},
    "flask_principal": {"require"},
    "authlib": {"__call__", "acquire"},
    "flask_praetorian": {"auth_required"},
    "flask_jwt_extended": {"jwt_required"},
}


def _library_decorator(qualified: str, optional: bool) -> ac.Verdict | None:
    package, _, short = qualified.partition(".")[0], None, qualified.rsplit(".", 1)[-1]
    names = _LIBRARY_DECORATORS.get(package)
    if not names or short not in names:
        return None
    if optional:
        return ac.Verdict("open", f"{package}.{short}(optional=True) lets anonymous requests through")
    return ac.Verdict("authenticates", f"{package}.{short} rejects anonymous requests")


def _library_object(ctor: str, attr: str, optional: bool) -> ac.Verdict | None:
    package = ctor.partition(".")[0]
    names = _LIBRARY_GUARDS.get(package)
    if not names or attr not in names:
        return None
    label = ctor.rsplit(".", 1)[-1] + ("" if attr == "__call__" else f".{attr}")
    if optional:
        return ac.Verdict("open", f"{label}(optional=True) lets anonymous requests through")
    return ac.Verdict("authenticates", f"{label} ({package}) rejects anonymous requests")


def _adds_rules(facts: FileFacts) -> bool:
    """A plugin loader: a module that calls `add_url_rule` on an app its caller hands it."""
    return any(c.func.endswith(".add_url_rule") for f in facts.all_functions() for c in f.calls)


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
