"""Per-file facts: a compact, picklable summary of what one module declares and calls.

Facts are what the cross-file project model and the project-level rules read, so the syntax tree can be
dropped after the single walk. Expressions are summarised into small value objects (`Ref`, `Const`,
`CallV`, ...) that keep just enough to resolve names, paths and dependency chains.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from typing import Any


# ---- expression summaries -------------------------------------------------------------------------


@dataclass(slots=True)
class Ref:
    """A name or attribute chain as written, e.g. `router`, `fastapi.Depends`, `db.query().all`."""

    name: str


@dataclass(slots=True)
class Const:
    """A literal constant (str, int, float, bool, None, bytes)."""

    value: Any


@dataclass(slots=True)
class FStr:
    """An f-string or string concatenation; `prefix` is its constant leading text, `parts` the names in it."""

    prefix: str
    names: list[str]
    # the whole text with each computed part as `{expr}`: f"{model}/<int:pk>/" -> "{model}/<int:pk>/"
    text: str = ""


@dataclass(slots=True)
class Seq:
    """A list, tuple or set display."""

    items: list[Any]


@dataclass(slots=True)
class Map:
    """A dict display; keys are summaries (None for `**spread`)."""

    keys: list[Any]
    values: list[Any]


@dataclass(slots=True)
class Sub:
    """A subscript such as `Annotated[User, Depends(f)]`."""

    value: Any
    index: Any


@dataclass(slots=True)
class CallV:
    """A call: the callee as a dotted chain plus summarised arguments and its position."""

    func: str
    args: list[Any]
    kwargs: dict[str, Any]
    line: int
    col: int
    end_line: int
    end_col: int
    # Texts of the `with` items enclosing the call inside its function, innermost last.
    within: tuple[str, ...] = ()


@dataclass(slots=True)
class Other:
    """Any other expression; `kind` is the ast class name and `names` the names it mentions."""

    kind: str
    names: list[str] = field(default_factory=list)


_intern = sys.intern


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for Name/Attribute chains; calls in the chain become `()`: `db.query(X).all` -> `db.query().all`."""
    kind = type(node)
    if kind is ast.Name:
        return node.id
    if kind is ast.Attribute and type(node.value) is ast.Name:
        return _intern(f"{node.value.id}.{node.attr}")
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        elif isinstance(node, ast.Call):
            parts.append("()")
            node = node.func
        elif isinstance(node, ast.Subscript):
            parts.append("[]")
            node = node.value
        else:
            return None
    out = ""
    for part in reversed(parts):
        if part in ("()", "[]"):
            out += part
        else:
            out = f"{out}.{part}" if out else part
    return _intern(out)


def names_in(node: ast.AST) -> list[str]:
    """Every Name id and dotted chain mentioned inside an expression (bounded)."""
    found: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Name, ast.Attribute)):
            text = dotted(sub)
            if text:
                found.append(text)
        if len(found) > 40:
            break
    return found


def template_text(node: ast.AST, depth: int = 0) -> str:
    """An f-string or `+` concatenation as text, each computed part written `{expr}`."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr) and depth < 4:
        return "".join(template_text(v, depth + 1) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return "{" + (dotted(node.value) or "...") + "}"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and depth < 8:
        return template_text(node.left, depth + 1) + template_text(node.right, depth + 1)
    return "{" + (dotted(node) or "...") + "}"


def summarize(node: ast.AST | None, depth: int = 0) -> Any:
    """A small picklable summary of an expression."""
    if node is None:
        return None
    if depth > 6:
        return Other(type(node).__name__)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, (str, int, float, bool, bytes)) or value is None:
            return _const(value)
        return Other("Constant")
    if isinstance(node, (ast.Name, ast.Attribute)):
        text = dotted(node)
        return Ref(text) if text else Other(type(node).__name__, names_in(node))
    if isinstance(node, ast.Call):
        return call_summary(node, depth)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return Seq([summarize(e, depth + 1) for e in node.elts[:64]])
    if isinstance(node, ast.Dict):
        return Map(
            [summarize(k, depth + 1) for k in node.keys[:64]],
            [summarize(v, depth + 1) for v in node.values[:64]],
        )
    if isinstance(node, ast.Subscript):
        return Sub(summarize(node.value, depth + 1), summarize(node.slice, depth + 1))
    if isinstance(node, ast.JoinedStr):
        prefix = ""
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                prefix += value.value
            else:
                break
        return FStr(prefix, names_in(node), template_text(node))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = summarize(node.left, depth + 1), summarize(node.right, depth + 1)
        if isinstance(left, Const) and isinstance(right, Const) and isinstance(left.value, str):
            return Const(left.value + str(right.value))
        prefix = left.value if isinstance(left, Const) and isinstance(left.value, str) else (
            left.prefix if isinstance(left, FStr) else ""
        )
        return FStr(prefix, names_in(node), template_text(node))
    if isinstance(node, ast.Starred):
        return summarize(node.value, depth + 1)
    return Other(type(node).__name__, names_in(node))


# Shared empties and interned constants keep a large project's facts small (treat them as read-only).
_NO_ARGS: list = []
_NO_KWARGS: dict = {}
_CONSTS: dict[tuple[type, Any], Const] = {}


def _const(value: Any) -> Const:
    if isinstance(value, (str, bytes)) and len(value) > 48:
        return Const(value)
    key = (type(value), value)
    known = _CONSTS.get(key)
    if known is None:
        if len(_CONSTS) > 50_000:
            _CONSTS.clear()
        known = _CONSTS[key] = Const(value)
    return known


# Summaries of the calls of the tree being walked, by node id, so a nested call is summarised once.
CALL_MEMO: dict[int, CallV] = {}


def call_summary(node: ast.Call, depth: int = 0, within: tuple[str, ...] = ()) -> CallV:
    known = CALL_MEMO.get(id(node))
    if known is not None:
        if within and not known.within:
            known.within = within
        return known
    func = dotted(node.func) or f"<{type(node.func).__name__}>"
    summary = CallV(
        func=func,
        args=[summarize(a, depth + 1) for a in node.args[:16]] if node.args else _NO_ARGS,
        kwargs={k.arg or "**": summarize(k.value, depth + 1) for k in node.keywords[:24]} if node.keywords else _NO_KWARGS,
        line=node.lineno,
        col=node.col_offset,
        end_line=node.end_lineno or node.lineno,
        end_col=node.end_col_offset or node.col_offset,
        within=within,
    )
    CALL_MEMO[id(node)] = summary
    return summary


# ---- declarations ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Guard:
    """A check near the top of a function of who is calling (see `index/authcommon.py`).

    kind: "rejects" (an anonymous request's branch leaves with a response or exception), "exits" (it
    leaves with a bare `return`), "wraps" (the authenticated branch holds the rest of the function),
    "call" (a bare call of an auth-looking function, e.g. `verify_jwt_in_request()`).
    """

    line: int
    signal: str  # what the check reads: "request.user.is_authenticated", "token", ...
    kind: str
    top: bool  # nothing before it can leave the function
    # constants and names an earlier or the same test compares with request.endpoint/path (hook exemptions)
    exempt: list[str] = field(default_factory=list)
    exempt_names: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Test:
    """An `if` test on the way to a statement: its source text, the names it reads, and whether the
    statement sits in the branch where the test is false (`else:`, or after `if test: return`)."""

    text: str
    names: list[str]
    negated: bool


@dataclass(slots=True)
class Param:
    name: str
    annotation: Any
    default: Any


@dataclass(slots=True)
class FuncFacts:
    """One function or method and what its body does."""

    name: str
    qualname: str
    line: int  # the `def` line
    col: int
    first_line: int  # the first decorator's line (or the def line)
    end_line: int
    is_async: bool
    decorators: list[Any]
    params: list[Param]
    returns: Any  # annotation summary or None
    calls: list[CallV] = field(default_factory=list)
    # Summaries of every `return` value.
    return_values: list[Any] = field(default_factory=list)
    # Exception constructors raised (`raise HTTPException(status_code=401)` -> its CallV).
    raises: list[Any] = field(default_factory=list)
    # Dotted names read anywhere in the body (attribute chains such as `request.user.is_authenticated`).
    reads: set[str] = field(default_factory=set)
    # Local names bound in the body to a summarised value (last binding wins).
    locals: dict[str, Any] = field(default_factory=dict)
    # Comparison against status codes 401/403 and similar cheap body signals.
    flags: set[str] = field(default_factory=set)
    # Authentication checks among the top-level statements (`if not request.user.is_authenticated: ...`).
    guards: list[Guard] = field(default_factory=list)
    # Each `raise` with the `if` tests that lead to it (outermost first): (tests, exception summary).
    raises_when: list[tuple[tuple[Test, ...], Any]] = field(default_factory=list)
    # Names, attributes and calls returned under `if` tests or as `a if test else b`: (tests, value).
    returns_when: list[tuple[tuple[Test, ...], Any]] = field(default_factory=list)
    # What the body does with the request as a decision tree (see `authcommon.gate_tree`); None when
    # trivial or too large.
    gate: Any = None
    # Loop variables: name -> (summary of the iterable, position in the unpacked target or -1).
    loops: dict[str, tuple[Any, int]] = field(default_factory=dict)
    # `try:` blocks: (first line, last line of the body, handlers), each handler as (the exception
    # names it catches, "" for a bare `except:`; whether its body raises anything).
    tries: list[tuple[int, int, tuple[tuple[tuple[str, ...], bool], ...]]] = field(default_factory=list)
    # Local names bound more than once: every binding in order, (name, the `if` tests around it, summary).
    rebinds: list[tuple[str, tuple[Test, ...], Any]] = field(default_factory=list)


@dataclass(slots=True)
class ClassFacts:
    name: str
    qualname: str
    line: int
    col: int
    first_line: int
    end_line: int
    bases: list[str]
    decorators: list[Any]
    attrs: dict[str, Any]
    methods: dict[str, FuncFacts]
    keywords: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class FileFacts:
    """Everything the project model needs from one file."""

    path: str  # path relative to the project root, with forward slashes
    module: str  # dotted module name from the root ("app.routers.users")
    is_package: bool
    # local name -> fully qualified imported name ("Depends" -> "fastapi.Depends")
    imports: dict[str, str]
    # module-level names bound to a value: name -> (summary, line)
    assigns: dict[str, tuple[Any, int]]
    functions: dict[str, FuncFacts]
    classes: dict[str, ClassFacts]
    # calls made at module level or inside functions that set the app up (include_router, register, ...)
    calls: list[CallV]
    # line numbers of comment-marked suppressions: line -> set of codes ("*" = all)
    suppressions: dict[int, set[str]]
    # `# backcheck: public` marker lines
    public_markers: set[int]
    lines: int
    downgraded: bool = False
    # Facts that individual rules store for their project-level pass: code -> picklable data.
    rule_data: dict[str, Any] = field(default_factory=dict)
    # Modules imported with `from module import *`, in order.
    star_imports: list[str] = field(default_factory=list)
    # Module-level augmented assignments `name += value`: (name, summary, line).
    extends: list[tuple[str, Any, int]] = field(default_factory=list)
    # Every function defined inside another function, by qualified name ("decorator.wrapper").
    nested: dict[str, FuncFacts] = field(default_factory=dict)
    # Module-level loop variables: name -> (summary of the iterable, position or -1).
    loops: dict[str, tuple[Any, int]] = field(default_factory=dict)
    # Module-level assignments to an attribute (`router.APIRootView = RootView`): (target, summary, line).
    attr_assigns: list[tuple[str, Any, int]] = field(default_factory=list)

    def all_functions(self):
        """Module functions, then methods of every class."""
        yield from self.functions.values()
        for cls in self.classes.values():
            yield from cls.methods.values()
