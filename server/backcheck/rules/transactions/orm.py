"""What a handler does to the database, read from the per-file facts: ORM writes, queries, commits and
transaction boundaries (SQLAlchemy / SQLModel / Flask-SQLAlchemy sessions, Django managers, querysets,
model instances, DRF serializers and forms, raw cursors, MongoDB collections), followed into the project's
own functions a few calls deep. Shared by the transaction, service-layer and audit rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from backcheck.index.facts import CallV, ClassFacts, Const, FileFacts, FuncFacts, Map, Ref, Seq
from backcheck.index.project import Project, Route

MAX_DEPTH = 2

# A receiver that is a SQLAlchemy session (or connection): `db`, `session`, `db.session`, `self.session`.
_SESSION = re.compile(r"(^|[._])(db|session|sess|db_session|dbsession|async_session|asession|conn|connection|"
                      r"uow|unit_of_work|tx)$", re.IGNORECASE)
_SA_WRITES = {"add", "add_all", "delete", "merge", "bulk_save_objects", "bulk_insert_mappings",
              "bulk_update_mappings"}
_SA_QUERIES = {"query", "get", "scalars", "scalar", "scalar_one", "get_one", "exec"}
_DJANGO_WRITES = {"create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "update", "delete"}
_DJANGO_QUERIES = {"get", "filter", "all", "exclude", "first", "last", "count", "exists", "values", "values_list",
                   "aggregate", "annotate", "order_by", "select_related", "prefetch_related", "in_bulk",
                   "iterator", "raw", "latest", "earliest", "distinct"}
_FSA_QUERY_END = {"all", "first", "one", "one_or_none", "get", "get_or_404", "first_or_404", "paginate",
                  "count", "scalar"}
_MONGO_WRITES = {"insert_one", "insert_many", "update_one", "update_many", "replace_one", "delete_one",
                 "delete_many", "find_one_and_update", "find_one_and_delete", "find_one_and_replace",
                 "bulk_write"}
_SQL_WRITE = re.compile(r"^\s*(insert|update|delete|merge|upsert|replace)\b", re.IGNORECASE)
_ATOMIC_TEXT = re.compile(r"(atomic|\.begin\b|begin\(|begin_nested|transaction|start_transaction)", re.IGNORECASE)
_SHORTCUT_QUERIES = {"get_object_or_404", "get_list_or_404"}


@dataclass(slots=True)
class Op:
    """One database operation on a handler's call path."""

    kind: str  # "write", "query", "commit" or "begin"
    orm: str  # "sqlalchemy", "django", "mongo", "form" (serializer/form save) or "raw"
    call: CallV
    file: str
    func: FuncFacts
    atomic: bool
    depth: int
    entity: str = ""

    @property
    def label(self) -> str:
        return f"{self.call.func.replace('()', '(...)').replace('[]', '[...]')}(...)"


def _strip(text: str) -> str:
    return text.replace("()", "").replace("[]", "")


def _sql_of(value: Any) -> str | None:
    if isinstance(value, Const) and isinstance(value.value, str):
        return value.value
    if isinstance(value, CallV) and value.func.rsplit(".", 1)[-1] == "text" and value.args:
        return _sql_of(value.args[0])
    return None


def classify(call: CallV, facts: FileFacts, project: Project | None = None) -> tuple[str, str, str] | None:
    """(kind, orm, entity) for a call that touches the database, else None."""
    func = call.func
    receiver, _, method = func.rpartition(".")
    plain_receiver = _strip(receiver)
    if not receiver:
        if func in _SHORTCUT_QUERIES:
            return "query", "django", _entity_arg(call)
        return None
    last_receiver = plain_receiver.rsplit(".", 1)[-1]
    # Django managers and querysets: Model.objects..., related managers (order.items / x_set)
    if ".objects" in f".{plain_receiver}" or plain_receiver.endswith("_set"):
        entity = plain_receiver.split(".objects")[0].rsplit(".", 1)[-1] if ".objects" in plain_receiver else ""
        if method in _DJANGO_WRITES:
            return "write", "django", entity
        if method in _DJANGO_QUERIES:
            return "query", "django", entity
        return None
    # Flask-SQLAlchemy legacy queries: Model.query.filter_by(...).delete()/update()/first()
    if ".query" in f".{plain_receiver}" and plain_receiver.split(".")[0][:1].isupper():
        entity = plain_receiver.split(".")[0]
        if method in ("delete", "update"):
            return "write", "sqlalchemy", entity
        if method in _FSA_QUERY_END:
            return "query", "sqlalchemy", entity
        return None
    head_part = plain_receiver.split(".query")[0]
    if "query()" in receiver and _SESSION.search(head_part):
        # session.query(Model).filter(...).delete() / .update({...}) / .first()
        if method in ("delete", "update"):
            return "write", "sqlalchemy", ""
        return None  # the `session.query(...)` call itself is counted as the query
    if _SESSION.search(plain_receiver) and "()" not in receiver.split(".")[-1]:
        if method in _SA_WRITES:
            return "write", "sqlalchemy", _entity_arg(call)
        if method == "execute" or method == "exec":
            statement = call.args[0] if call.args else None
            if isinstance(statement, CallV):
                head = _strip(statement.func).split(".")[0].rsplit(".", 1)[-1]
                if head in ("insert", "update", "delete"):
                    return "write", "sqlalchemy", _entity_arg(statement)
            sql = _sql_of(statement)
            if sql is not None and _SQL_WRITE.match(sql):
                return "write", "sqlalchemy", ""
            return "query", "sqlalchemy", ""
        if method == "commit":
            return "commit", "sqlalchemy", ""
        if method in ("begin", "begin_nested"):
            return "begin", "sqlalchemy", ""
        if method in _SA_QUERIES:
            return "query", "sqlalchemy", _entity_arg(call)
        return None
    if last_receiver in ("cursor", "cur", "c") and method in ("execute", "executemany"):
        sql = _sql_of(call.args[0]) if call.args else None
        if sql is not None and _SQL_WRITE.match(sql):
            return "write", "raw", ""
        return ("query", "raw", "") if sql is not None else None
    if method in _MONGO_WRITES:
        return "write", "mongo", last_receiver
    if method == "save":
        commit = call.kwargs.get("commit")
        if isinstance(commit, Const) and commit.value is False:
            return None
        if call.args:
            return None  # `file.save(path)`, `image.save(buffer)`: not the ORM
        if re.search(r"(serializer|form)$", last_receiver, re.IGNORECASE):
            return "write", "form", last_receiver
        return "write", "django", last_receiver
    if method == "delete" and not call.args and not call.kwargs and last_receiver not in ("session", "cache"):
        return "write", "django", last_receiver
    if method in ("create", "bulk_create", "insert", "insert_many") and project is not None \
            and plain_receiver[:1].isupper() and "." not in plain_receiver:
        found = project.resolve(facts, plain_receiver)
        if found and found[1] == "class" and any(
            re.search(r"(Model|Document|Table|Base)$", b) for b in found[2].bases
        ):
            return "write", "django" if method != "insert" else "raw", plain_receiver
    return None


_GETTERS = {"get", "get_or_404", "first_or_404", "first", "one", "scalar", "scalar_one", "get_one", "one_or_none"}


def _entity_arg(call: CallV, depth: int = 0) -> str:
    """The model a call names: `db.add(order)` -> "order", `insert(Order)` -> "Order",
    `db.delete(db.get(Project, 1))` -> "Project", `Post.query.get_or_404(1)` -> "Post"."""
    for arg in call.args[:1]:
        if isinstance(arg, Ref):
            return arg.name.rsplit(".", 1)[-1]
        if isinstance(arg, CallV) and depth < 3:
            receiver, _, method = arg.func.rpartition(".")
            if method in _GETTERS:
                head = _strip(receiver).split(".")[0]
                return _entity_arg(arg, depth + 1) if not head[:1].isupper() else head
            name = _strip(arg.func).rsplit(".", 1)[-1]
            return name if name[:1].isupper() else ""
    return ""


def _decorated_atomic(func: FuncFacts) -> bool:
    for decorator in func.decorators:
        name = decorator.name if isinstance(decorator, Ref) else decorator.func if isinstance(decorator, CallV) else ""
        if _ATOMIC_TEXT.search(name):
            return True
        if isinstance(decorator, CallV) and decorator.func.rsplit(".", 1)[-1] == "method_decorator":
            if any(isinstance(a, Ref) and _ATOMIC_TEXT.search(a.name) for a in decorator.args):
                return True
    return False


def class_atomic(cls: ClassFacts | None, method: str) -> bool:
    """`@method_decorator(transaction.atomic, name="post")` on a class-based view."""
    if cls is None:
        return False
    for decorator in cls.decorators:
        if isinstance(decorator, CallV) and decorator.func.rsplit(".", 1)[-1] == "method_decorator":
            if any(isinstance(a, Ref) and _ATOMIC_TEXT.search(a.name) for a in decorator.args):
                name = decorator.kwargs.get("name")
                if name is None or isinstance(name, Const) and name.value in (method, "dispatch"):
                    return True
    return False


def in_transaction(call: CallV) -> bool:
    return any(_ATOMIC_TEXT.search(text) for text in call.within)


class PathWalker:
    """Database operations reachable from functions, memoised per project."""

    def __init__(self, project: Project):
        self.project = project
        self._memo: dict[tuple[str, str, int], list[Op]] = {}

    def ops(self, facts: FileFacts, func: FuncFacts, cls: ClassFacts | None = None, depth: int = 0,
            atomic: bool = False, seen: frozenset = frozenset()) -> list[Op]:
        """Every database operation in `func` and the project functions it calls, in source order."""
        key = (facts.path, func.qualname, depth)
        if key in self._memo and not atomic:
            return self._memo[key]
        out: list[Op] = []
        atomic = atomic or _decorated_atomic(func)
        began = False
        for call in sorted(func.calls, key=lambda c: (c.line, c.col)):
            found = classify(call, facts, self.project)
            here_atomic = atomic or began or in_transaction(call)
            if found is not None:
                kind, orm, entity = found
                if kind == "begin":
                    began = True
                out.append(Op(kind, orm, call, facts.path, func, here_atomic, depth, entity))
                continue
            if depth >= MAX_DEPTH:
                continue
            target = self.callee(facts, func, cls, call)
            if target is None:
                continue
            callee_facts, callee, callee_cls = target
            ident = (callee_facts.path, callee.qualname)
            if ident in seen:
                continue
            out.extend(self.ops(callee_facts, callee, callee_cls, depth + 1, here_atomic, seen | {ident}))
        if not atomic:
            self._memo[key] = out
        return out

    def callee(self, facts: FileFacts, func: FuncFacts, cls: ClassFacts | None,
                call: CallV) -> tuple[FileFacts, FuncFacts, ClassFacts | None] | None:
        name = call.func
        if "()" in name or "[]" in name:
            return None
        if name.startswith("self.") and cls is not None and name.count(".") == 1:
            found = self.project.find_method(facts, cls, name[5:])
            return (found[0], found[2], found[1]) if found else None
        head = name.split(".", 1)[0]
        if head not in facts.imports and head not in facts.functions and head not in facts.classes:
            return None
        found = self.project.resolve(facts, name)
        if found and found[1] == "function":
            owner_cls = None
            if "." in found[2].qualname:
                owner_cls = found[0].classes.get(found[2].qualname.split(".")[0])
            return found[0], found[2], owner_cls
        return None

    def calls_any(self, facts: FileFacts, func: FuncFacts, cls: ClassFacts | None, wanted, depth: int = 0,
                  seen: frozenset = frozenset(), max_depth: int = MAX_DEPTH) -> bool:
        """Whether `func` or a project function it calls (`max_depth` levels down) makes a call `wanted(call)`
        accepts."""
        for call in func.calls:
            if wanted(call):
                return True
        if depth >= max_depth:
            return False
        for call in func.calls:
            target = self.callee(facts, func, cls, call)
            if target is None:
                continue
            ident = (target[0].path, target[1].qualname)
            if ident in seen:
                continue
            if self.calls_any(target[0], target[1], target[2], wanted, depth + 1, seen | {ident}, max_depth):
                return True
        return False


_WALKERS: WeakKeyDictionary[Project, PathWalker] = WeakKeyDictionary()


def walker_for(project: Project) -> PathWalker:
    """One walker per project model, so the rules that follow call paths share what they learnt."""
    walker = _WALKERS.get(project)
    if walker is None:
        walker = _WALKERS[project] = PathWalker(project)
    return walker


def handler_routes(project: Project) -> Iterator[tuple[Route, FileFacts, FuncFacts, ClassFacts | None]]:
    """Each route handler once (a handler mounted under several paths is reported once)."""
    seen: set[tuple[str, int]] = set()
    for route in project.routes:
        handler = route.handler
        if handler is None:
            continue
        key = (route.file, handler.line)
        if key in seen:
            continue
        seen.add(key)
        facts = project.files.get(route.file)
        if facts is None:
            continue
        cls = route.cls
        if cls is None and "." in handler.qualname:
            cls = facts.classes.get(handler.qualname.split(".")[0])
        yield route, facts, handler, cls


def atomic_requests(project: Project) -> bool:
    """Django's `ATOMIC_REQUESTS`: every view runs in a transaction."""
    for facts in project.files.values():
        if ("atomic_requests",) in facts.rule_data.get("BC301", ()):
            return True
        value = facts.assigns.get("DATABASES")
        if value is not None and _map_has_true(value[0], "ATOMIC_REQUESTS"):
            return True
    return False


def _map_has_true(value: Any, key: str, depth: int = 0) -> bool:
    if depth > 4:
        return False
    if isinstance(value, Map):
        for k, v in zip(value.keys, value.values):
            if isinstance(k, Const) and k.value == key and isinstance(v, Const) and v.value is True:
                return True
            if _map_has_true(v, key, depth + 1):
                return True
    if isinstance(value, CallV):
        return any(_map_has_true(v, key, depth + 1) for v in [*value.args, *value.kwargs.values()])
    if isinstance(value, Seq):
        return any(_map_has_true(v, key, depth + 1) for v in value.items)
    return False


def route_label(route: Route) -> str:
    methods = "/".join(m for m in route.methods if m != "*") or "ANY"
    return f"{methods} {route.path}"
