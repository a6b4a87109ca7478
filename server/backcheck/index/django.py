"""Django and Django REST framework: URL configurations from each settings module's `ROOT_URLCONF`
through nested `include()` (module paths, imported modules, inline lists, `router.urls`), `path` /
`re_path` / `url` with their prefixes joined, DRF routers and viewsets (one route per action, `@action`
methods too), APIView and generic views (one route per HTTP method), Django class-based views, and
authentication through decorators, mixins, `permission_classes` (and `DEFAULT_PERMISSION_CLASSES`),
`LoginRequiredMiddleware` and project middleware, and inline `request.user.is_authenticated` checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from backcheck.index import authcommon as ac
from backcheck.index import django_gates as gates
from backcheck.index.django_registry import (
    DEFAULT_ROUTES,
    Registered,
    Registries,
    Routers,
    loop_bindings,
)
from backcheck.index.facts import (
    CallV,
    ClassFacts,
    Const,
    FileFacts,
    FStr,
    FuncFacts,
    Map,
    Other,
    Ref,
    Seq,
)
from backcheck.index.project import AuthStep, Project, Route

_PATTERN_FUNCS = {"path", "re_path", "url"}
_PATTERN_QUALIFIED = {"django.urls.path", "django.urls.re_path", "django.conf.urls.url", "django.urls.conf.path",
                      "django.urls.conf.re_path", "django.conf.urls.re_path"}
_ROUTER_TYPES = {"DefaultRouter", "SimpleRouter", "ExtendedDefaultRouter", "ExtendedSimpleRouter", "NestedSimpleRouter",
                 "NestedDefaultRouter", "OptionalSlashRouter", "BulkRouter"}
_SAFE = {"GET", "HEAD", "OPTIONS"}
_HTTP = ("get", "post", "put", "patch", "delete")
# Viewset actions the routers map, per route kind and HTTP method.
# What library DRF bases provide: viewset actions, or generic views' handler actions by HTTP method.
_MIXIN_ACTIONS = {
    "ListModelMixin": {"list"}, "CreateModelMixin": {"create"}, "RetrieveModelMixin": {"retrieve"},
    "UpdateModelMixin": {"update", "partial_update"}, "DestroyModelMixin": {"destroy"},
    "ModelViewSet": {"list", "create", "retrieve", "update", "partial_update", "destroy"},
    "ReadOnlyModelViewSet": {"list", "retrieve"},
}
_GENERIC_VIEWS = {
    "ListAPIView": {"GET": "list"}, "CreateAPIView": {"POST": "create"}, "RetrieveAPIView": {"GET": "retrieve"},
    "DestroyAPIView": {"DELETE": "destroy"}, "UpdateAPIView": {"PUT": "update", "PATCH": "partial_update"},
    "ListCreateAPIView": {"GET": "list", "POST": "create"},
    "RetrieveUpdateAPIView": {"GET": "retrieve", "PUT": "update", "PATCH": "partial_update"},
    "RetrieveDestroyAPIView": {"GET": "retrieve", "DELETE": "destroy"},
    "RetrieveUpdateDestroyAPIView": {"GET": "retrieve", "PUT": "update", "PATCH": "partial_update",
                                     "DELETE": "destroy"},
    "APIRootView": {"GET": "get"},  # DRF's router root: lists the registered prefixes
}
# Django generic views and the methods they answer without the project defining a handler.
_DJANGO_GENERIC = {
    "TemplateView": ("GET",), "ListView": ("GET",), "DetailView": ("GET",), "RedirectView": ("GET",),
    "ArchiveIndexView": ("GET",), "YearArchiveView": ("GET",), "MonthArchiveView": ("GET",),
    "DayArchiveView": ("GET",), "DateDetailView": ("GET",), "FormView": ("GET", "POST"),
    "CreateView": ("GET", "POST"), "UpdateView": ("GET", "POST"), "DeleteView": ("GET", "POST"),
}
_DRF_BASES = re.compile(r"^rest_framework\.|APIView$|ViewSet$|ViewSetMixin$")
_OPEN_PERMISSIONS = {"AllowAny"}
_READ_ONLY_OPEN = {"IsAuthenticatedOrReadOnly", "DjangoModelPermissionsOrAnonReadOnly", "ReadOnly",
                   "IsAuthenticatedOrTokenHasScope"}
_AUTH_MIXINS = re.compile(r"(LoginRequired|PermissionRequired|UserPassesTest|StaffuserRequired|SuperuserRequired|"
                          r"GroupRequired|StaffRequired|AdminRequired|Authenticated|MultiplePermissionsRequired)")
_ADMIN = re.compile(r"(^|\.)admin\.site\.urls$|(^|\.)site\.urls$")


@dataclass
class Site:
    """One Django project: its settings module, root URLconf and the settings that affect auth."""

    settings: FileFacts | None
    urlconf: FileFacts
    base: str  # module prefix the project's imports are relative to ("" or "labs.site")
    default_permissions: list[Any] | None = None  # None: DRF's default (AllowAny)
    login_middleware: str = ""
    middleware_checks: list[tuple[FileFacts, FuncFacts]] = field(default_factory=list)
    ignore_paths: list[str] = field(default_factory=list)


@dataclass
class Mount:
    """What the URL resolver chain contributes to a view: the path prefix and wrappers from urls.py."""

    prefix: str
    wrappers: list[tuple[FileFacts, Any]] = field(default_factory=list)


def _const_str(value: Any) -> str | None:
    return value.value if isinstance(value, Const) and isinstance(value.value, str) else None


def _map_get(value: Any, key: str) -> Any:
    if isinstance(value, Map):
        for k, v in zip(value.keys, value.values):
            if isinstance(k, Const) and k.value == key:
                return v
    return None


def _items(value: Any) -> list[Any]:
    return list(value.items) if isinstance(value, Seq) else []


class DjangoIndex:
    """Route discovery and auth decisions for the Django projects of one project root."""

    def __init__(self, project: Project):
        self.project = project
        self.routes_out: list[Route] = []
        self.visited_urlconfs: set[str] = set()
        self._routers: dict[tuple[str, str], list[tuple[FileFacts, CallV]]] = {}
        self._register_calls: list[tuple[FileFacts, CallV]] | None = None
        self._mros: dict[int, list[tuple[FileFacts, ClassFacts | str]]] = {}
        self._mixins: dict[int, tuple[list[str], list[AuthStep]]] = {}
        self._site: Site | None = None
        self._gates: dict[tuple[str, int, int], Any] = {}
        self.registries = Registries(project)
        self.routers = Routers(project, self.registries)
        # the auth candidates examined for the route being built, and the settings that leave it open
        self._steps: list[AuthStep] = []
        self._conditions: list[str] = []

    def _begin(self) -> None:
        self._steps, self._conditions = [], []

    def _step(self, kind: str, name: str, facts: FileFacts | None, line: int, verdict: str, reason: str) -> None:
        self._steps.append(AuthStep(kind, name, facts.path if facts is not None else "", line, verdict, reason))

    # -- classes (memoised: every route of a viewset asks the same questions) --------------------------

    def _mro(self, facts: FileFacts, cls: ClassFacts) -> list[tuple[FileFacts, ClassFacts | str]]:
        key = id(cls)
        if key not in self._mros:
            self._mros[key] = list(self.project.class_mro(facts, cls))
        return self._mros[key]

    def _find_method(self, facts: FileFacts, cls: ClassFacts, name: str) -> tuple[FileFacts, ClassFacts, FuncFacts] | None:
        for owner_facts, owner in self._mro(facts, cls):
            if isinstance(owner, ClassFacts) and name in owner.methods:
                return owner_facts, owner, owner.methods[name]
        return None

    def _class_attr(self, facts: FileFacts, cls: ClassFacts, name: str) -> tuple[FileFacts, Any] | None:
        for owner_facts, owner in self._mro(facts, cls):
            if isinstance(owner, ClassFacts) and name in owner.attrs:
                value = owner.attrs[name]
                if isinstance(value, tuple) and len(value) == 3 and value[0] == "annotated":
                    value = value[2]
                return owner_facts, value
        return None

    # -- sites ----------------------------------------------------------------------------------------

    def sites(self) -> list[Site]:
        found: list[Site] = []
        seen: set[str] = set()
        for facts in sorted(self.project.files.values(), key=lambda f: f.path):
            entry = facts.assigns.get("ROOT_URLCONF")
            urlconf_name = _const_str(entry[0]) if entry else None
            if not urlconf_name:
                continue
            base, urlconf = self._find_module(facts.module, urlconf_name)
            if urlconf is None or urlconf.module in seen:
                continue
            seen.add(urlconf.module)
            site = Site(settings=facts, urlconf=urlconf, base=base)
            self._read_settings(site, facts)
            found.append(site)
        return found

    def _find_module(self, near: str, name: str) -> tuple[str, FileFacts | None]:
        """A module named as Django would import it, preferring the package tree `near` lives in."""
        parts = near.split(".")
        for cut in range(len(parts) - 1, -1, -1):
            base = ".".join(parts[:cut])
            candidate = f"{base}.{name}" if base else name
            if candidate in self.project.modules:
                return base, self.project.modules[candidate]
        return "", self.project.module(name)

    def _setting(self, facts: FileFacts, name: str, depth: int = 0) -> Any:
        """A settings value, also from modules the settings module star-imports (`from .base import *`)."""
        if name in facts.assigns:
            return facts.assigns[name][0]
        if depth < 4:
            for target in ac.star_targets(self.project, facts):
                value = self._setting(target, name, depth + 1)
                if value is not None:
                    return value
        return None

    def _read_settings(self, site: Site, facts: FileFacts) -> None:
        rest = self._setting(facts, "REST_FRAMEWORK")
        if rest is None:
            # a sibling settings module (base.py next to production.py) may hold it
            package = facts.module.rpartition(".")[0]
            for other in self.project.files.values():
                if other.module.rpartition(".")[0] == package and "REST_FRAMEWORK" in other.assigns:
                    rest = other.assigns["REST_FRAMEWORK"][0]
                    break
        defaults = _map_get(rest, "DEFAULT_PERMISSION_CLASSES")
        if defaults is not None:
            site.default_permissions = _items(defaults) if isinstance(defaults, Seq) else [defaults]
        middleware = self._setting(facts, "MIDDLEWARE") or self._setting(facts, "MIDDLEWARE_CLASSES")
        for item in _items(middleware):
            name = _const_str(item) or ""
            if name.endswith("LoginRequiredMiddleware"):
                site.login_middleware = name
                continue
            found = self.project.lookup(name) if name else None
            if found and found[1] == "class":
                for method in ("__call__", "process_request", "process_view"):
                    hit = self.project.find_method(found[0], found[2], method)
                    if hit and (ac.hook_rejects(hit[2]) or ac.rejects_with_auth_status(hit[2])):
                        site.middleware_checks.append((hit[0], hit[2]))
                        break
            elif found and found[1] == "function":
                inner = getattr(found[0], "nested", None) or {f.qualname: f for f in found[0].functions.values()}
                nested = [f for q, f in inner.items() if q.startswith(found[2].qualname + ".")]
                for func in nested:
                    if ac.hook_rejects(func):
                        site.middleware_checks.append((found[0], func))
                        break
        for setting in ("LOGIN_REQUIRED_IGNORE_PATHS", "LOGIN_EXEMPT_URLS", "LOGIN_REQUIRED_IGNORE_VIEW_NAMES",
                        "PUBLIC_PATHS", "OPEN_URLS"):
            site.ignore_paths.extend(_const_str(i) or "" for i in _items(self._setting(facts, setting)))

    # -- url patterns --------------------------------------------------------------------------------

    def walk_urlconf(self, site: Site, module: FileFacts, mount: Mount, depth: int = 0) -> None:
        key = f"{module.module}|{mount.prefix}"
        if depth > 12 or key in self.visited_urlconfs:
            return
        self.visited_urlconfs.add(key)
        for pattern_facts, pattern in self.patterns_of(module):
            self.walk_pattern(site, pattern_facts, pattern, mount, depth)

    def patterns_of(self, module: FileFacts) -> list[tuple[FileFacts, Any]]:
        """The entries of a module's `urlpatterns` (assignments, `+=`, `.extend`/`.append`)."""
        values: list[tuple[FileFacts, Any]] = []
        if "urlpatterns" in module.assigns:
            values.append((module, module.assigns["urlpatterns"][0]))
        for name, value, _line in getattr(module, "extends", ()) or ():
            if name == "urlpatterns":
                values.append((module, value))
        for call in module.calls:
            if call.func in ("urlpatterns.extend", "urlpatterns.append", "urlpatterns.insert") and call.args:
                values.append((module, call.args[-1] if call.func != "urlpatterns.append" else Seq([call.args[0]])))
        out: list[tuple[FileFacts, Any]] = []
        for facts, value in values:
            out.extend(self._flatten(facts, value, 0))
        # Summaries miss parts of long lists and of `[...] + static(...)`; the calls recorded one by one
        # fill them in, except those in other named lists (reached through their name, or not at all).
        known = {(c.line, c.col) for _f, c in out if isinstance(c, CallV)}
        for name, (value, _line) in module.assigns.items():
            if name != "urlpatterns" and isinstance(value, Seq):
                known.update((c.line, c.col) for _f, c in self._flatten(module, value, 0) if isinstance(c, CallV))
        if values:
            for call in _top_level_patterns(module):
                if (call.line, call.col) not in known:
                    out.append((module, call))
        return out

    def _flatten(self, facts: FileFacts, value: Any, depth: int) -> Iterator[tuple[FileFacts, Any]]:
        """Pattern entries inside a list value: lists, `a + b`, names of other lists, `router.urls`."""
        if depth > 6 or value is None:
            return
        if isinstance(value, Seq):
            for item in value.items:
                yield from self._flatten(facts, item, depth + 1)
        elif isinstance(value, CallV):
            short = value.func.rsplit(".", 1)[-1]
            if short in _PATTERN_FUNCS or short == "include":
                yield facts, self._full_call(facts, value)
                return
            registered = self.registries.expand(facts, value)
            if registered is not None:
                # get_model_urls("dcim", "site"): the views a registry holds for that key
                for item in registered:
                    yield facts, item
            elif value.args:
                # format_suffix_patterns(urlpatterns), static(...) and friends wrap or add patterns
                for arg in value.args:
                    yield from self._flatten(facts, arg, depth + 1)
        elif isinstance(value, Ref):
            if value.name.endswith(".urls"):
                yield facts, value
                return
            found = ac.resolve_name(self.project, facts, value.name)
            if found and found[1] == "assign" and value.name != "urlpatterns":
                yield from self._flatten(found[0], found[2][0], depth + 1)
        elif isinstance(value, Other):
            for name in value.names:
                if "." not in name or name.endswith(".urls"):
                    yield from self._flatten(facts, Ref(name), depth + 1)

    def _full_call(self, facts: FileFacts, call: CallV) -> CallV:
        """The same call as recorded on its own (summaries nested in a list are cut short)."""
        for candidate in facts.calls:
            if candidate.line == call.line and candidate.col == call.col:
                return candidate
        return call

    def walk_pattern(self, site: Site, facts: FileFacts, pattern: Any, mount: Mount, depth: int) -> None:
        if isinstance(pattern, Registered):
            owner, kind, decl = pattern.view
            inner = Mount(mount.prefix + pattern.piece, list(mount.wrappers))
            if kind == "class":
                self.class_view(site, owner, decl, inner, None)
            elif kind == "function":
                self.function_view(site, owner, decl, inner)
            return
        if isinstance(pattern, Ref):
            # `urlpatterns += router.urls`
            self._router_urls(site, facts, pattern.name.removesuffix(".urls"), mount)
            return
        if not isinstance(pattern, CallV):
            return
        short = pattern.func.rsplit(".", 1)[-1]
        if short == "include":
            self._include(site, facts, pattern, mount, depth)
            return
        if short not in _PATTERN_FUNCS or len(pattern.args) < 1:
            return
        route = pattern.args[0] if pattern.args else pattern.kwargs.get("route")
        text = _const_str(route)
        if text is None:
            text = (route.text or route.prefix) if isinstance(route, FStr) else ""
        piece = text if short == "path" else regex_to_path(text)
        view = pattern.args[1] if len(pattern.args) > 1 else pattern.kwargs.get("view")
        self.resolve_view(site, facts, view, Mount(mount.prefix + piece, list(mount.wrappers)), depth, pattern)

    def _include(self, site: Site, facts: FileFacts, call: CallV, mount: Mount, depth: int) -> None:
        target = call.args[0] if call.args else call.kwargs.get("arg")
        if isinstance(target, Seq) and target.items and not isinstance(target.items[0], CallV):
            target = target.items[0]  # include(("app.urls", "app_name"))
        name = _const_str(target)
        if name is not None:
            _base, module = self._find_module(site.urlconf.module, name)
            if module is not None:
                self.walk_urlconf(site, module, mount, depth + 1)
            return
        if isinstance(target, Ref):
            if target.name.endswith(".urls") and not self._module_ref(facts, target.name):
                self._router_urls(site, facts, target.name.removesuffix(".urls"), mount)
                return
            module = self._module_ref(facts, target.name)
            if module is not None:
                self.walk_urlconf(site, module, mount, depth + 1)
                return
        inside = _patterns_within(facts, call) if isinstance(target, (Seq, Other)) else []
        entries = [(facts, c) for c in inside] or list(self._flatten(facts, target, 0))
        for pattern_facts, pattern in entries:
            self.walk_pattern(site, pattern_facts, pattern, mount, depth + 1)

    def _module_ref(self, facts: FileFacts, name: str) -> FileFacts | None:
        """A module an imported name stands for (`from app import urls as app_urls`)."""
        qualified = ac.qualify_name(self.project, facts, name)
        found = self.project.lookup(qualified)
        if found and found[1] == "module":
            return found[2]
        return None

    def resolve_view(self, site: Site, facts: FileFacts, view: Any, mount: Mount, depth: int,
                     pattern: CallV | None = None) -> None:
        """Turn the view part of a pattern into routes."""
        if view is None or depth > 14:
            return
        if isinstance(view, Const) and isinstance(view.value, str) and "." in view.value:
            # url(r"^x/$", "app.views.func") in old Django
            found = self.project.lookup(view.value)
            if found and found[1] == "function":
                self.function_view(site, found[0], found[2], mount)
            return
        if isinstance(view, CallV):
            short = view.func.rsplit(".", 1)[-1]
            if short == "include":
                self._include(site, facts, view, mount, depth)
                return
            if short == "decorator_include" and len(view.args) >= 2:
                # decorator_include(login_required, "app.urls") wraps every view it includes
                wrappers = [(facts, d) for d in (_items(view.args[0]) or [view.args[0]])]
                inner = CallV("include", view.args[1:], {}, view.line, view.col, view.end_line, view.end_col)
                self._include(site, facts, inner, Mount(mount.prefix, [*mount.wrappers, *wrappers]), depth)
                return
            if short == "as_view":
                head = view.func[: -len(".as_view")]
                found = ac.resolve_name(self.project, facts, head)
                if found and found[1] == "class":
                    actions = view.args[0] if view.args and isinstance(view.args[0], Map) else view.kwargs.get("actions")
                    self.class_view(site, found[0], found[2], mount, actions)
                return
            if view.args:
                # login_required(views.x), permission_required("p")(View.as_view()), csrf_exempt(...)
                self.resolve_view(site, facts, view.args[0], Mount(mount.prefix, [*mount.wrappers, (facts, view)]),
                                  depth + 1)
            return
        if isinstance(view, Seq) and view.items:
            # url(r"^x/", (patterns, "app", "ns")) in old Django
            for entry_facts, entry in self._flatten(facts, view, 0):
                self.walk_pattern(site, entry_facts, entry, mount, depth + 1)
            return
        if not isinstance(view, Ref):
            return
        if _ADMIN.search(view.name):
            return
        if view.name.endswith(".urls") and not self._module_ref(facts, view.name):
            self._router_urls(site, facts, view.name.removesuffix(".urls"), mount)
            return
        found = ac.resolve_name(self.project, facts, view.name)
        if found is None:
            return
        owner, kind, decl = found
        if kind == "function":
            self.function_view(site, owner, decl, mount)
        elif kind == "class":
            self.class_view(site, owner, decl, mount, None)
        elif kind == "assign":
            self.resolve_view(site, owner, decl[0], mount, depth + 1)
        elif kind == "module":
            self.walk_urlconf(site, decl, mount, depth + 1)

    # -- routers -------------------------------------------------------------------------------------

    def _router_registrations(self, facts: FileFacts, name: str) -> tuple[FileFacts, CallV, list[tuple[FileFacts, CallV]]] | None:
        """A router object by name, its constructor call, and every `register` call on it."""
        found = ac.resolve_name(self.project, facts, name)
        if not found or found[1] != "assign" or not isinstance(found[2][0], CallV):
            return None
        owner, ctor = found[0], found[2][0]
        if ctor.func.rsplit(".", 1)[-1] not in _ROUTER_TYPES and not self._is_router_class(owner, ctor.func):
            return None
        key = (owner.module, name.rsplit(".", 1)[-1])
        if key not in self._routers:
            registrations = []
            if self._register_calls is None:
                self._register_calls = [(f, c) for f, c in self.project.all_calls()
                                        if c.func.endswith(".register") and c.args]
            for facts_, call in self._register_calls:
                target = ac.resolve_name(self.project, facts_, call.func[: -len(".register")])
                if target and target[0] is owner and target[1] == "assign" and target[2] is found[2]:
                    registrations.append((facts_, call))
            self._routers[key] = registrations
        return owner, ctor, self._routers[key]

    def _is_router_class(self, facts: FileFacts, name: str) -> bool:
        found = ac.resolve_name(self.project, facts, name)
        if found and found[1] == "class":
            return any(b.rsplit(".", 1)[-1] in _ROUTER_TYPES or self._is_router_class(found[0], b)
                       for b in found[2].bases)
        return False

    def _router_urls(self, site: Site, facts: FileFacts, name: str, mount: Mount) -> None:
        found = self._router_registrations(facts, name)
        if found is None:
            return
        owner, ctor, registrations = found
        trailing = ctor.kwargs.get("trailing_slash")
        slash = "/" if trailing is None or (isinstance(trailing, Const) and trailing.value is True) else (
            _const_str(trailing) or "")
        nested = ""
        if ctor.func.rsplit(".", 1)[-1].startswith("Nested") and len(ctor.args) >= 2:
            parent_prefix = _const_str(ctor.args[1]) or ""
            lookup = _const_str(ctor.kwargs.get("lookup")) or "parent"
            nested = f"{parent_prefix.strip('^/$')}/<{lookup}_pk>/"
        table = self.routers.table(owner, ctor.func)
        root_view = self.routers.root_view(owner, name.rsplit(".", 1)[-1], ctor)
        if root_view is not None:
            # DefaultRouter's API root at the router's own prefix
            view_facts, view_cls = root_view
            self.class_view(site, view_facts, view_cls, Mount(mount.prefix + nested, mount.wrappers), None)
        for reg_facts, call, prefix, viewset in self._registered(registrations):
            target = ac.resolve_name(self.project, reg_facts, viewset.name)
            if not target or target[1] != "class":
                continue
            base = mount.prefix + nested + regex_to_path(prefix)
            self.viewset_routes(site, target[0], target[2], Mount(base, mount.wrappers), slash, table)

    def _registered(self, registrations: list[tuple[FileFacts, CallV]]) -> Iterator[tuple[FileFacts, CallV, str, Ref]]:
        """(file, call, prefix, viewset) for each `router.register(...)`, once per turn of a loop over a
        literal list when the call is written inside one (`for prefix, viewset in ROUTES:`)."""
        for reg_facts, call in registrations:
            prefix_arg = call.args[0] if call.args else call.kwargs.get("prefix")
            viewset_arg = call.args[1] if len(call.args) > 1 else call.kwargs.get("viewset")
            prefix = _const_str(prefix_arg)
            if prefix is not None and isinstance(viewset_arg, Ref):
                yield reg_facts, call, prefix, viewset_arg
                continue
            for turn in loop_bindings(self.registries.tree(reg_facts), call.line):
                bound_prefix = turn.get(prefix_arg.name) if isinstance(prefix_arg, Ref) else prefix_arg
                bound_viewset = turn.get(viewset_arg.name) if isinstance(viewset_arg, Ref) else None
                text = _const_str(bound_prefix)
                if text is not None and isinstance(bound_viewset, Ref):
                    yield reg_facts, call, text, bound_viewset

    def viewset_routes(self, site: Site, facts: FileFacts, cls: ClassFacts, mount: Mount, slash: str,
                       table: list[tuple[bool, dict[str, str]]] | None = None) -> None:
        lookup = self._lookup_name(facts, cls)
        for detail, mapping in table if table is not None else DEFAULT_ROUTES:
            path = mount.prefix + (f"/<{lookup}>" if detail else "") + slash
            for method, action in mapping.items():
                if self._has_action(facts, cls, action):
                    self._emit_action(site, facts, cls, action, [method.upper()], path, mount)
        for func in self._extra_actions(facts, cls):
            decorator = next(d for d in func.decorators if isinstance(d, CallV)
                             and d.func.rsplit(".", 1)[-1] in ("action", "detail_route", "list_route"))
            detail = decorator.kwargs.get("detail")
            is_detail = (isinstance(detail, Const) and detail.value is True) or decorator.func.endswith("detail_route")
            url_path = _const_str(decorator.kwargs.get("url_path")) or func.name
            methods = [_const_str(m).upper() for m in _items(decorator.kwargs.get("methods")) if _const_str(m)] or ["GET"]
            path = mount.prefix + (f"/<{lookup}>" if is_detail else "") + "/" + url_path + slash
            self._emit_action(site, facts, cls, func.name, methods, path, mount, decorator)

    def _has_action(self, facts: FileFacts, cls: ClassFacts, action: str) -> bool:
        """Whether a viewset answers an action: a method in the project classes or a DRF mixin's."""
        return action in self.viewset_actions(facts, cls) or self._find_method(facts, cls, action) is not None

    def viewset_actions(self, facts: FileFacts, cls: ClassFacts) -> set[str]:
        actions: set[str] = set()
        for owner_facts, owner in self._mro(facts, cls):
            if isinstance(owner, ClassFacts):
                actions.update(a for a in ("list", "create", "retrieve", "update", "partial_update", "destroy")
                               if a in owner.methods)
            else:
                actions.update(_MIXIN_ACTIONS.get(owner.rsplit(".", 1)[-1], ()))
        return actions

    def _extra_actions(self, facts: FileFacts, cls: ClassFacts) -> list[FuncFacts]:
        found, names = [], set()
        for _owner_facts, owner in self._mro(facts, cls):
            if isinstance(owner, ClassFacts):
                for func in owner.methods.values():
                    if func.name not in names and any(
                        isinstance(d, CallV) and d.func.rsplit(".", 1)[-1] in ("action", "detail_route", "list_route")
                        for d in func.decorators
                    ):
                        names.add(func.name)
                        found.append(func)
        return found

    def _lookup_name(self, facts: FileFacts, cls: ClassFacts) -> str:
        for attr in ("lookup_url_kwarg", "lookup_field"):
            found = self._class_attr(facts, cls, attr)
            if found and _const_str(found[1]):
                return _const_str(found[1]) or "pk"
        return "pk"

    # -- views ---------------------------------------------------------------------------------------

    def function_view(self, site: Site, facts: FileFacts, func: FuncFacts, mount: Mount) -> None:
        self._begin()
        methods, is_drf = ["*"], False
        for decorator in func.decorators:
            name = ac.decorator_name(decorator).rsplit(".", 1)[-1]
            if name == "api_view":
                is_drf = True
                declared = decorator.args[0] if isinstance(decorator, CallV) and decorator.args else (
                    decorator.kwargs.get("http_method_names") if isinstance(decorator, CallV) else None)
                methods = [m.upper() for m in (_const_str(i) for i in _items(declared)) if m] or ["GET"]
            elif name == "require_http_methods" and isinstance(decorator, CallV) and decorator.args:
                methods = [m.upper() for m in (_const_str(i) for i in _items(decorator.args[0])) if m] or methods
            elif name in ("require_GET", "require_safe"):
                methods = ["GET"]
            elif name == "require_POST":
                methods = ["POST"]
        via, public_via = self._decorators_auth(facts, func.decorators, func.first_line)
        via.extend(self._wrappers_auth(mount))
        via.extend(self._inline(site, facts, func))
        if not via:
            handed = ac.delegated_auth(self.project, facts, func, self._own_auth)
            if handed:
                via.append(handed)
                self._step("inline", func.name, facts, func.line, "authenticates", handed)
        perms_public = ""
        if is_drf and not via:
            declared = None
            for decorator in func.decorators:
                if isinstance(decorator, CallV) and decorator.func.rsplit(".", 1)[-1] == "permission_classes":
                    declared = _items(decorator.args[0]) if decorator.args else []
            for method in methods:
                reason, open_reason = self.permissions_auth(site, facts, declared, method, None)
                if reason:
                    via.append(reason)
                    break
                perms_public = perms_public or open_reason
        self._emit(site, facts, func, None, func.name, methods, mount, via, public_via or perms_public, is_drf)

    def class_view(self, site: Site, facts: FileFacts, cls: ClassFacts, mount: Mount, actions: Any) -> None:
        is_drf = self._is_drf(facts, cls)
        if isinstance(actions, Map):
            # ViewSet.as_view({"get": "list", "post": "create"})
            for key, value in zip(actions.keys, actions.values):
                method, action = _const_str(key), _const_str(value)
                if method and action:
                    self._emit_action(site, facts, cls, action, [method.upper()], mount.prefix, mount)
            return
        for method, func, label in self.class_handlers(facts, cls, is_drf):
            self._emit_method(site, facts, cls, func, label, [method], mount, is_drf)

    def class_handlers(self, facts: FileFacts, cls: ClassFacts, is_drf: bool) -> list[tuple[str, FuncFacts | None, str]]:
        """(HTTP method, handler defined in the class or None, label) for each method the view answers."""
        out = []
        generic: dict[str, str] = {}
        django_generic: tuple[str, ...] = ()
        for _owner_facts, owner in self._mro(facts, cls):
            if isinstance(owner, str):
                short = owner.rsplit(".", 1)[-1]
                for method, action in _GENERIC_VIEWS.get(short, {}).items():
                    generic.setdefault(method, action)
                if short in _DJANGO_GENERIC and not django_generic:
                    django_generic = _DJANGO_GENERIC[short]
                if short.endswith("View") and not short.endswith(("APIView", "GenericView")) and short != "View" \
                        and short not in _DJANGO_GENERIC and not django_generic and not is_drf:
                    django_generic = ("*",)  # a library view whose methods this index does not know
        if django_generic == ("*",):
            own = [n for n in _HTTP if self._find_method(facts, cls, n)]
            if not own:
                dispatch = cls.methods.get("dispatch")
                return [("*", dispatch, f"{cls.name}.dispatch" if dispatch else cls.name)]
        for name in _HTTP:
            method = name.upper()
            found = self._find_method(facts, cls, name)
            if found is not None:
                own = found[1] is cls
                out.append((method, found[2] if own else None, f"{cls.name}.{name}" if own else cls.name))
                continue
            action = generic.get(method)
            if action is None and method in django_generic:
                out.append((method, None, cls.name))
                continue
            if action is None:
                continue
            label_action = action
            if action == "partial_update" and "partial_update" not in cls.methods and "update" in cls.methods:
                label_action = "update"  # partial_update() calls update()
            if label_action in cls.methods:
                out.append((method, cls.methods[label_action], f"{cls.name}.{label_action}"))
            else:
                out.append((method, None, cls.name))
        if not out:
            dispatch = self._find_method(facts, cls, "dispatch")
            if dispatch is not None:
                own = dispatch[1] is cls
                out.append(("*", dispatch[2] if own else None, f"{cls.name}.dispatch" if own else cls.name))
        return out

    def _is_drf(self, facts: FileFacts, cls: ClassFacts) -> bool:
        return any(isinstance(owner, str) and (_DRF_BASES.search(owner) and not owner.startswith("django."))
                   for _f, owner in self._mro(facts, cls))

    def _emit_action(self, site: Site, facts: FileFacts, cls: ClassFacts, action: str, methods: list[str],
                     path: str, mount: Mount, decorator: CallV | None = None) -> None:
        found = self._find_method(facts, cls, action)
        own = found is not None and found[1] is cls
        func = found[2] if own else None
        label = f"{cls.name}.{action}" if own else cls.name
        for method in methods:
            self._emit_method(site, facts, cls, func, label, [method], Mount(path, mount.wrappers), True, decorator)

    def _emit_method(self, site: Site, facts: FileFacts, cls: ClassFacts, func: FuncFacts | None, label: str,
                     methods: list[str], mount: Mount, is_drf: bool, action_decorator: CallV | None = None) -> None:
        self._begin()
        via: list[str] = []
        _, public_via = self._decorators_auth(facts, cls.decorators, cls.first_line)
        via.extend(self._class_mixins_auth(facts, cls))
        via.extend(self._wrappers_auth(mount))
        if func is not None:
            more, open_reason = self._decorators_auth(facts, func.decorators, func.first_line)
            via.extend(more)
            public_via = public_via or open_reason
            via.extend(self._inline(site, facts, func))
        via.extend(self._hooks_auth(site, facts, cls))
        if is_drf and not via:
            declared = None
            if action_decorator is not None and "permission_classes" in action_decorator.kwargs:
                declared = _items(action_decorator.kwargs["permission_classes"])
            reason, open_reason = self.permissions_auth(site, facts, declared, methods[0], cls)
            if reason:
                via.append(reason)
            else:
                public_via = public_via or open_reason
        self._emit(site, facts, func, cls, label, methods, mount, via, public_via, is_drf)

    def _emit(self, site: Site, facts: FileFacts, func: FuncFacts | None, cls: ClassFacts | None, label: str,
              methods: list[str], mount: Mount, via: list[str], public_via: str, is_drf: bool) -> None:
        path = "/" + mount.prefix.lstrip("/")
        ignored = bool(site.ignore_paths) and any(_path_matches(path, e) for e in site.ignore_paths if e)
        if site.login_middleware:
            middleware = site.login_middleware.rsplit(".", 1)[-1]
            settings_facts = site.settings
            if ignored:
                self._step("middleware", middleware, settings_facts, 0, "open", "path is in its ignore list")
            elif public_via:
                self._step("middleware", middleware, settings_facts, 0, "open", f"view exempt ({public_via})")
            else:
                self._step("middleware", middleware, settings_facts, 0, "authenticates", "in MIDDLEWARE")
                if not via:
                    via.append(f"{middleware} in MIDDLEWARE")
        for _mw_facts, check in site.middleware_checks:
            guard = ac.hook_rejects(check)
            exempt = [e for e in (guard.exempt if guard else []) if e.startswith("/")] + site.ignore_paths
            if any(_path_matches(path, e) for e in exempt if e):
                self._step("middleware", check.qualname, _mw_facts, check.line, "open", "exempts this path")
            elif public_via:
                self._step("middleware", check.qualname, _mw_facts, check.line, "open", "view marked public")
            else:
                self._step("middleware", check.qualname, _mw_facts, check.line, "authenticates",
                           f"rejects anonymous requests (line {guard.line if guard else check.line})")
                if not via:
                    via.append(f"middleware {check.qualname}")
        if public_via:
            self._step("marker", public_via, facts, func.line if func else (cls.line if cls else 0), "open",
                       "the view is public on purpose")
        route = Route(
            file=facts.path,
            line=func.line if func is not None else (cls.line if cls is not None else 0),
            first_line=func.first_line if func is not None else (cls.first_line if cls is not None else 0),
            function=label,
            methods=methods,
            path=_clean_path(path),
            framework="django",
            auth=bool(via),
            auth_via=via,
            handler=func,
            cls=cls,
            extra={"module": facts.module, "drf": is_drf, "site": site.urlconf.module},
        )
        if public_via and not via:
            route.public, route.public_via = True, public_via
        elif not via and func is not None and cls is None and ac.is_static_page(func):
            route.public, route.public_via = True, "renders a fixed template"
        seen: set[tuple[str, ...]] = set()
        for step in self._steps:
            key = (step.kind, step.name, step.file, str(step.line), step.verdict, step.reason)
            if key not in seen:
                seen.add(key)
                route.auth_trail.append(step)
        if not via and self._conditions:
            route.auth_condition = self._conditions[0]
        self.routes_out.append(route)

    # -- authentication ------------------------------------------------------------------------------

    def _decorators_auth(self, facts: FileFacts, decorators: list[Any], line: int | None = None) -> tuple[list[str], str]:
        """(how the decorators keep anonymous requests out, why they open the view on purpose); with
        `line` (the first decorator's line), each one examined is recorded in the route's trail."""
        via, public_via = [], ""
        for decorator in decorators:
            name = ac.decorator_name(decorator)
            short = name.rsplit(".", 1)[-1]
            at = decorator.line if isinstance(decorator, CallV) else (line or 0)
            if short == "method_decorator" and isinstance(decorator, CallV) and decorator.args:
                inner = decorator.args[0]
                for item in _items(inner) or [inner]:
                    more, open_ = self._decorators_auth(facts, [item], at if line is not None else None)
                    via.extend(more)
                    public_via = public_via or open_
                continue
            if ac.OPEN_DECORATOR_NAMES.match(short):
                public_via = f"@{name}"
                if line is not None:
                    self._step("decorator", f"@{name}", facts, at, "open", "marks the view public")
                continue
            reason = self.decorator_auth(facts, decorator)
            if reason:
                via.append(f"@{reason}")
            if line is not None and name:
                self._step("decorator", f"@{name}", facts, at, "authenticates" if reason else "open",
                           reason or "does not check who is calling")
        return via, public_via

    def _inline(self, site: Site, facts: FileFacts, func: FuncFacts) -> list[str]:
        """A check in the handler's own body (a settings-dependent one judged by the setting's value)."""
        for guard in ac.guards_of(func):
            if guard.top and guard.kind in ("rejects", "exits", "wraps"):
                gate, _reached = self._guard_gate(facts, func.line, guard.line)
                text = f"inline check of {guard.signal} (line {guard.line})"
                verdict = self._judge_gate(site, facts, gate, "inline", f"{func.name} body", guard.line, text)
                return [text + (f" ({verdict})" if gate else "")] if verdict is not None else []
        called = self._inline_call(facts, func)
        if called:
            self._step("inline", func.name, facts, func.line, "authenticates", called)
            return [called]
        refuses = "auth_status" in func.flags or any(c.func.endswith("Forbidden") for c in func.calls)
        line = gates.credential_check(self.registries.tree(facts), func.line) if refuses else 0
        if line:
            text = f"inline check of a request credential (line {line})"
            self._step("inline", f"{func.name} body", facts, line, "authenticates", f"{text} answers 401/403")
            return [text]
        return []

    def _judge_gate(self, site: Site, facts: FileFacts, gate: gates.Gate | None, kind: str, name: str, line: int,
                    text: str) -> str | None:
        """Record a check in the trail; None when it does not count (a setting that leaves it off, or one
        that cannot be told), else "" or the condition it counts under."""
        if gate is None:
            self._step(kind, name, facts, line, "authenticates", text)
            return ""
        value, told = self._setting_value(site, gate)
        wanted = "true" if gate.when_true else "false"
        if gates.is_unknown(value):
            condition = f"{gate.setting} is not {wanted}" if gate.from_settings else \
                f"{gate.setting} (runtime configuration) is not {wanted}"
            self._step(kind, name, facts, line, "conditional", f"{text}, only while {gate.setting} is {wanted}; "
                       f"its value is {told}")
            self._conditions.append(condition)
            return None
        if bool(value) == gate.when_true:
            self._step(kind, name, facts, line, "authenticates",
                       f"{text}, only while {gate.setting} is {wanted}; the project sets {told}")
            return f"while {gate.setting} is {wanted}"
        self._step(kind, name, facts, line, "open", f"{text}, but {gate.setting} is {told} in the project")
        return None

    def _guard_gate(self, facts: FileFacts, func_line: int, guard_line: int) -> tuple[gates.Gate | None, bool]:
        key = (facts.path, func_line, guard_line)
        if key not in self._gates:
            self._gates[key] = gates.guard_gate(self.registries.tree(facts), func_line, guard_line)
        return self._gates[key]

    def _bypass(self, facts: FileFacts, func_line: int) -> gates.Gate | None:
        key = (facts.path, func_line, 0)
        if key not in self._gates:
            self._gates[key] = gates.permission_bypass(self.registries.tree(facts), func_line)
        return self._gates[key]

    def _setting_value(self, site: Site, gate: gates.Gate) -> tuple[Any, str]:
        if not gate.from_settings or site.settings is None:
            return gates.literal_setting(None)
        value = self._setting(site.settings, gate.name)
        if value is None:
            return gates.literal_setting(Ref(f"(not set in {site.settings.path})"))
        return gates.literal_setting(value)

    def _hooks_auth(self, site: Site, facts: FileFacts, cls: ClassFacts) -> list[str]:
        """Checks in `dispatch` / `initial` of the view class and its project bases, down the
        `super().dispatch()` chain."""
        via: list[str] = []
        for hook in ("dispatch", "initial"):
            for owner_facts, owner in self._mro(facts, cls):
                if not isinstance(owner, ClassFacts) or hook not in owner.methods:
                    continue
                method = owner.methods[hook]
                name = f"{owner.name}.{hook}"
                more, _ = self._decorators_auth(owner_facts, method.decorators, method.first_line)
                via.extend(f"{hook}: {m}" for m in more)
                guard = ac.hook_rejects(method)
                counted = None
                if guard is not None:
                    gate, reached = self._guard_gate(owner_facts, method.line, guard.line)
                    if guard.top or reached:
                        text = f"inline check of {guard.signal} (line {guard.line})"
                        counted = self._judge_gate(site, owner_facts, gate, "hook", name, guard.line, text)
                        if counted is not None:
                            via.append(f"{name}: {text}" + (f" ({counted})" if counted else ""))
                if guard is None or counted is None and not self._conditions:
                    called = self._inline_call(owner_facts, method)
                    if called:
                        via.append(f"{name}: {called}")
                        self._step("hook", name, owner_facts, method.line, "authenticates", called)
                    elif guard is None:
                        self._step("hook", name, owner_facts, method.line, "open", "no check of the user")
                if via or not any(c.func == f"super().{hook}" for c in method.calls):
                    break
        return via

    def _own_auth(self, facts: FileFacts, func: FuncFacts) -> str:
        """How a function view protects itself: its decorators or an inline check."""
        via, _ = self._decorators_auth(facts, func.decorators)
        return "; ".join(via) or ac.inline_auth(func) or self._inline_call(facts, func)

    def decorator_auth(self, facts: FileFacts, decorator: Any) -> str:
        name = ac.decorator_name(decorator)
        if not name:
            return ""
        short = name.rsplit(".", 1)[-1]
        qualified = ac.qualify_name(self.project, facts, name)
        if self.project.is_auth_name(qualified, "decorator"):
            return f"{name} (configured in auth_decorators)"
        if short in ("csrf_exempt", "api_view", "action", "require_http_methods", "require_GET", "require_POST",
                     "permission_classes", "authentication_classes", "cache_page", "never_cache", "transaction"):
            return ""
        found = ac.resolve_name(self.project, facts, name)
        if found and found[1] in ("function", "class"):
            reason = ac.wrapper_checks(self.project, found[0], found[2]) if found[1] == "function" else \
                ac.decorator_class_checks(self.project, found[0], found[2])
            if reason or found[1] == "function" or not ac.AUTH_DECORATOR_NAMES.match(short):
                return f"{name} ({reason})" if reason else ""
        if ac.AUTH_DECORATOR_NAMES.match(short):
            return name
        return ""

    def _wrappers_auth(self, mount: Mount) -> list[str]:
        via = []
        for facts, wrapper in mount.wrappers:
            reason = self.decorator_auth(facts, wrapper)
            if reason:
                via.append(f"wrapped in {reason} in urls")
        return via

    def _inline_call(self, facts: FileFacts, func: FuncFacts) -> str:
        return ac.inline_call_auth(self.project, facts, func)

    def _class_mixins_auth(self, facts: FileFacts, cls: ClassFacts) -> list[str]:
        if id(cls) not in self._mixins:
            outer = self._steps
            self._steps = []
            via = self._class_mixins_auth_uncached(facts, cls)
            self._mixins[id(cls)] = (via, self._steps)
            self._steps = outer
        via, steps = self._mixins[id(cls)]
        self._steps.extend(steps)
        return list(via)

    def _class_mixins_auth_uncached(self, facts: FileFacts, cls: ClassFacts) -> list[str]:
        via = []
        for decorator in cls.decorators:
            more, _ = self._decorators_auth(facts, [decorator])
            via.extend(more)
        for owner_facts, owner in self._mro(facts, cls):
            if isinstance(owner, str):
                short = owner.rsplit(".", 1)[-1]
                if _AUTH_MIXINS.search(short) and not owner.startswith("rest_framework."):
                    via.append(f"mixin {short}")
                    self._step("mixin", owner, None, 0, "authenticates", "Django's access mixin rejects anonymous "
                               "requests")
            elif owner is not cls:
                for decorator in owner.decorators:
                    more, _ = self._decorators_auth(owner_facts, [decorator], owner.first_line)
                    via.extend(more)
                if owner.name.endswith("Mixin") and _AUTH_MIXINS.search(owner.name) and not via \
                        and "dispatch" not in owner.methods:
                    # a project mixin named for what it does, its check out of sight (a dispatch it
                    # defines is judged by what it does instead)
                    via.append(f"mixin {owner.name}")
                    self._step("mixin", owner.name, owner_facts, owner.line, "authenticates",
                               "a mixin named for the check it makes; its code does not show it")
        return list(dict.fromkeys(via))

    def permissions_auth(self, site: Site, facts: FileFacts, declared: list[Any] | None, method: str,
                         cls: ClassFacts | None) -> tuple[str, str]:
        """(how DRF permissions keep anonymous `method` requests out, or "", why the route is open on purpose)."""
        origin = "permission_classes"
        if declared is None and cls is not None:
            custom = self._find_method(facts, cls, "get_permissions")
            if custom is not None and any(c.func.endswith("super().get_permissions") for c in custom[2].calls):
                custom = None  # an override for some actions that defers to the class for the rest
            if custom is not None:
                names = [c.func for c in custom[2].calls] + [r for r in custom[2].reads]
                classes = [Ref(n) for n in names if n[:1].isupper() or "permissions." in n]
                if classes:
                    declared, origin, facts = classes, f"{cls.name}.get_permissions", custom[0]
            if declared is None:
                found = self._class_attr(facts, cls, "permission_classes")
                if found is not None:
                    facts, value = found
                    declared = _items(value) if isinstance(value, Seq) else [value]
        self._site = site
        if declared is None:
            if site.default_permissions is None:
                self._step("settings", "DEFAULT_PERMISSION_CLASSES", site.settings, 0, "open",
                           "not set: DRF allows any request")
                return "", ""
            declared, origin = site.default_permissions, "DEFAULT_PERMISSION_CLASSES"
        kind = "settings" if origin == "DEFAULT_PERMISSION_CLASSES" else "permission"
        where = site.settings if kind == "settings" else facts
        if not declared:
            self._step(kind, origin, where, 0, "open", "empty: DRF allows any request")
            return "", f"{origin} is empty"
        conditions_before = len(self._conditions)
        verdicts = [self._permission(facts, item, method) for item in declared]
        for item, (verdict, label) in zip(declared, verdicts):
            name = _const_str(item) or getattr(item, "name", "") or getattr(item, "func", "") or label
            self._step(kind, f"{origin}: {name}", where, 0,
                       {"auth": "authenticates", "conditional": "conditional"}.get(verdict, "open"),
                       f"{label} for {method}" if label else f"lets anonymous {method} requests through")
        requiring = [v for v in verdicts if v[0] == "auth"]
        if requiring:
            del self._conditions[conditions_before:]
            return f"{origin}: {requiring[0][1]}", ""
        opened = [v for v in verdicts if v[0] == "open"]
        if opened and len(opened) == len(verdicts):
            if origin != "DEFAULT_PERMISSION_CLASSES" and self._default_requires_auth(site, method):
                # opening one view against a project default that requires a user is what BC101 reviews
                return "", ""
            return "", f"{origin}: {opened[0][1]}"
        return "", ""

    def _default_requires_auth(self, site: Site, method: str) -> bool:
        if not site.default_permissions or site.settings is None:
            return False
        return any(self._permission(site.settings, item, method)[0] == "auth" for item in site.default_permissions)

    def _permission(self, facts: FileFacts, item: Any, method: str, depth: int = 0) -> tuple[str, str]:
        """("auth" | "open" | "", label) for one permission class and one HTTP method."""
        if isinstance(item, CallV):
            item = Ref(item.func)
        if isinstance(item, Other):
            # IsAdminUser | IsOwner: an `or` lets a request through when any side does
            parts = [self._permission(facts, Ref(n), method, depth + 1) for n in item.names if n[:1].isupper()
                     or "." in n]
            if parts and all(p[0] == "auth" for p in parts):
                return "auth", " | ".join(p[1] for p in parts)
            return ("open", parts[0][1]) if any(p[0] == "open" for p in parts) else ("", "")
        name = _const_str(item) or (item.name if isinstance(item, Ref) else "")
        if not name:
            return "", ""
        qualified = name if isinstance(item, Const) else ac.qualify_name(self.project, facts, name)
        short = qualified.rsplit(".", 1)[-1]
        if short in _OPEN_PERMISSIONS:
            return "open", short
        if short in _READ_ONLY_OPEN:
            return ("open", f"{short} (read-only for anonymous)") if method in _SAFE else ("auth", short)
        found = self.project.lookup(qualified) if depth < 4 else None
        if found and found[1] == "class":
            return self._custom_permission(found[0], found[2], method, depth)
        if re.search(r"(Authenticated|Admin|Staff|Superuser|Permission|Scope|APIKey|ApiKey|Token|Owner|Member|"
                     r"Role|Group|Auth)", short):
            return "auth", short
        return "", ""

    def _custom_permission(self, facts: FileFacts, cls: ClassFacts, method: str, depth: int) -> tuple[str, str]:
        found = self._find_method(facts, cls, "has_permission")
        gate = self._bypass(found[0], found[2].line) if found else None
        if found is not None and gate is not None and self._site is not None:
            # `if not settings.LOGIN_REQUIRED: return True`: the rest applies only while the setting holds
            value, told = self._setting_value(self._site, gate)
            wanted = "true" if gate.when_true else "false"
            if gates.is_unknown(value):
                self._conditions.append(f"{gate.setting} is not {wanted}")
                return "conditional", f"{cls.name} checks only while {gate.setting} is {wanted} ({told})"
            if bool(value) != gate.when_true:
                return "open", f"{cls.name} lets everyone through: {gate.setting} is {told}"
            verdict = self._custom_permission_body(found[2], cls, method)
            if verdict[0] == "auth":
                return "auth", f"{cls.name} (while {gate.setting} is {wanted}; the project sets {told})"
            return verdict
        if found is not None:
            return self._custom_permission_body(found[2], cls, method)
        if found is None:
            # inherits has_permission: from a library permission (judge it by name) or BasePermission (allows)
            for owner_facts, owner in self._mro(facts, cls):
                if isinstance(owner, str) and owner.rsplit(".", 1)[-1] not in ("BasePermission", "object"):
                    verdict = self._permission(owner_facts, Const(owner), method, depth + 1)
                    if verdict[0]:
                        return verdict[0], f"{cls.name} ({verdict[1]})"
            return "", ""
        return "", ""

    def _custom_permission_body(self, func: FuncFacts, cls: ClassFacts, method: str) -> tuple[str, str]:
        values = func.return_values
        if values and all(isinstance(v, Const) and v.value is True for v in values):
            return "open", f"{cls.name} allows everyone"
        reads_safe = any("SAFE_METHODS" in r or r.endswith("request.method") for r in func.reads)
        checks_user = any(re.search(r"(user|auth|token|key|perm|session)", r, re.IGNORECASE) for r in func.reads) or \
            ac.rejects_with_auth_status(func)
        if reads_safe and method in _SAFE:
            return "open", f"{cls.name} (read-only for anonymous)"
        if checks_user:
            return "auth", cls.name
        return "", ""


def _patterns_within(module: FileFacts, outer: CallV) -> list[CallV]:
    """The pattern calls written directly inside a call (`include([...])`), outermost only."""
    start, end = (outer.line, outer.col), (outer.end_line, outer.end_col)
    calls = [c for c in module.calls if c.func.rsplit(".", 1)[-1] in _PATTERN_FUNCS
             and start < (c.line, c.col) and (c.end_line, c.end_col) <= end]
    spans = [((c.line, c.col), (c.end_line, c.end_col)) for c in calls]
    return [c for c in calls if not any(s < (c.line, c.col) and (c.end_line, c.end_col) <= e for s, e in spans)]


def _top_level_patterns(module: FileFacts) -> list[CallV]:
    """Module-level `path`/`re_path`/`url` calls not nested inside another one."""
    calls = [c for c in module.calls if c.func.rsplit(".", 1)[-1] in _PATTERN_FUNCS]
    spans = [((c.line, c.col), (c.end_line, c.end_col)) for c in calls]
    out = []
    for call in calls:
        start, end = (call.line, call.col), (call.end_line, call.end_col)
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans):
            out.append(call)
    return out


def regex_to_path(pattern: str) -> str:
    """A readable route from a `re_path`/`url` regex: `^users/(?P<pk>\\d+)/?$` -> `users/<pk>/`."""
    text = pattern
    text = text.removeprefix("^")
    text = re.sub(r"(\$|\\Z)$", "", text)
    out, index = "", 0
    while index < len(text):
        if text.startswith("(?P<", index):
            end = text.find(">", index)
            name = text[index + 4: end]
            depth, cursor = 0, index
            while cursor < len(text):
                if text[cursor] == "\\":
                    cursor += 2
                    continue
                if text[cursor] == "(":
                    depth += 1
                elif text[cursor] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                cursor += 1
            out += f"<{name}>"
            index = cursor + 1
            continue
        out += text[index]
        index += 1
    out = out.removesuffix("/?")
    out = out.replace("/?", "/").replace("\\.", ".").replace("\\-", "-").replace("\\/", "/")
    return out


def _clean_path(path: str) -> str:
    return re.sub(r"/{2,}", "/", path) or "/"


def _path_matches(path: str, pattern: str) -> bool:
    if pattern.startswith("/"):
        return path == pattern or path.startswith(pattern.rstrip("/") + "/") or path.rstrip("/") == pattern.rstrip("/")
    try:
        return re.match(pattern, path.lstrip("/")) is not None or re.match(pattern, path) is not None
    except re.error:
        return False


def find_routes(project: Project) -> list[Route]:
    """Every Django and DRF route in the project."""
    index = DjangoIndex(project)
    sites = index.sites()
    for site in sites:
        index.walk_urlconf(site, site.urlconf, Mount(""))
    # URLconfs no settings module reaches (reusable apps, projects without settings in the tree)
    reached = {key.split("|", 1)[0] for key in index.visited_urlconfs}
    included = _included_modules(project)
    for facts in project.files.values():
        if facts.module in reached or "urlpatterns" not in facts.assigns or facts.module in included:
            continue
        if facts.path.split("/")[-1] not in ("urls.py", "__init__.py") and not facts.module.endswith("urls"):
            continue
        site = Site(settings=None, urlconf=facts, base="")
        index.walk_urlconf(site, facts, Mount(""))
    routes = _merge(index.routes_out)
    by_site: dict[str, list[Route]] = {}
    for route in routes:
        by_site.setdefault(route.extra["site"], []).append(route)
    authless = set()
    for site_name, site_routes in by_site.items():
        modules = {r.file: project.files[r.file] for r in site_routes if r.file in project.files}
        if ac.has_no_auth(site_routes, list(modules.values())):
            authless.add(site_name)
    ac.mark_authless(routes, authless, lambda r: {r.extra["site"]})
    return routes


def _included_modules(project: Project) -> set[str]:
    """Modules some `include("...")` names, so they are not walked again as their own roots."""
    names = set()
    for facts, call in project.all_calls():
        if call.func.rsplit(".", 1)[-1] == "include" and call.args:
            target = call.args[0]
            if isinstance(target, Seq) and target.items:
                target = target.items[0]
            name = _const_str(target)
            if name:
                module = project.module(name)
                if module is not None:
                    names.add(module.module)
    return names


def _merge(routes: list[Route]) -> list[Route]:
    """One route per handler, path and auth outcome: PUT and PATCH on the same `update` become one row."""
    merged: dict[tuple, Route] = {}
    for route in routes:
        if route.handler is None:
            key = (id(route),)  # a class answering through inherited handlers: one row per method
        else:
            key = (route.file, route.line, route.function, route.path, route.auth, route.public, tuple(route.auth_via))
        if key in merged:
            for method in route.methods:
                if method not in merged[key].methods:
                    merged[key].methods.append(method)
        else:
            merged[key] = route
    return list(merged.values())


__all__ = ["DjangoIndex", "find_routes", "regex_to_path"]
