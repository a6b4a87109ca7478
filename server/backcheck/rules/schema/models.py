"""The project's ORM models, read from the per-file facts: SQLAlchemy declarative classes (2.0 `Mapped[]`
columns, classic `Column`, Flask-SQLAlchemy `db.Model`, `declarative_base()`), SQLModel tables and Django
models, with their columns and relationships; and what type an expression in a function has when it is
a model instance or a query over one. Shared by the exposure, pagination and schema rules."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from backcheck.index.facts import (
    CallV,
    ClassFacts,
    Const,
    FileFacts,
    FuncFacts,
    Other,
    Ref,
    Seq,
    Sub,
)
from backcheck.index.project import Project

_SA_COLUMNS = {"Column", "mapped_column", "column_property", "deferred", "synonym", "query_expression"}
_SA_RELATIONS = {"relationship", "relation", "dynamic_loader"}
_SA_BASES = {"DeclarativeBase", "DeclarativeBaseNoMeta", "AsyncAttrs"}
_DJANGO_AUTH_BASES = {"AbstractUser", "AbstractBaseUser", "User"}
_DJANGO_RELATIONS = {"ForeignKey", "OneToOneField", "ManyToManyField"}
_MANY = {"list", "List", "set", "Set", "Sequence", "Iterable", "Collection", "tuple", "Tuple", "DynamicMapped",
         "WriteOnlyMapped", "AppenderQuery"}
_USER_NAMES = re.compile(r"^(user|users|account|accounts|member|customer|appuser|customuser|person|profile)$", re.IGNORECASE)


@dataclass
class Model:
    """One ORM model class."""

    facts: FileFacts
    cls: ClassFacts
    kind: str  # "sqlalchemy", "sqlmodel" or "django"
    # column / field name -> its declaration summary (inherited ones included)
    fields: dict[str, Any] = field(default_factory=dict)
    # relationship name -> (target class name as written, whether it holds many objects)
    relations: dict[str, tuple[str, bool]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.cls.name


def _short(name: str) -> str:
    return name.replace("()", "").replace("[]", "").rsplit(".", 1)[-1]


def _unquote(value: Any) -> str:
    if isinstance(value, Const) and isinstance(value.value, str):
        return value.value.strip().strip("'\"").rsplit(".", 1)[-1]
    if isinstance(value, Ref):
        return value.name.rsplit(".", 1)[-1]
    return ""


def annotation_target(annotation: Any) -> tuple[str, bool] | None:
    """(class name, many) an annotation names: `Mapped[list["Order"]]`, `Optional[User]`, `User | None`."""
    if annotation is None:
        return None
    if isinstance(annotation, (Ref, Const)):
        name = _unquote(annotation)
        return (name, False) if name and name not in ("None", "Any") else None
    if isinstance(annotation, Sub):
        base = _short(annotation.value.name) if isinstance(annotation.value, Ref) else ""
        items = annotation.index.items if isinstance(annotation.index, Seq) else [annotation.index]
        if base in ("Mapped", "Optional", "Annotated", "Union", "ClassVar", "Type", "type"):
            for item in items:
                found = annotation_target(item)
                if found:
                    return found
            return None
        if base in _MANY:
            found = annotation_target(items[0]) if items else None
            return (found[0], True) if found else None
        return None
    if isinstance(annotation, Other) and annotation.kind == "BinOp":  # `User | None`
        for name in annotation.names:
            if name not in ("None",):
                return name.rsplit(".", 1)[-1], False
    return None


class Models:
    """Every ORM model of a project, found once per project model."""

    def __init__(self, project: Project):
        self.project = project
        self.by_key: dict[tuple[str, str], Model] = {}
        self.by_name: dict[str, list[Model]] = {}
        self._kind_memo: dict[tuple[str, str], str | None] = {}
        memo = _FileModels.of(project)
        for facts in project.files.values():
            if not facts.classes:
                continue
            for model in memo.models(self, facts):
                self.by_key[(facts.path, model.cls.name)] = model
                self.by_name.setdefault(model.cls.name, []).append(model)

    # -- discovery -----------------------------------------------------------------------------------

    def _kind(self, facts: FileFacts, cls: ClassFacts) -> str | None:
        key = (facts.path, cls.qualname)
        if key in self._kind_memo:
            return self._kind_memo[key]
        self._kind_memo[key] = None
        kind = None
        for owner_facts, owner in self.project.class_mro(facts, cls):
            if isinstance(owner, ClassFacts):
                if owner is not cls and (owner_facts.path, owner.qualname) in self._kind_memo:
                    kind = self._kind_memo[(owner_facts.path, owner.qualname)] or kind
                if "__tablename__" in owner.attrs or "__table__" in owner.attrs:
                    kind = kind or "sqlalchemy"
                if any(_short(getattr(d, "func", getattr(d, "name", ""))) in ("as_declarative", "mapped")
                       for d in owner.decorators):
                    kind = kind or "sqlalchemy"
                continue
            kind = self._library_kind(owner) or kind
            if kind:
                break
        if kind == "sqlmodel":
            table = cls.keywords.get("table")
            if not (isinstance(table, Const) and table.value is True):
                kind = None
        self._kind_memo[key] = kind
        return kind

    def _library_kind(self, qualified: str) -> str | None:
        last = qualified.rsplit(".", 1)[-1]
        if qualified.startswith("django.") and (last == "Model" or last in _DJANGO_AUTH_BASES):
            return "django"
        if qualified.startswith("sqlmodel") and last == "SQLModel":
            return "sqlmodel"
        if qualified.startswith("sqlalchemy") and (last in _SA_BASES or "declarative" in qualified):
            return "sqlalchemy"
        found = self.project.lookup(qualified)
        if found and found[1] == "assign" and isinstance(found[2][0], CallV):
            func = found[2][0].func
            if "declarative_base" in func or func.endswith("generate_base"):
                return "sqlalchemy"
        if last == "Model":
            holder = self.project.lookup(qualified.rpartition(".")[0])
            if holder and holder[1] == "assign" and isinstance(holder[2][0], CallV) and \
                    _short(holder[2][0].func) == "SQLAlchemy":
                return "sqlalchemy"
            if qualified.split(".")[0] == "db" or qualified.endswith(".db.Model"):
                return "sqlalchemy"
        return None

    def _build(self, facts: FileFacts, cls: ClassFacts) -> Model | None:
        kind = self._kind(facts, cls)
        if kind is None:
            return None
        model = Model(facts, cls, kind)
        chain = [o for _f, o in self.project.class_mro(facts, cls)]
        for owner in reversed(chain):
            if isinstance(owner, str):
                if kind == "django" and owner.rsplit(".", 1)[-1] in _DJANGO_AUTH_BASES:
                    for name in ("password", "last_login", "username", "email", "is_staff", "is_superuser"):
                        model.fields.setdefault(name, CallV("models.CharField", [], {}, cls.line, 0, cls.line, 0))
                continue
            for name, value in owner.attrs.items():
                self._add_field(model, name, value)
        abstract = cls.attrs.get("__abstract__")
        if kind == "sqlalchemy" and (not model.fields and not model.relations or
                                     isinstance(abstract, Const) and abstract.value is True):
            return None  # the declarative base itself, or an abstract base
        for name, (target, many) in list(model.relations.items()):
            if many and f"{name}_id" in model.fields:
                model.relations[name] = (target, False)  # a many-to-one next to its foreign key column
        return model

    def _add_field(self, model: Model, name: str, value: Any) -> None:
        if name.startswith("__") or isinstance(value, ClassFacts):
            return
        annotation = None
        if isinstance(value, tuple) and value and value[0] == "annotated":
            _tag, annotation, value = value
        func = _short(value.func) if isinstance(value, CallV) else ""
        if model.kind == "django":
            if func.endswith("Field") or func in _DJANGO_RELATIONS or func == "GenericForeignKey":
                model.fields[name] = value
                if func in _DJANGO_RELATIONS and value.args:
                    model.relations[name] = (_unquote(value.args[0]), func == "ManyToManyField")
            return
        if func in _SA_RELATIONS or func == "Relationship" or func == "association_proxy":
            target = annotation_target(annotation)
            if target is None and isinstance(value, CallV) and value.args:
                uselist = value.kwargs.get("uselist")
                target = (_unquote(value.args[0]), not (isinstance(uselist, Const) and uselist.value is False))
            model.relations[name] = target or ("", True)
            return
        if func in _SA_COLUMNS or func == "Field":
            model.fields[name] = value
            return
        if annotation is not None:
            base = _short(annotation.value.name) if isinstance(annotation, Sub) and isinstance(annotation.value, Ref) \
                else ""
            if base != "ClassVar" and (model.kind == "sqlmodel" or base == "Mapped"):
                model.fields[name] = value if value is not None else annotation

    # -- questions -----------------------------------------------------------------------------------

    def model_named(self, facts: FileFacts | None, name: str) -> Model | None:
        """The model a class name refers to (through imports from `facts`, else by its bare name)."""
        if not name:
            return None
        if facts is not None:
            found = self.project.resolve(facts, name)
            if found and found[1] == "class":
                return self.by_key.get((found[0].path, found[2].name))
        candidates = self.by_name.get(name.rsplit(".", 1)[-1]) or []
        for model in candidates:
            if model.facts is facts:
                return model
        return candidates[0] if candidates else None

    def relation_target(self, model: Model, attr: str) -> tuple[Model, bool] | None:
        relation = model.relations.get(attr)
        if relation is None:
            return None
        target = self.model_named(model.facts, relation[0])
        return (target, relation[1]) if target is not None else None

    def user_model(self) -> Model | None:
        """The project's account model: a Django AbstractUser subclass, else a SQLAlchemy/SQLModel model named
        like one (None for a Django project on the built-in `auth.User`)."""
        for model in self.by_key.values():
            if model.kind == "django" and any(isinstance(o, str) and o.rsplit(".", 1)[-1] in _DJANGO_AUTH_BASES
                                              for _f, o in self.project.class_mro(model.facts, model.cls)):
                return model
        for model in self.by_key.values():
            if model.kind != "django" and _USER_NAMES.match(model.name):
                return model
        return None

    def all(self) -> Iterable[Model]:
        return self.by_key.values()


class _Recorder(Project):
    """A view of a project that notes every module its name lookups consult (shares the project's maps)."""

    def __init__(self, project: Project):
        self.__dict__.update(project.__dict__)  # shares the project's maps instead of rebuilding them
        self.seen: dict[str, FileFacts] = {}

    def module(self, name: str) -> FileFacts | None:
        found = Project.module(self, name)
        if found is not None:
            self.seen[found.path] = found
        return found


class _FileModels:
    """Each file's models, kept across project models while no file they were read from has changed.

    An edit re-indexes a file into a new FileFacts object, so an entry is current while the file and every
    module its classes' bases were resolved through are the very same objects, and no module was added or
    removed (which could make a failed lookup succeed)."""

    _BY_ROOT: ClassVar[dict[str, _FileModels]] = {}

    def __init__(self) -> None:
        self.shape: frozenset[tuple[str, str]] = frozenset()
        # path -> (facts, models, {path: facts consulted})
        self.entries: dict[str, tuple[FileFacts, list[Model], dict[str, FileFacts]]] = {}

    @classmethod
    def of(cls, project: Project) -> _FileModels:
        memo = cls._BY_ROOT.pop(project.root, None) or cls()
        if len(cls._BY_ROOT) >= 4:
            cls._BY_ROOT.pop(next(iter(cls._BY_ROOT)))  # keep only the roots used most recently
        cls._BY_ROOT[project.root] = memo
        shape = frozenset((name, facts.path) for name, facts in project.modules.items())
        if shape != memo.shape:
            memo.shape, memo.entries = shape, {}
        elif len(memo.entries) > len(project.files):
            memo.entries = {p: e for p, e in memo.entries.items() if p in project.files}
        return memo

    def models(self, models: Models, facts: FileFacts) -> list[Model]:
        files = models.project.files
        entry = self.entries.get(facts.path)
        if entry is not None and entry[0] is facts and all(files.get(p) is f for p, f in entry[2].items()):
            return entry[1]
        recorder = _Recorder(models.project)
        recorder.seen[facts.path] = facts
        found: list[Model] = []
        real, models.project = models.project, recorder
        models._kind_memo = {}  # each file's kinds from its own walks, the same whichever files are rebuilt
        try:
            for cls in facts.classes.values():
                model = models._build(facts, cls)
                if model is not None:
                    found.append(model)
        finally:
            models.project = real
        self.entries[facts.path] = (facts, found, recorder.seen)
        return found


_CACHE: weakref.WeakKeyDictionary[Project, Models] = weakref.WeakKeyDictionary()


def models_of(project: Project) -> Models:
    """The models of a project, computed once per project model."""
    found = _CACHE.get(project)
    if found is None:
        found = _CACHE[project] = Models(project)
    return found


# Names that hold the signed-in user in each framework.
_CURRENT_USER = {"current_user", "request.user", "g.user", "self.request.user", "g.current_user"}
_GETTERS = {"get", "get_one", "get_or_404", "get_object_or_404", "first_or_404", "one_or_404", "get_object"}


def value_model(project: Project, models: Models, facts: FileFacts, func: FuncFacts, value: Any,
                depth: int = 0) -> tuple[Model | None, bool, str] | None:
    """(model, many, how) when a value in `func` is a model instance or a collection of them.

    model is None for Django's built-in user (request.user without a custom user model)."""
    from backcheck.rules.api.queries import classify

    if value is None or depth > 4:
        return None
    if isinstance(value, Ref):
        name = value.name
        if name in func.locals:
            return value_model(project, models, facts, func, func.locals[name], depth + 1)
        head, _, attr = name.rpartition(".")
        if head:
            owner = value_model(project, models, facts, func, Ref(head), depth + 1)
            if owner is not None and owner[0] is not None and not owner[1]:
                target = models.relation_target(owner[0], attr)
                if target is not None:
                    return target[0], target[1], f"{name}, a relationship"
            if name in _CURRENT_USER:
                return _current_user(models, name)
            return None
        for param in func.params:
            if param.name == name and param.annotation is not None:
                target = annotation_target(param.annotation)
                model = models.model_named(facts, target[0]) if target else None
                return (model, target[1], name) if model is not None else None
        if name in _CURRENT_USER:
            return _current_user(models, name)
        return None
    if not isinstance(value, CallV):
        return None
    query = classify(project, models, facts, func, value)
    if query is not None and query.model is not None:
        return query.model, query.many, f"{value.func.replace('()', '(...)')}()"
    method = _short(value.func)
    if method in _GETTERS and value.args and isinstance(value.args[0], Ref):
        model = models.model_named(facts, value.args[0].name)
        if model is not None:
            return model, False, f"{value.func}({value.args[0].name}, ...)"
    if method in ("list", "sorted") and value.args:
        inner = value_model(project, models, facts, func, value.args[0], depth + 1)
        return (inner[0], True, inner[2]) if inner else None
    if "()" in value.func or "[]" in value.func:
        return None
    found = project.resolve(facts, value.func) if value.func.split(".")[0] in facts.imports or \
        value.func.split(".")[0] in facts.functions else None
    if found and found[1] == "function":
        callee_facts, callee = found[0], found[2]
        target = annotation_target(callee.returns)
        if target:
            model = models.model_named(callee_facts, target[0])
            if model is not None:
                return model, target[1], f"{value.func}()"
        if callee.returns is None:
            for returned_value in callee.return_values[:3]:
                inner = value_model(project, models, callee_facts, callee, returned_value, depth + 1)
                if inner is not None:
                    return inner[0], inner[1], f"{value.func}()"
    elif found and found[1] == "class":
        model = models.by_key.get((found[0].path, found[2].name))
        if model is not None:
            return model, False, f"{value.func}(...)"
    return None


def _current_user(models: Models, name: str) -> tuple[Model | None, bool, str] | None:
    model = models.user_model()
    if model is not None:
        return model, False, name
    if name.startswith(("request.", "self.request.")) and any(m.kind == "django" for m in models.all()):
        return None, False, name  # Django's built-in auth.User
    return None
