"""URL patterns Django projects build at import time from a registry of views.

The shape: a decorator factory files each view it decorates into a module-level registry (keyed by a
model's app label and name, with a name, a path and a list/detail flag), and a function called from
urls.py (`include(get_model_urls("dcim", "site"))`) loops over the registry's entries for one key and
returns a `path()` for each. Registrations may also be made for every model of the project inside a
loop, under a condition on the model's class (`if issubclass(model, JournalingMixin): register(...)`).

The facts tell which functions have that shape; their syntax is then parsed again (a handful of
functions) and evaluated on the values the call sites pass, so each registered view gets the path the
running app would give it. What cannot be told statically stays symbolic (`{path}`).
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import Any

from backcheck.index import authcommon as ac
from backcheck.index.facts import CallV, ClassFacts, Const, FileFacts, FuncFacts, Map, Ref, Seq
from backcheck.index.project import Project

_PATTERN_FUNCS = {"path", "re_path", "url"}


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class ModelRef:
    """A model class passed to a registration, with the app label and model name Django gives it."""

    module: str
    name: str
    app_label: str

    @property
    def model_name(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class AnyModel:
    """The model of a registration made for every model; `attr` is the `_meta` attribute read from it."""

    attr: str = ""


@dataclass
class Entry:
    """One registered view: its registry key, its fields and the view it names."""

    key: tuple[Any, ...]
    fields: dict[str, Any]
    view: tuple[FileFacts, str, Any] | None
    facts: FileFacts  # where the registration is written
    line: int
    # for registrations made for every model: the base class the model must have ("" = any model)
    requires: str = ""


@dataclass
class _Registrar:
    facts: FileFacts
    qualified: str
    params: list[tuple[str, Any]]  # (name, default value)
    view_param: str
    root: str  # qualified name of the registry container
    key: list[ast.expr]
    entry: ast.Dict
    locals: dict[str, ast.expr]


@dataclass
class _Consumer:
    facts: FileFacts
    qualified: str
    params: list[tuple[str, Any]]
    root: str
    key: list[ast.expr]
    template: ast.expr
    loop_vars: set[str]
    filters: list[tuple[str, str]]  # (entry field, parameter) that must be equal
    locals: dict[str, ast.expr]


@dataclass
class Registered:
    """A URL pattern a registry consumer produces: the path piece and the view behind it."""

    piece: str
    view: tuple[FileFacts, str, Any]
    facts: FileFacts
    line: int
    reason: str = ""


@dataclass
class Registries:
    project: Project
    _built: bool = False
    _registrars: dict[str, _Registrar] = field(default_factory=dict)
    _consumers: dict[str, _Consumer] = field(default_factory=dict)
    _entries: dict[str, list[Entry]] = field(default_factory=dict)  # by registry root
    _trees: dict[str, ast.Module | None] = field(default_factory=dict)
    _models: dict[tuple[str, str], tuple[FileFacts, ClassFacts]] = field(default_factory=dict)
    _consumer_names: set[str] = field(default_factory=set)
    _keyed: dict[str, Any] = field(default_factory=dict)
    _bases: dict[tuple[int, str], bool] = field(default_factory=dict)

    # -- syntax --------------------------------------------------------------------------------------

    def tree(self, facts: FileFacts) -> ast.Module | None:
        if facts.path not in self._trees:
            try:
                with open(os.path.join(self.project.root, facts.path), encoding="utf-8") as handle:
                    self._trees[facts.path] = ast.parse(handle.read())
            except (OSError, SyntaxError, ValueError):
                self._trees[facts.path] = None
        return self._trees[facts.path]

    def function_node(self, facts: FileFacts, line: int) -> ast.FunctionDef | None:
        tree = self.tree(facts)
        if tree is None:
            return None
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno == line:
                return node  # type: ignore[return-value]
        return None

    def canonical(self, facts: FileFacts, name: str) -> str:
        """One spelling for a name however it is imported: where it is declared, or its qualified name."""
        found = resolve(self.project, facts, name)
        if found is not None and found[1] in ("function", "class", "assign"):
            return f"{found[0].path}:{name.rsplit('.', 1)[-1] if found[1] == 'assign' else found[2].name}"
        return ac.qualify_name(self.project, facts, name)

    # -- discovery -----------------------------------------------------------------------------------

    def build(self) -> None:
        if self._built:
            return
        self._built = True
        for facts in self.project.files.values():
            for qualname, wrapper in facts.nested.items():
                outer_name, _, inner = qualname.partition(".")
                outer = facts.functions.get(outer_name)
                if outer is None or "." in inner or outer.qualname != outer_name:
                    continue
                if _files_its_argument(wrapper) and any(
                    isinstance(v, Ref) and v.name == wrapper.name for v in outer.return_values
                ):
                    registrar = self._registrar(facts, outer, wrapper)
                    if registrar is not None:
                        self._registrars[registrar.qualified] = registrar
        if not self._registrars:
            return
        roots = {r.root for r in self._registrars.values()}
        for facts in self.project.files.values():
            for func in facts.functions.values():
                if func.qualname != func.name or not any(
                    c.func.rsplit(".", 1)[-1] in _PATTERN_FUNCS for c in func.calls
                ):
                    continue
                heads = {r.split(".")[0].split("[")[0] for r in func.reads}
                if any(self.canonical(facts, h) in roots for h in heads if h in facts.imports or h in facts.assigns):
                    consumer = self._consumer(facts, func, roots)
                    if consumer is not None:
                        self._consumers[consumer.qualified] = consumer
        self._consumer_names = {q.rsplit(":", 1)[-1] for q in self._consumers}
        self._collect_entries()

    def _registrar(self, facts: FileFacts, outer: FuncFacts, wrapper: FuncFacts) -> _Registrar | None:
        node = self.function_node(facts, outer.line)
        inner = self.function_node(facts, wrapper.line)
        if node is None or inner is None or len(inner.args.args) != 1:
            return None
        view_param = inner.args.args[0].arg
        for call in ast.walk(inner):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr in ("append", "add") and call.args and isinstance(call.args[0], ast.Dict)):
                continue
            entry = call.args[0]
            if not any(isinstance(v, ast.Name) and v.id == view_param for v in entry.values):
                continue
            root, key = _subscript_chain(call.func.value)
            if root is None:
                continue
            return _Registrar(
                facts=facts, qualified=f"{facts.path}:{outer.name}", params=_params(node),
                view_param=view_param, root=self.canonical(facts, root), key=key, entry=entry,
                locals={**_assignments(node), **_assignments(inner)},
            )
        return None

    def _consumer(self, facts: FileFacts, func: FuncFacts, roots: set[str]) -> _Consumer | None:
        node = self.function_node(facts, func.line)
        if node is None:
            return None
        key: list[ast.expr] | None = None
        root = ""
        template = None
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Subscript, ast.Call)) and key is None:
                name, chain = _subscript_chain(sub)
                if name and chain and self.canonical(facts, name) in roots:
                    key, root = chain, self.canonical(facts, name)
            if isinstance(sub, ast.Call) and template is None:
                callee = sub.func.id if isinstance(sub.func, ast.Name) else (
                    sub.func.attr if isinstance(sub.func, ast.Attribute) else "")
                if callee in _PATTERN_FUNCS and sub.args:
                    template = sub.args[0]
        if key is None or template is None:
            return None
        params = _params(node)
        names = {p for p, _ in params}
        filters = []
        for sub in ast.walk(node):
            # `view["detail"] == detail` keeps an entry; `!= detail` skips the others (same constraint)
            if isinstance(sub, ast.Compare) and len(sub.ops) == 1 and isinstance(sub.ops[0], (ast.Eq, ast.NotEq)):
                left, right = sub.left, sub.comparators[0]
                for a, b in ((left, right), (right, left)):
                    if isinstance(a, ast.Subscript) and isinstance(a.slice, ast.Constant) and \
                            isinstance(b, ast.Name) and b.id in names:
                        filters.append((str(a.slice.value), b.id))
        loop_vars = {t.id for sub in ast.walk(node) if isinstance(sub, (ast.For, ast.comprehension))
                     for t in [sub.target] if isinstance(t, ast.Name)}
        return _Consumer(facts=facts, qualified=f"{facts.path}:{func.name}", params=params, root=root,
                         key=key, template=template, loop_vars=loop_vars, filters=filters,
                         locals=_assignments(node))

    def _collect_entries(self) -> None:
        """Every call of a registrar: as a class decorator, or called then applied to a view."""
        registrars = self._registrars
        shorts = {q.rsplit(":", 1)[-1] for q in registrars}

        def registrar_of(facts: FileFacts, func: str) -> _Registrar | None:
            if func.rsplit(".", 1)[-1] not in shorts:
                return None
            return registrars.get(self.canonical(facts, func))

        for facts in self.project.files.values():
            for cls in facts.classes.values():
                for decorator in cls.decorators:
                    if isinstance(decorator, CallV):
                        registrar = registrar_of(facts, decorator.func)
                        if registrar is not None:
                            self._add(registrar, facts, decorator, (facts, "class", cls), None)
            lists = [facts.calls] + [f.calls for f in facts.all_functions()] + [f.calls for f in facts.nested.values()]
            for calls in lists:
                applied = {(c.line, c.col): c for c in calls if c.func.endswith("()") and c.args}
                for call in calls:
                    registrar = registrar_of(facts, call.func) if applied else None
                    if registrar is None:
                        continue
                    outer = applied.get((call.line, call.col))
                    if outer is None or outer.func != call.func + "()":
                        continue
                    self._add(registrar, facts, call, self._view_of(facts, outer.args[0]), outer)

    def _view_of(self, facts: FileFacts, value: Any) -> tuple[FileFacts, str, Any] | None:
        if isinstance(value, Const) and isinstance(value.value, str):
            return self.project.lookup(value.value)
        if isinstance(value, Ref):
            return resolve(self.project, facts, value.name)
        return None

    def _add(self, registrar: _Registrar, facts: FileFacts, call: CallV, view: Any, applied: CallV | None) -> None:
        env = self._bind(registrar.params, call, facts)
        requires = ""
        first = registrar.params[0][0] if registrar.params else ""
        if env.get(first) is UNKNOWN:
            if applied is None:
                return  # a decorator naming a model this index cannot find
            # a registration made inside a loop over models, perhaps only for models with some base
            env[first] = AnyModel()
            requires = self._required_base(facts, call)
        if view is None:
            return
        env[registrar.view_param] = view
        key = tuple(_evaluate(part, env, registrar.locals) for part in registrar.key)
        fields = {
            str(k.value): _evaluate(v, env, registrar.locals)
            for k, v in zip(registrar.entry.keys, registrar.entry.values)
            if isinstance(k, ast.Constant)
        }
        self._entries.setdefault(registrar.root, []).append(
            Entry(key=key, fields=fields, view=view, facts=facts, line=call.line, requires=requires)
        )

    def _required_base(self, facts: FileFacts, call: CallV) -> str:
        """The base class an `if issubclass(model, Base):` around a registration asks of the model."""
        tree = self.tree(facts)
        if tree is None:
            return ""
        best = ""
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and node.lineno < call.line <= (node.end_lineno or node.lineno):
                test = node.test
                if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "issubclass" \
                        and len(test.args) == 2 and call.line <= max(s.end_lineno or 0 for s in node.body):
                    base = _dotted(test.args[1])
                    if base:
                        best = self.project.qualify(facts, base)
        return best

    def _bind(self, params: list[tuple[str, Any]], call: CallV, facts: FileFacts) -> dict[str, Any]:
        env = {name: default for name, default in params}
        positional = [p for p, _ in params if not p.startswith("*")]
        for name, value in zip(positional, call.args):
            env[name] = self._value(facts, value)
        for name, value in call.kwargs.items():
            if name in env:
                env[name] = self._value(facts, value)
        return env

    def _value(self, facts: FileFacts, value: Any) -> Any:
        if isinstance(value, Const):
            return value.value
        if isinstance(value, Ref):
            found = resolve(self.project, facts, value.name)
            if found and found[1] == "class":
                return self.model_ref(found[0], found[2])
            if found and found[1] == "assign" and isinstance(found[2][0], Const):
                return found[2][0].value
        if isinstance(value, Map):
            return {}
        return UNKNOWN

    # -- models --------------------------------------------------------------------------------------

    def model_ref(self, facts: FileFacts, cls: ClassFacts) -> ModelRef:
        parts = facts.module.split(".")
        label = parts[parts.index("models") - 1] if "models" in parts[1:] else (
            parts[-2] if len(parts) > 1 else parts[0])
        return ModelRef(facts.module, cls.name, label)

    def model(self, app_label: str, model_name: str) -> tuple[FileFacts, ClassFacts] | None:
        if not self._models:
            for facts in self.project.files.values():
                parts = facts.module.split(".")
                if "models" not in parts[1:]:
                    continue
                for cls in facts.classes.values():
                    ref = self.model_ref(facts, cls)
                    self._models.setdefault((ref.app_label, ref.model_name), (facts, cls))
        return self._models.get((app_label, model_name))

    def has_base(self, model: tuple[FileFacts, ClassFacts], qualified: str) -> bool:
        key = (id(model[1]), qualified)
        if key not in self._bases:
            self._bases[key] = self._has_base(model, qualified)
        return self._bases[key]

    def _has_base(self, model: tuple[FileFacts, ClassFacts], qualified: str) -> bool:
        short = qualified.rsplit(".", 1)[-1]
        for owner_facts, owner in self.project.class_mro(*model):
            if isinstance(owner, ClassFacts):
                if owner.name == short and (f"{owner_facts.module}.{owner.name}" == qualified
                                            or self.project.lookup(qualified) == (owner_facts, "class", owner)):
                    return True
            elif owner == qualified:
                return True
        return False

    # -- expansion -----------------------------------------------------------------------------------

    def expand(self, facts: FileFacts, call: CallV) -> list[Registered] | None:
        """The URL patterns a registry consumer call returns, or None when the call is no consumer."""
        self.build()
        if not self._consumers:
            return None
        if call.func.rsplit(".", 1)[-1] not in self._consumer_names:
            return None
        consumer = self._consumers.get(self.canonical(facts, call.func))
        if consumer is None:
            return None
        env = self._bind(consumer.params, call, facts)
        want = tuple(_evaluate(part, env, consumer.locals) for part in consumer.key)
        out = []
        exact, general = self._by_key(consumer.root)
        for entry in exact.get(want, []) + general:
            if len(entry.key) != len(want) or not self._key_matches(entry, want):
                continue
            if any(entry.fields.get(f) != env.get(p) for f, p in consumer.filters):
                continue
            scope = dict(env)
            for var in consumer.loop_vars:
                scope[var] = entry.fields
            piece = _evaluate(consumer.template, scope, consumer.locals)
            if not isinstance(piece, str):
                piece = "{" + str(entry.fields.get("path", "path")) + "}/"
            view = entry.view
            if view is None:
                continue
            reason = f"registered by {entry.facts.path}:{entry.line}"
            out.append(Registered(piece=piece, view=view, facts=entry.facts, line=entry.line, reason=reason))
        return out

    def _by_key(self, root: str) -> tuple[dict[tuple[Any, ...], list[Entry]], list[Entry]]:
        """A registry's entries by their key, and those made for every model (matched one by one)."""
        if root not in self._keyed:
            exact: dict[tuple[Any, ...], list[Entry]] = {}
            general: list[Entry] = []
            for entry in self._entries.get(root, []):
                if any(isinstance(k, AnyModel) for k in entry.key):
                    general.append(entry)
                else:
                    try:
                        exact.setdefault(entry.key, []).append(entry)
                    except TypeError:
                        continue
            self._keyed[root] = (exact, general)
        return self._keyed[root]

    def _key_matches(self, entry: Entry, want: tuple[Any, ...]) -> bool:
        labels: dict[str, Any] = {}
        for have, asked in zip(entry.key, want):
            if isinstance(have, AnyModel):
                labels[have.attr] = asked
            elif have != asked:
                return False
        if not labels:
            return True
        if not entry.requires:
            return True
        app_label, model_name = labels.get("app_label"), labels.get("model_name")
        if not isinstance(app_label, str) or not isinstance(model_name, str):
            return False
        model = self.model(app_label, model_name)
        return model is not None and self.has_base(model, entry.requires)


# DRF SimpleRouter.routes: the list route, dynamic list routes (@action), the detail route, dynamic
# detail routes. None stands for a dynamic route (extra actions are read from the viewset itself).
_LIBRARY_ROUTES: list[tuple[bool, dict[str, str]] | None] = [
    (False, {"get": "list", "post": "create"}),
    None,
    (True, {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}),
    None,
]
DEFAULT_ROUTES: list[tuple[bool, dict[str, str]]] = [r for r in _LIBRARY_ROUTES if r is not None]
_ROUTER_LIBRARY = {"SimpleRouter", "DefaultRouter"}


@dataclass
class Routers:
    """Route tables of DRF router classes, project subclasses included (their `routes` list, what
    `__init__` adds to a route's mapping), and the API root view a DefaultRouter serves."""

    project: Project
    registries: Registries
    _tables: dict[str, list[tuple[bool, dict[str, str]]]] = field(default_factory=dict)

    def _router_class(self, facts: FileFacts, name: str) -> tuple[FileFacts, ClassFacts] | None:
        found = resolve(self.project, facts, name)
        return (found[0], found[2]) if found and found[1] == "class" else None

    def table(self, facts: FileFacts, ctor: str) -> list[tuple[bool, dict[str, str]]]:
        key = f"{facts.path}:{ctor}"
        if key not in self._tables:
            found = self._router_class(facts, ctor)
            routes = self._routes_of(*found) if found else list(_LIBRARY_ROUTES)
            self._tables[key] = [r for r in routes if r is not None]
        return self._tables[key]

    def _routes_of(self, facts: FileFacts, cls: ClassFacts, depth: int = 0) -> list[Any]:
        routes: list[Any] = list(_LIBRARY_ROUTES)
        if depth < 6:
            for base in cls.bases:
                found = self._router_class(facts, base)
                if found is not None:
                    routes = self._routes_of(*found, depth + 1)
                    break
        declared = cls.attrs.get("routes")
        if isinstance(declared, Seq):
            routes = [_route_entry(item) for item in declared.items]
        for method in cls.methods.values():
            if not any(r.startswith(("self.routes", "route")) for r in method.reads):
                continue  # only methods that touch the route templates
            node = self.registries.function_node(facts, method.line)
            if node is None:
                continue
            for index, updates in _mapping_updates(node):
                if 0 <= index < len(routes) and routes[index] is not None:
                    detail, mapping = routes[index]
                    routes[index] = (detail, {**mapping, **updates})
            for wanted, updates in _mapping_rebuilds(node):
                routes = [(r[0], {**r[1], **updates}) if r is not None and wanted in (None, r[0]) else r
                          for r in routes]
        return routes

    def root_view(self, facts: FileFacts, name: str, ctor: CallV) -> tuple[FileFacts, ClassFacts] | None:
        """The project view a DefaultRouter (or a subclass) serves at its root, if it is the project's."""
        include = ctor.kwargs.get("include_root_view")
        if isinstance(include, Const) and include.value is False:
            return None
        router_cls = self._router_class(facts, ctor.func)
        bases = [ctor.func]
        if router_cls is not None:
            bases = [o if isinstance(o, str) else o.name for _f, o in self.project.class_mro(*router_cls)]
        if not any(b.rsplit(".", 1)[-1] == "DefaultRouter" or b.rsplit(".", 1)[-1].endswith("DefaultRouter")
                   for b in bases):
            return None
        view: tuple[FileFacts, Any] | None = None
        for target, value, _line in facts.attr_assigns:
            if target == f"{name}.APIRootView" and isinstance(value, Ref):
                view = (facts, value)
        if view is None and router_cls is not None:
            for owner_facts, owner in self.project.class_mro(*router_cls):
                if isinstance(owner, ClassFacts) and isinstance(owner.attrs.get("APIRootView"), Ref):
                    view = (owner_facts, owner.attrs["APIRootView"])
                    break
        if view is None:
            return None
        found = resolve(self.project, view[0], view[1].name)
        return (found[0], found[2]) if found and found[1] == "class" else None


def _route_entry(item: Any) -> tuple[bool, dict[str, str]] | None:
    """One `Route(url=..., mapping={...})` of a router's `routes`; None for a DynamicRoute or the unknown."""
    if not isinstance(item, CallV) or item.func.rsplit(".", 1)[-1] != "Route":
        return None
    url = item.kwargs.get("url", item.args[0] if item.args else None)
    mapping = item.kwargs.get("mapping", item.args[1] if len(item.args) > 1 else None)
    if not isinstance(mapping, Map):
        return None
    table = {str(k.value): str(v.value) for k, v in zip(mapping.keys, mapping.values)
             if isinstance(k, Const) and isinstance(v, Const)}
    detail = item.kwargs.get("detail")
    is_detail = detail.value is True if isinstance(detail, Const) else (
        isinstance(url, Const) and "{lookup}" in str(url.value))
    return is_detail, table


def _mapping_updates(node: ast.FunctionDef) -> list[tuple[int, dict[str, str]]]:
    """`self.routes[0].mapping.update({...})` and `self.routes[0].mapping["put"] = "..."` in a method."""
    out = []
    for sub in ast.walk(node):
        target, updates = None, {}
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "update" \
                and sub.args and isinstance(sub.args[0], ast.Dict):
            target = sub.func.value
            updates = {k.value: v.value for k, v in zip(sub.args[0].keys, sub.args[0].values)
                       if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)}
        elif isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Subscript) \
                and isinstance(sub.targets[0].slice, ast.Constant) and isinstance(sub.value, ast.Constant):
            target = sub.targets[0].value
            updates = {sub.targets[0].slice.value: sub.value.value}
        if not (isinstance(target, ast.Attribute) and target.attr == "mapping"
                and isinstance(target.value, ast.Subscript) and isinstance(target.value.slice, ast.Constant)
                and isinstance(target.value.slice.value, int) and _dotted(target.value.value) == "self.routes"):
            continue
        out.append((target.value.slice.value, {str(k): str(v) for k, v in updates.items()}))
    return out


def _mapping_rebuilds(node: ast.FunctionDef) -> list[tuple[bool | None, dict[str, str]]]:
    """`route._replace(mapping={**route.mapping, "post": "run"}) if route.detail else route`: methods
    added to the detail routes (True), the list routes (False) or every route (None)."""
    out: list[tuple[bool | None, dict[str, str]]] = []
    seen: set[int] = set()
    for sub in ast.walk(node):
        choices: list[tuple[ast.AST, bool | None]] = []
        if isinstance(sub, ast.IfExp):
            detail = _reads_detail(sub.test)
            choices = [(sub.body, detail), (sub.orelse, None if detail is None else not detail)]
        elif isinstance(sub, ast.Dict):
            choices = [(sub, None)]
        for branch, detail in choices:
            for inner in ast.walk(branch):
                if not isinstance(inner, ast.Dict) or id(inner) in seen:
                    continue
                spread = any(k is None and isinstance(v, ast.Attribute) and v.attr == "mapping"
                             for k, v in zip(inner.keys, inner.values))
                if not spread:
                    continue
                seen.add(id(inner))
                updates = {str(k.value): str(v.value) for k, v in zip(inner.keys, inner.values)
                           if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)}
                if updates:
                    out.append((detail, updates))
    return out


def _reads_detail(test: ast.expr) -> bool | None:
    """True for a test on `route.detail`, False for `not route.detail`, None for anything else."""
    negated = False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, negated = test.operand, True
    if isinstance(test, ast.BoolOp):
        found = [_reads_detail(v) for v in test.values]
        found = [f for f in found if f is not None]
        return (found[0] != negated) if found else None
    if isinstance(test, ast.Attribute) and test.attr == "detail":
        return not negated
    return None


def resolve(project: Project, facts: FileFacts, name: str, depth: int = 0) -> tuple[FileFacts, str, Any] | None:
    """`authcommon.resolve_name`, also through star imports of star imports (`from .models import *`
    where models/__init__.py star-imports each submodule)."""
    found = ac.resolve_name(project, facts, name)
    if found is not None or depth > 3:
        return found
    head, _, rest = name.partition(".")
    if head in facts.imports:
        target = project.module(facts.imports[head])
        if target is not None and rest and target is not facts:
            return resolve(project, target, rest, depth + 1)
        return None
    for target in ac.star_targets(project, facts):
        found = resolve(project, target, name, depth + 1)
        if found is not None:
            return found
    return None


def loop_bindings(tree: ast.Module | None, line: int) -> list[dict[str, Any]]:
    """For a call at `line` inside `for a, b in [(x, y), ...]:` at module level (or over a module-level
    list of such tuples): the names bound on each turn, as summaries (Const for literals, Ref for names)."""
    if tree is None:
        return []
    lists = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign)
             for t in n.targets if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.For) or not node.lineno < line <= (node.end_lineno or node.lineno):
            continue
        iterable = node.iter
        if isinstance(iterable, ast.Name) and iterable.id in lists:
            iterable = lists[iterable.id]
        if not isinstance(iterable, (ast.List, ast.Tuple)):
            return []
        names = [node.target] if isinstance(node.target, ast.Name) else (
            list(node.target.elts) if isinstance(node.target, ast.Tuple) else [])
        turns = []
        for item in iterable.elts:
            values = [item] if len(names) == 1 else (list(item.elts) if isinstance(item, (ast.Tuple, ast.List))
                                                     else [])
            if len(values) != len(names) or not all(isinstance(n, ast.Name) for n in names):
                continue
            turns.append({n.id: _summary(v) for n, v in zip(names, values) if isinstance(n, ast.Name)})
        return turns
    return []


def _summary(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return Const(node.value)
    text = _dotted(node)
    return Ref(text) if text else None


def _files_its_argument(wrapper: FuncFacts) -> bool:
    """A one-argument function that appends a dict holding that argument somewhere (a registry)."""
    if len(wrapper.params) != 1:
        return False
    param = wrapper.params[0].name
    return any(
        call.func.endswith((".append", ".add")) and call.args and isinstance(call.args[0], Map)
        and any(isinstance(v, Ref) and v.name == param for v in call.args[0].values)
        for call in wrapper.calls
    )


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _subscript_chain(node: ast.expr) -> tuple[str | None, list[ast.expr]]:
    """`registry['views'][a][b]` -> ("registry", [Constant, Name a, Name b])."""
    keys: list[ast.expr] = []
    while True:
        if isinstance(node, ast.Subscript):
            keys.append(node.slice)
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args \
                and node.func.attr in ("get", "setdefault"):
            keys.append(node.args[0])  # registry[a].setdefault(b, []) reads the same place as [a][b]
            node = node.func.value
        else:
            break
    return _dotted(node), list(reversed(keys))


def _params(node: ast.FunctionDef) -> list[tuple[str, Any]]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[Any] = [UNKNOWN] * (len(positional) - len(args.defaults)) + [
        _literal(d) for d in args.defaults]
    out = [(a.arg, d) for a, d in zip(positional, defaults)]
    out += [(a.arg, _literal(d) if d is not None else UNKNOWN) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    return out


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return UNKNOWN


def _assignments(node: ast.AST) -> dict[str, ast.expr]:
    out: dict[str, ast.expr] = {}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Name):
            out[sub.targets[0].id] = sub.value
    return out


def _truth(value: Any) -> Any:
    if value is UNKNOWN or isinstance(value, AnyModel):
        return UNKNOWN
    return bool(value)


def _evaluate(node: ast.expr, env: dict[str, Any], local: dict[str, ast.expr], depth: int = 0) -> Any:
    """The value of a small expression over known names; UNKNOWN where it cannot be told."""
    if depth > 20:
        return UNKNOWN
    step = depth + 1
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        if node.id in local and local[node.id] is not node:
            return _evaluate(local[node.id], env, local, step)
        return UNKNOWN
    if isinstance(node, ast.Attribute):
        if node.attr in ("app_label", "model_name") and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "_meta":
            model = _evaluate(node.value.value, env, local, step)
            if isinstance(model, ModelRef):
                return model.app_label if node.attr == "app_label" else model.model_name
            if isinstance(model, AnyModel):
                return AnyModel(node.attr)
        return UNKNOWN
    if isinstance(node, ast.IfExp):
        test = _truth(_evaluate(node.test, env, local, step))
        if test is UNKNOWN:
            return UNKNOWN
        return _evaluate(node.body if test else node.orelse, env, local, step)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = _evaluate(node.left, env, local, step), _evaluate(node.comparators[0], env, local, step)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        op = node.ops[0]
        if isinstance(op, (ast.Is, ast.Eq)):
            return left is right if isinstance(op, ast.Is) else left == right
        if isinstance(op, (ast.IsNot, ast.NotEq)):
            return left is not right if isinstance(op, ast.IsNot) else left != right
        return UNKNOWN
    if isinstance(node, ast.BoolOp):
        values = [_evaluate(v, env, local, step) for v in node.values]
        for value in values[:-1]:
            truth = _truth(value)
            if truth is UNKNOWN:
                return UNKNOWN
            if truth == isinstance(node.op, ast.Or):
                return value
        return values[-1]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        truth = _truth(_evaluate(node.operand, env, local, step))
        return UNKNOWN if truth is UNKNOWN else not truth
    if isinstance(node, ast.JoinedStr):
        text = ""
        for part in node.values:
            if isinstance(part, ast.Constant):
                text += str(part.value)
            elif isinstance(part, ast.FormattedValue):
                value = _evaluate(part.value, env, local, step)
                text += value if isinstance(value, str) else "{" + (_dotted(part.value) or "...") + "}"
        return text
    if isinstance(node, ast.Subscript):
        base = _evaluate(node.value, env, local, step)
        key = _evaluate(node.slice, env, local, step)
        if isinstance(base, dict) and not isinstance(key, _Unknown):
            return base.get(key, UNKNOWN)
        return UNKNOWN
    if isinstance(node, ast.Dict):
        return {}
    return UNKNOWN


__all__ = ["DEFAULT_ROUTES", "UNKNOWN", "Registered", "Registries", "Routers", "loop_bindings", "resolve"]
