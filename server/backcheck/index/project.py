"""The cross-file project model: modules by name, name resolution through imports and re-exports, and
the routes every framework module finds, with how (and whether) each is authenticated."""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
import re
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterator

from backcheck.index.facts import CallV, ClassFacts, Const, FileFacts, FuncFacts, Ref

if TYPE_CHECKING:
    from backcheck.config import Settings

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(slots=True)
class AuthStep:
    """One authentication candidate examined for a route, and what backcheck concluded about it.

    A route's steps, in the order they were examined, explain its verdict. No framework index fills
    them yet; they are the data BC101's related information, hover and `routes --explain` are to show.
    """

    # "dependency", "decorator", "router", "include", "hook", "middleware", "mixin", "permission",
    # "settings", "inline" or "marker"
    kind: str
    name: str  # the candidate as written or qualified: "get_current_user", "IsAuthenticated", "app.before_request"
    file: str  # where it is declared or applied (project-relative); "" for a library name
    line: int  # 1-based; 0 when unknown
    verdict: str  # "authenticates", "conditional" or "open"
    reason: str  # why, in a few words: "raises HTTPException(401)", "only when settings.LOGIN_REQUIRED"


@dataclass(slots=True)
class Route:
    """One reachable handler: a function, or one HTTP method of a class-based view."""

    file: str
    line: int  # the def line (or class line for an inherited class-based method)
    first_line: int  # first decorator line
    function: str  # "name" or "Class.method" / "Class"
    methods: list[str]
    path: str
    framework: str
    auth: bool
    auth_via: list[str] = field(default_factory=list)
    public: bool = False
    public_via: str = ""
    # the handler's facts (None when the view is inherited from a library class)
    handler: FuncFacts | None = None
    cls: ClassFacts | None = None
    # extra framework facts rules may read (response_model, router name, url name ...)
    extra: dict[str, Any] = field(default_factory=dict)
    # every auth candidate examined, in order (see AuthStep)
    auth_trail: list[AuthStep] = field(default_factory=list)
    # when the only gate depends on a setting or on state: the condition that leaves the route open
    # (auth stays False; no index sets it yet)
    auth_condition: str = ""

    @property
    def auth_state(self) -> str:
        """"authenticated", "conditional" or "open"."""
        if self.auth:
            return "authenticated"
        return "conditional" if self.auth_condition else "open"

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "function": self.function,
            "methods": self.methods,
            "path": self.path,
            "framework": self.framework,
            "auth": self.auth,
            "auth_via": self.auth_via,
            "public": self.public,
            "auth_state": self.auth_state,
            **({"auth_condition": self.auth_condition} if self.auth_condition else {}),
            "auth_trail": [asdict(step) for step in self.auth_trail],
        }

    @property
    def is_write(self) -> bool:
        return bool(WRITE_METHODS.intersection(self.methods))


# Paths and handler names that are public by design: sign-in flows, landing pages, docs, health.
_PUBLIC_WORDS = re.compile(
    r"(^|[/_\-.])(login|log_in|logout|log_out|signin|sign_in|signout|signup|sign_up|register|registration|"
    r"create_user|create_account|new_user|new_account|"
    r"health\w*|"
    r"token|refresh|password[_\-]?(reset|recovery|forgot)|reset[_\-]?password|forgot|recover|"
    r"activate|verify[_\-]?email|confirm|callback|oauth|sso|health|healthz|livez|readyz|ping|status|"
    r"version|docs|redoc|swagger|openapi|robots|favicon|static|about|index|home|welcome)([/_\-.]|$)",
    re.I,
)


def looks_public(path: str, function: str) -> str:
    """Why a route reads as public by design, or "" when it does not."""
    stripped = path.strip("/")
    if stripped == "" or stripped in {"api", "api/v1"}:
        return "site root"
    for text in (path, function):
        match = _PUBLIC_WORDS.search(re.sub(r"[{}<>]", "/", text))
        if match:
            return f"{match.group(2).lower()} endpoint"
    return ""


class Project:
    """Every indexed file's facts, and the questions rules ask across files."""

    def __init__(self, root: str, settings: Settings, files: dict[str, FileFacts]):
        self.root = root
        self.settings = settings
        self.files = files
        self.modules: dict[str, FileFacts] = {}
        self._suffixes: dict[str, list[str]] = {}
        for facts in files.values():
            self.modules.setdefault(facts.module, facts)
            parts = facts.module.split(".")
            for start in range(1, len(parts)):
                self._suffixes.setdefault(".".join(parts[start:]), []).append(facts.module)

    # -- module and name resolution -----------------------------------------------------------------

    def module(self, name: str) -> FileFacts | None:
        """A project module by dotted name; also found by a suffix when the project lives in a subfolder."""
        if name in self.modules:
            return self.modules[name]
        candidates = self._suffixes.get(name)
        if candidates and len(candidates) == 1:
            return self.modules[candidates[0]]
        if candidates:
            return self.modules[min(candidates, key=len)]
        return None

    def qualify(self, facts: FileFacts, name: str) -> str:
        """The fully qualified name a dotted name refers to in a module (through its imports)."""
        head, _, rest = name.partition(".")
        if head in facts.imports:
            target = facts.imports[head]
            return f"{target}.{rest}" if rest else target
        if head in facts.functions or head in facts.classes or head in facts.assigns:
            return f"{facts.module}.{name}" if facts.module else name
        for star in getattr(facts, "star_imports", ()):  # `from .views import *` brings names in
            target = self.module(star)
            if target is not None and target is not facts and (
                head in target.imports or head in target.functions or head in target.classes or head in target.assigns
            ):
                return f"{target.module}.{name}"
        return name

    def lookup(self, qualified: str, depth: int = 0) -> tuple[FileFacts, str, Any] | None:
        """(module facts, kind, declaration) for a qualified name defined in the project.

        kind is "function", "class", "assign" or "module"; re-exports are followed.
        """
        if depth > 8 or not qualified:
            return None
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            facts = self.module(".".join(parts[:cut]))
            if facts is None:
                continue
            rest = parts[cut:]
            if not rest:
                return facts, "module", facts
            head = rest[0]
            if len(rest) == 1:
                if head in facts.functions:
                    return facts, "function", facts.functions[head]
                if head in facts.classes:
                    return facts, "class", facts.classes[head]
                if head in facts.assigns:
                    return facts, "assign", facts.assigns[head]
            elif head in facts.classes and len(rest) == 2:
                cls = facts.classes[head]
                if rest[1] in cls.methods:
                    return facts, "function", cls.methods[rest[1]]
            if head in facts.imports:
                target = facts.imports[head]
                tail = ".".join(rest[1:])
                return self.lookup(f"{target}.{tail}" if tail else target, depth + 1)
            for star in getattr(facts, "star_imports", ()):  # re-exported by `from .x import *`
                found = self.lookup(f"{star}.{'.'.join(rest)}", depth + 1)
                if found is not None:
                    return found
            return None
        return None

    def resolve(self, facts: FileFacts, name: str) -> tuple[FileFacts, str, Any] | None:
        """Resolve a dotted name as written in `facts`' module."""
        return self.lookup(self.qualify(facts, name))

    def class_mro(self, facts: FileFacts, cls: ClassFacts, depth: int = 0) -> Iterator[tuple[FileFacts, ClassFacts | str]]:
        """The class, then its bases: project classes as (facts, ClassFacts), library ones as (facts, qualified name)."""
        yield facts, cls
        if depth > 10:
            return
        for base in cls.bases:
            if not base:
                continue
            found = self.resolve(facts, base)
            if found and found[1] == "class":
                yield from self.class_mro(found[0], found[2], depth + 1)
            else:
                yield facts, self.qualify(facts, base)

    def find_method(self, facts: FileFacts, cls: ClassFacts, name: str) -> tuple[FileFacts, ClassFacts, FuncFacts] | None:
        """A method defined on the class or a project base class."""
        for owner_facts, owner in self.class_mro(facts, cls):
            if isinstance(owner, ClassFacts) and name in owner.methods:
                return owner_facts, owner, owner.methods[name]
        return None

    def class_attr(self, facts: FileFacts, cls: ClassFacts, name: str) -> tuple[FileFacts, Any] | None:
        """A class attribute from the class or a project base class."""
        for owner_facts, owner in self.class_mro(facts, cls):
            if isinstance(owner, ClassFacts) and name in owner.attrs:
                return owner_facts, owner.attrs[name]
        return None

    def static_str(self, facts: FileFacts, value: Any, depth: int = 0) -> str | None:
        """The string a summary stands for when it is known statically: a literal, a module constant, a
        settings attribute (`settings.API_V1_STR` on a pydantic Settings instance), an f-string of those."""
        if depth > 8 or value is None:
            return None
        if isinstance(value, Const):
            return value.value if isinstance(value.value, str) else None
        if isinstance(value, Ref):
            qualified = self.qualify(facts, value.name)
            found = self.lookup(qualified)
            if found and found[1] == "assign":
                return self.static_str(found[0], found[2][0], depth + 1)
            # `instance.ATTR` where instance = SomeClass(): the class attribute's default
            owner, _, attr = qualified.rpartition(".")
            holder = self.lookup(owner) if owner else None
            if holder and holder[1] == "assign" and isinstance(holder[2][0], CallV):
                cls = self.resolve(holder[0], holder[2][0].func)
                if cls and cls[1] == "class":
                    found_attr = self.class_attr(cls[0], cls[2], attr)
                    if found_attr:
                        raw = found_attr[1]
                        raw = raw[2] if isinstance(raw, tuple) and raw and raw[0] == "annotated" else raw
                        return self.static_str(found_attr[0], raw, depth + 1)
            if holder and holder[1] == "class":
                found_attr = self.class_attr(holder[0], holder[2], attr)
                if found_attr:
                    raw = found_attr[1]
                    raw = raw[2] if isinstance(raw, tuple) and raw and raw[0] == "annotated" else raw
                    return self.static_str(found_attr[0], raw, depth + 1)
        return None

    def all_calls(self) -> Iterator[tuple[FileFacts, CallV]]:
        """Every call in the project (module level and inside functions)."""
        for facts in self.files.values():
            for call in facts.calls:
                yield facts, call
            for func in facts.all_functions():
                for call in func.calls:
                    yield facts, call

    # -- routes --------------------------------------------------------------------------------------

    @cached_property
    def routes(self) -> list[Route]:
        """Every route every framework module finds, with public-by-config applied."""
        routes: list[Route] = []
        for module in framework_modules():
            routes.extend(module.find_routes(self))
        for route in routes:
            self._apply_public(route)
        routes.sort(key=lambda r: (r.file, r.line, r.methods))
        return routes

    def _apply_public(self, route: Route) -> None:
        facts = self.files.get(route.file)
        if facts and any(route.first_line <= line <= route.line for line in facts.public_markers):
            route.public, route.public_via = True, "# backcheck: public"
            return
        for pattern in self.settings.public:
            if fnmatch.fnmatchcase(route.path, pattern) or fnmatch.fnmatchcase(route.path.rstrip("/"), pattern.rstrip("/")):
                route.public, route.public_via = True, f"public = {pattern!r}"
                return

    def routes_in(self, path: str) -> list[Route]:
        return [r for r in self.routes if r.file == path]

    def is_auth_name(self, qualified: str, kind: str) -> bool:
        """Whether a configured auth dependency/decorator name matches a qualified name."""
        names = self.settings.auth_dependencies if kind == "dependency" else self.settings.auth_decorators
        short = qualified.rsplit(".", 1)[-1]
        return any(n == qualified or n == short or qualified.endswith("." + n) for n in names)


def framework_modules() -> list[Any]:
    """Every module in backcheck.index that exposes `find_routes(project)`: one framework a module."""
    import backcheck.index as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if hasattr(module, "find_routes"):
            found.append(module)
    return found


def ref_name(value: Any) -> str | None:
    """The dotted name of a Ref summary, else None."""
    return value.name if isinstance(value, Ref) else None
