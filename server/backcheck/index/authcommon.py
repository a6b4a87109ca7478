"""Authentication checks written in code, shared by the Flask and Django modules.

Two halves. `find_guards` runs during the single walk (from `walk.py`) and summarises the `if` statements
near the top of a function that test who is calling (`request.user.is_authenticated`, `current_user`,
a token, the `Authorization` header, a session key) into `Guard` facts: which branch an anonymous
request takes and whether that branch leaves the function. The rest are project-level helpers the
framework modules share: deciding whether a decorator, hook or handler body authenticates, and
resolving names through star imports.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backcheck.index.facts import CallV, Const, FileFacts, FuncFacts, Guard, Ref, dotted

if TYPE_CHECKING:
    from backcheck.index.project import Project

# Names that say "who is calling": login state, tokens, keys, permissions.
_SIGNAL = re.compile(
    r"(is_authenticated|is_anonymous|is_staff|is_superuser|is_admin\b|current_identity|logged_in|is_logged|"
    r"(?<!csrf_)(?<!csrf)token|jwt|(^|[._])auth(?!or)|api_?key|apikey|bearer|credential|has_perm|has_role|"
    r"permission|authenticat)",
    re.IGNORECASE,
)
# The calling user object itself: `current_user`, `request.user`, `g.user`, `session["user_id"]`.
_USER_OBJECT = re.compile(r"(^(current_user|current_identity)|\.(current_user|user|user_id|current_identity))$")
# What a check may read off the user object and still be about who is calling.
_USER_ATTRS = re.compile(r"^(is_\w+|has_\w+|roles?|id|pk|groups|permissions|username|get_id)$")
# Verbs of calls that check the caller when made on their own at the top of a function.
_CHECK_CALL = re.compile(r"(verify|check|require|ensure|assert|validate|authenticat|authori[sz]e|login_required|"
                         r"jwt_required|protect)", re.IGNORECASE)
# Header, cookie and session keys that carry credentials.
_CREDENTIAL_KEY = re.compile(r"(authori[sz]ation|token|api[-_]?key|auth|session|user|logged|jwt|bearer|login)", re.IGNORECASE)
# Containers read through a string key: headers, cookies, the session.
_KEYED = re.compile(r"(^|\.)(headers|cookies|COOKIES|META|session|environ)(\.get)?$")
# Request attributes a hook compares with constants to exempt some endpoints.
_ENDPOINT = re.compile(r"request\.(endpoint|path|url_rule|blueprint|url|full_path|path_info|base_url|method)")
# Calls that end the request when they return (abort raises, sys.exit ...).
_ABORTS = {"abort", "abort_json", "exit", "raise_for_status"}
_MAX_STATEMENTS = 16


# ---- during the walk ------------------------------------------------------------------------------


def find_guards(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Guard]:
    """The authentication checks among a function's top-level statements (see `Guard`)."""
    body = list(func.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    guards: list[Guard] = []
    _scan(body, {}, guards, [], [], [])
    return guards


def _scan(stmts: list[ast.stmt], local: dict[str, ast.expr], guards: list[Guard], before: list[ast.stmt],
          exempt: list[str], exempt_names: list[str]) -> None:
    """Walk statements in order, recording guards; `before` collects the statements already passed."""

    def top() -> bool:
        return not any(_can_exit(s) for s in before)

    for index, stmt in enumerate(stmts[:_MAX_STATEMENTS]):
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    local[target.id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            local[stmt.target.id] = stmt.value
        elif isinstance(stmt, ast.If):
            signal = _signal(stmt.test, local)
            if signal:
                negated = _negated(stmt.test, local)
                kind = None if negated is None else _classify(stmt, negated, stmts[index + 1:])
                if kind:
                    guards.append(Guard(stmt.lineno, signal, kind, top(), [*exempt, *_endpoint_consts(stmt.test)],
                                        [*exempt_names, *_endpoint_names(stmt.test)]))
            elif _bare_return(stmt.body) and _reads_endpoint(stmt.test):
                # `if request.endpoint in ("login", "static"): return` exempts those endpoints
                exempt.extend(_str_consts(stmt.test))
                exempt_names.extend(_endpoint_names(stmt.test))
                continue
        elif isinstance(stmt, ast.Try):
            callee = _auth_call_in(stmt.body)
            if callee and stmt.handlers and all(_terminates(h.body) for h in stmt.handlers):
                guards.append(Guard(stmt.lineno, callee, "rejects", top(), list(exempt), list(exempt_names)))
            # a body wrapped whole in `try:` is read as if it were the body
            _scan(stmt.body, local, guards, before, exempt, exempt_names)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            callee = dotted(stmt.value.func) or ""
            short = callee.rsplit(".", 1)[-1]
            if _CHECK_CALL.search(short) and (_SIGNAL.search(callee) or re.search(r"(login|user|role)", short)):
                guards.append(Guard(stmt.lineno, callee, "call", top(), list(exempt), list(exempt_names)))
        before.append(stmt)


# Callables a wrapper or middleware hands the request on to.
_THROUGH = re.compile(r"(^|\.)(get_response|call_next|next|f|fn|func|function|view|view_func|wrapped|handler|"
                      r"callback|original|inner|dispatch|__call__)$")


def _passes_through(stmts: list[ast.stmt]) -> bool:
    """Whether statements end by calling on to the wrapped view (`return self.get_response(request)`)."""
    last = stmts[-1]
    if isinstance(last, ast.Return) and isinstance(last.value, (ast.Call, ast.Await)):
        call = last.value.value if isinstance(last.value, ast.Await) else last.value
        if isinstance(call, ast.Call):
            return bool(_THROUGH.search(dotted(call.func) or ""))
    if isinstance(last, ast.If):
        return _passes_through(last.body) or (bool(last.orelse) and _passes_through(last.orelse))
    return False


def _bare_return(stmts: list[ast.stmt]) -> bool:
    """`return` / `return None` alone: a hook letting the request through untouched."""
    if len(stmts) != 1 or not isinstance(stmts[0], ast.Return):
        return False
    value = stmts[0].value
    return value is None or isinstance(value, ast.Constant) and value.value is None


def _classify(stmt: ast.If, negated: bool, rest: list[ast.stmt]) -> str | None:
    """How the `if` keeps anonymous requests out: "rejects", "exits", "wraps" or not at all (None)."""
    anonymous = stmt.body if negated else stmt.orelse
    if not negated and len(stmt.body) == 1 and _is_redirect(stmt.body[0]):
        # signed-in users are sent elsewhere: a login or landing page everyone else sees, unless
        # everyone else is sent away too (`if is_admin(): redirect(dashboard)` / `redirect(login)`)
        if not stmt.orelse and len(rest) == 1 and _is_rejection(rest[0], strict=True):
            return "rejects"
        return None
    if _terminates(anonymous):
        if _passes_through(anonymous):
            return None  # middleware or a wrapper handing anonymous requests on to the view
        return "rejects" if _exit_has_value(anonymous) else "exits"
    if negated:
        return None
    # the authenticated branch holds the logic: nothing substantial may follow the `if`
    if len(stmt.orelse) > 2 or any(isinstance(s, (ast.For, ast.While, ast.With, ast.Try)) for s in stmt.orelse):
        return None
    if not rest:
        return "wraps"
    if len(rest) == 1 and _is_rejection(rest[0]):
        return "rejects" if _terminates(stmt.body) and _exit_has_value(rest) else "wraps"
    return None


def _is_redirect(stmt: ast.stmt) -> bool:
    value = stmt.value if isinstance(stmt, ast.Return) else None
    if not isinstance(value, ast.Call):
        return False
    return "redirect" in (dotted(value.func) or "").lower()


def _is_rejection(stmt: ast.stmt, strict: bool = False) -> bool:
    """A statement that turns the caller away: raise, abort, a redirect, a 401/403 or an error message."""
    if isinstance(stmt, ast.Raise):
        return True
    value = stmt.value if isinstance(stmt, (ast.Return, ast.Expr)) else None
    if isinstance(stmt, ast.Return) and (value is None or isinstance(value, ast.Constant) and value.value is None):
        return not strict
    if value is None:
        return False
    for node in ast.walk(value):
        if isinstance(node, ast.Call):
            short = (dotted(node.func) or "").rsplit(".", 1)[-1]
            if short in _ABORTS or re.search(r"(redirect|Forbidden|Unauthori[sz]ed|PermissionDenied|to_login)", short,
                                             re.IGNORECASE):
                return True
        elif isinstance(node, ast.Constant):
            if node.value in (401, 403) and not isinstance(node.value, bool):
                return True
            if not strict and isinstance(node.value, str) and re.search(
                r"(unauthori[sz]ed|not authenticated|not logged in|forbidden|denied|log ?in (first|required))",
                node.value, re.IGNORECASE,
            ):
                return True
    return False


def _terminates(stmts: list[ast.stmt]) -> bool:
    """Whether every path through the statements leaves the function (return, raise, abort)."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        return (dotted(last.value.func) or "").rsplit(".", 1)[-1] in _ABORTS
    if isinstance(last, ast.If):
        return _terminates(last.body) and _terminates(last.orelse)
    if isinstance(last, ast.Try):
        return _terminates(last.body) and all(_terminates(h.body) for h in last.handlers)
    if isinstance(last, (ast.With, ast.AsyncWith)):
        return _terminates(last.body)
    return False


def _exit_has_value(stmts: list[ast.stmt]) -> bool:
    """Whether the way the statements leave gives the caller something (not a bare `return`)."""
    last = stmts[-1]
    if isinstance(last, ast.Return):
        return last.value is not None and not (isinstance(last.value, ast.Constant) and last.value.value is None)
    if isinstance(last, ast.If):
        return _exit_has_value(last.body) or (bool(last.orelse) and _exit_has_value(last.orelse))
    if isinstance(last, ast.Try):
        return _exit_has_value(last.body)
    if isinstance(last, (ast.With, ast.AsyncWith)):
        return _exit_has_value(last.body)
    return True


def _can_exit(stmt: ast.stmt) -> bool:
    """Whether a statement holds a `return` or `raise` (nested functions and classes aside)."""
    stack: list[Any] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Return, ast.Raise)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            stack.extend(getattr(node, name, None) or ())
        for handler in getattr(node, "handlers", None) or ():
            stack.extend(handler.body)
        for case in getattr(node, "cases", None) or ():
            stack.extend(case.body)
    return False


def _signal(test: ast.expr, local: dict[str, ast.expr], depth: int = 0) -> str:
    """The name in a test that says who is calling, or "" when the test is about something else."""
    nodes = list(ast.walk(test))
    inner_chains = {id(n.value) for n in nodes if isinstance(n, ast.Attribute)}
    for node in nodes:
        if isinstance(node, (ast.Name, ast.Attribute)):
            if id(node) in inner_chains:
                continue  # only whole chains: `current_user.get_tasks` is not `current_user`
            name = dotted(node) or ""
            if not name:
                continue
            found = name if _name_signal(name) else ""
            value = local.get(node.id) if isinstance(node, ast.Name) else None
            if not found and value is not None and depth < 2 and isinstance(
                value, (ast.Call, ast.Attribute, ast.Name, ast.Subscript)
            ):
                inner = _signal(_head(value), local, depth + 1)
                found = f"{node.id} <- {inner}" if inner else ""
            if found and value is not None and _from_body(value, local):
                continue  # a sign-in form checking the credentials it was sent
            if found:
                return found
        elif isinstance(node, ast.Call):
            callee = dotted(node.func) or ""
            if _KEYED.search(callee) and _credential_key(node.args[:1]):
                return f"{callee}({_credential_key(node.args[:1])!r})"
        elif isinstance(node, ast.Subscript):
            container = dotted(node.value) or ""
            if _KEYED.search(container) and _credential_key([node.slice]):
                return f"{container}[{_credential_key([node.slice])!r}]"
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            container = dotted(node.comparators[-1]) or ""
            if _KEYED.search(container) and _credential_key([node.left]):
                return f"{_credential_key([node.left])!r} in {container}"
    return ""


_BODY = re.compile(r"^request\.(form|json|get_json|data|POST|body|values|files|get_data)")


def _from_body(value: ast.expr, local: dict[str, ast.expr], depth: int = 0) -> bool:
    """Whether a value is computed from the submitted request body: a sign-in form checking its own input."""
    for node in ast.walk(value):
        if isinstance(node, (ast.Attribute, ast.Name)):
            name = dotted(node) or ""
            if _BODY.match(name):
                return True
            inner = local.get(node.id) if depth < 3 and isinstance(node, ast.Name) else None
            if inner is not None and inner is not value and _from_body(inner, local, depth + 1):
                return True
    return False


def _name_signal(name: str) -> bool:
    """Whether a dotted name read in a test is about who is calling."""
    if _ENDPOINT.search(name):
        return False
    if _SIGNAL.search(name):
        return True
    if _USER_OBJECT.search(name):
        return True
    owner, _, attr = name.rpartition(".")
    return bool(owner and _USER_OBJECT.search(owner) and _USER_ATTRS.match(attr))


def _head(value: ast.expr) -> ast.expr:
    """The part of a local's value that decides what it holds: the callee of a call, not its arguments."""
    while isinstance(value, ast.Call):
        callee = dotted(value.func) or ""
        if _KEYED.search(callee):
            return value
        value = value.func
    return value


def _credential_key(nodes: Iterable[ast.AST]) -> str:
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _CREDENTIAL_KEY.search(node.value):
            return node.value
    return ""


def _negated(test: ast.expr, local: dict[str, ast.expr]) -> bool | None:
    """True when the test holds for an anonymous request, False when it holds for an authenticated one."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _negated(test.operand, local)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        found = {_negated(v, local) for v in test.values if _signal(v, local)}
        return found.pop() if len(found) == 1 else None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, left, right = test.ops[0], test.left, test.comparators[0]
        empty = any(isinstance(s, ast.Constant) and (s.value is None or s.value is False) for s in (left, right))
        truth = any(isinstance(s, ast.Constant) and s.value is True for s in (left, right))
        if isinstance(op, (ast.Is, ast.Eq)):
            return empty
        if isinstance(op, (ast.IsNot, ast.NotEq)):
            return not (empty or truth)
        if isinstance(op, ast.NotIn):
            return True
        if isinstance(op, ast.In):
            return False
        return None
    return isinstance(test, ast.Attribute) and test.attr == "is_anonymous"


def _auth_call_in(stmts: list[ast.stmt]) -> str:
    """A call in a `try:` body that decodes or verifies a credential (`jwt.decode(token)`)."""
    for stmt in stmts[:6]:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                callee = dotted(node.func) or ""
                short = callee.rsplit(".", 1)[-1]
                if re.search(r"(decode|verify|authenticat|check_token|validate_token|loads)", short, re.IGNORECASE) and (
                    _SIGNAL.search(callee) or any(_SIGNAL.search(dotted(a) or "") for a in node.args)
                ):
                    return callee
    return ""


def _reads_endpoint(test: ast.expr) -> bool:
    return any(_ENDPOINT.search(dotted(n) or "") for n in ast.walk(test) if isinstance(n, ast.Attribute))


def _str_consts(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _endpoint_consts(test: ast.expr) -> list[str]:
    """String constants compared with request.endpoint / request.path inside a guard's test."""
    found: list[str] = []
    for node in ast.walk(test):
        if isinstance(node, ast.Compare) and _reads_endpoint(node):
            found.extend(_str_consts(node))
        elif isinstance(node, ast.Call) and _reads_endpoint(node):
            # request.path.startswith("/static")
            found.extend(_str_consts(node))
    return found


def _endpoint_names(test: ast.expr) -> list[str]:
    """Module-level collections compared with request.endpoint / request.path (exempt lists)."""
    found: list[str] = []
    for node in ast.walk(test):
        if isinstance(node, ast.Compare) and _reads_endpoint(node):
            for operand in [node.left, *node.comparators]:
                name = dotted(operand) or ""
                if name and not name.startswith("request."):
                    found.append(name)
    return found


# ---- gates: what a function does with the request, as a small decision tree (during the walk) --------
#
# A gate tree summarises a function's statements in order: where it hands the request on to the view it
# wraps ("pass"), leaves with nothing ("none"), with a response ("value"), or by raising/aborting
# ("stop"), which `if` decides between the branches ("if", cond, then, else), and which bare calls of
# other functions it makes on the way ("call"). The project pass (`GateJudge`) evaluates the tree for an
# anonymous caller, a signed-in one and a privileged one to tell whether the function keeps anonymous
# requests out always, only under some setting, or not at all.
#
# node: ("pass", line) | ("none", line) | ("value", line, text, cond) | ("stop", line, text)
#       | ("if", cond, then, else) | ("call", line, callee, flags, next)
# cond: ("not", c) | ("and", (c, ...)) | ("or", (c, ...)) | ("const", value)
#       | ("atom", text, hint, callee, op, consts)
#   hint: "identity" (who is calling), "setting" (configuration), "endpoint" (which route), "request"
#   (other request data), "call" (a call the project pass resolves), "unknown".

_GATE_LIMIT = 160
_GATE_STATEMENTS = 40
# statement calls that never turn a request away
_QUIET_CALL = re.compile(r"^(print|len|flash|log|logger|logging|warn|warning|info|debug|error|exception|"
                         r"append|extend|update|add|setdefault|pop|commit|flush|set|delete|save|emit|"
                         r"send|signal|info_for|error_for|gettext|_)$")
_SETTING_NAME = re.compile(r"(^|\.)(config|settings|environ|getenv|get_config|get_setting|get_settings|"
                           r"flaskbb_config|app_config|conf)($|[.(\[])|(^|\.)(CONFIG|SETTINGS)($|\.)")
_IDENTITY_ATTRS = re.compile(r"(^|\.)(is_authenticated|is_anonymous|authorization|current_identity|"
                             r"get_jwt_identity|get_jwt|current_user)($|\.)|\.(user|user_id|remote_user)($|\.)")


class _TooBig(Exception):
    pass


def gate_tree(func: ast.FunctionDef | ast.AsyncFunctionDef, wrapped: set[str], imported: set[str]) -> Any:
    """The gate tree of a function (see above), or None when it is trivial or too large to follow.

    `wrapped` names the view a decorator's wrapper calls through to (the enclosing functions'
    parameters); `imported` the module's imported and defined names (bare calls of them are kept).
    """
    body = list(func.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if not body:
        return None
    builder = _GateBuilder(wrapped, imported, {a.arg for a in [*func.args.posonlyargs, *func.args.args,
                                                                 *func.args.kwonlyargs]})
    if len(body) > _GATE_STATEMENTS:
        # a long body: its checks sit at the top; what follows the cut is left unknown
        builder.cut = body[_GATE_STATEMENTS].lineno
        body = body[:_GATE_STATEMENTS]
    try:
        tree = builder.build(body)
    except (_TooBig, RecursionError):
        return None
    return tree if builder.interesting else None


class _GateBuilder:
    def __init__(self, wrapped: set[str], imported: set[str], params: set[str]):
        self.wrapped = wrapped
        self.imported = imported
        self.params = params
        self.local: dict[str, ast.expr] = {}
        self.size = 0
        self.interesting = False
        self.cut = 0  # the line the body was cut at (0: not cut)

    def build(self, stmts: list[ast.stmt]) -> Any:
        last = 0
        for index, stmt in enumerate(stmts):
            self.size += 1
            if self.size > _GATE_LIMIT:
                return ("cut", stmt.lineno)  # too many ways through: what follows is left unknown
            last = stmt.lineno
            through = self._through(stmt)
            if through is not None:
                self.interesting = True
                return ("via", stmt.lineno, through) if through else ("pass", stmt.lineno)
            if isinstance(stmt, ast.Return):
                value = stmt.value
                if value is None or isinstance(value, ast.Constant) and value.value is None:
                    return ("none", stmt.lineno)
                self.interesting = True
                return ("value", stmt.lineno, _short(value), self.cond(value))
            if isinstance(stmt, ast.Raise):
                self.interesting = True
                return ("stop", stmt.lineno, "raise " + _short(stmt.exc) if stmt.exc else "raise")
            if isinstance(stmt, ast.If):
                rest = stmts[index + 1:]
                self.interesting = True
                return ("if", self.cond(stmt.test), self.build(stmt.body + rest), self.build(stmt.orelse + rest))
            if isinstance(stmt, (ast.With, ast.AsyncWith, ast.Try)):
                return self.build(list(stmt.body) + list(stmts[index + 1:]))
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        self.local[target.id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                self.local[stmt.target.id] = stmt.value
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Call, ast.Await)):
                call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
                if not isinstance(call, ast.Call):
                    continue
                callee = dotted(call.func) or ""
                short = callee.rsplit(".", 1)[-1]
                if short in _ABORTS:
                    self.interesting = True
                    return ("stop", stmt.lineno, _short(call))
                root = callee.split(".")[0]
                if callee and root in self.imported and not _QUIET_CALL.match(short) and root not in self.local:
                    self.interesting = True
                    flags = tuple(sorted(k.arg for k in call.keywords if k.arg and isinstance(k.value, ast.Constant)
                                         and k.value.value is True))
                    return ("call", stmt.lineno, callee, flags, self.build(stmts[index + 1:]))
        if self.cut:
            return ("cut", self.cut)
        return ("none", last)

    def _through(self, stmt: ast.stmt) -> str | None:
        """Whether a statement calls the wrapped view: "" when directly, the decorator's name when it goes
        through one (`login_required(view)(*args)`), None when it does not."""
        if isinstance(stmt, (ast.If, ast.For, ast.While, ast.Try, ast.With, ast.FunctionDef,
                             ast.AsyncFunctionDef, ast.ClassDef)):
            return None
        if not self.wrapped and "self" not in self.params:
            return None  # nothing here could be the wrapped view
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in self.wrapped:
                    return ""
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                        func.value.id == "self" and _THROUGH.search(func.attr) and "self" in self.params:
                    return ""  # a class-based decorator calling the view it keeps: `self.view(*args)`
                if isinstance(func, ast.Call) and any(isinstance(a, ast.Name) and a.id in self.wrapped
                                                      for a in func.args):
                    callee = dotted(func.func) or ""
                    if callee.rsplit(".", 1)[-1] in ("ensure_sync", "wraps", "partial", "copy_current_request_context"):
                        return ""  # current_app.ensure_sync(view)(*args)
                    return callee
        return None

    def cond(self, test: ast.expr) -> Any:
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return ("not", self.cond(test.operand))
        if isinstance(test, ast.BoolOp):
            return ("and" if isinstance(test.op, ast.And) else "or", tuple(self.cond(v) for v in test.values[:8]))
        if isinstance(test, ast.Constant):
            return ("const", bool(test.value))
        if isinstance(test, ast.Name) and isinstance(self.local.get(test.id), ast.Constant):
            return ("const", bool(self.local[test.id].value))
        if isinstance(test, ast.Name) and test.id in self.local and isinstance(
            self.local[test.id], (ast.BoolOp, ast.UnaryOp, ast.Compare)
        ):
            value = self.local.pop(test.id)  # read once: no cycles through `x = not x`
            try:
                return self.cond(value)
            finally:
                self.local[test.id] = value
        if isinstance(test, ast.Call) and (dotted(test.func) or "") == "bool" and len(test.args) == 1:
            return self.cond(test.args[0])
        split = self._split_choice(test)
        if split is not None:
            return split
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Constant) \
                and isinstance(test.comparators[0], ast.Constant):
            left, right, which = test.left.value, test.comparators[0].value, test.ops[0]
            if isinstance(which, (ast.Is, ast.Eq, ast.IsNot, ast.NotEq)):
                same = left is right if isinstance(which, (ast.Is, ast.IsNot)) else left == right
                return ("const", same if isinstance(which, (ast.Is, ast.Eq)) else not same)
        return self.atom(test)

    def _split_choice(self, test: ast.expr) -> Any:
        """A test of a local that holds `a if cond else b`: the test of `a` when cond holds, of `b` if not."""
        subject = test.left if isinstance(test, ast.Compare) and len(test.ops) == 1 else test
        if not isinstance(subject, ast.Name) or not isinstance(self.local.get(subject.id), ast.IfExp):
            return None
        choice = self.local.pop(subject.id)
        try:
            if isinstance(test, ast.Compare):
                then = ast.Compare(left=choice.body, ops=test.ops, comparators=test.comparators)
                other = ast.Compare(left=choice.orelse, ops=test.ops, comparators=test.comparators)
            else:
                then, other = choice.body, choice.orelse
            which = self.cond(choice.test)
            return ("or", (("and", (which, self.cond(then))), ("and", (("not", which), self.cond(other)))))
        finally:
            self.local[subject.id] = choice

    def atom(self, test: ast.expr) -> Any:
        op, subject, consts = "truth", test, ()
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            left, right, which = test.left, test.comparators[0], test.ops[0]
            if isinstance(which, (ast.In, ast.NotIn)):
                if isinstance(left, ast.Constant) and not isinstance(right, ast.Constant):
                    op, subject = ("contains" if isinstance(which, ast.In) else "not_contains"), right
                    consts = (str(left.value),)
                else:
                    op = "in" if isinstance(which, ast.In) else "not_in"
                    subject = left
                    consts = tuple(_str_consts(right)) or (("name:" + (dotted(right) or "?")),)
            else:
                if isinstance(left, ast.Constant) and not isinstance(right, ast.Constant):
                    left, right = right, left
                subject = left
                positive = isinstance(which, (ast.Is, ast.Eq))
                if isinstance(right, ast.Constant) and (right.value is None or right.value is False):
                    op = "is_none" if positive else "not_none"
                elif isinstance(right, ast.Constant) and right.value is True:
                    op = "truth" if positive else "falsy"
                elif isinstance(which, (ast.Is, ast.Eq, ast.IsNot, ast.NotEq)):
                    op = "eq" if positive else "ne"
                    consts = (_short(right),)
                else:
                    op = "cmp"
        elif isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr in (
            "startswith", "endswith"
        ):
            subject, op = test.func.value, test.func.attr
            consts = tuple(c for a in test.args for c in _str_consts(a))
        hint, callee = self._hint(subject)
        if op in ("contains", "not_contains") and _KEYED.search(dotted(subject) or ""):
            # `"user_id" in session`: who is calling only when the key carries it
            key = test.left if isinstance(test, ast.Compare) else None
            hint, callee = ("identity", "") if key is not None and _identity_key(key) else ("unknown", "")
        text = _short(test)
        if isinstance(subject, ast.Name) and subject.id in self.local:
            # name the setting or call the local holds: `v == PUBLIC` reads `get_config(X) == PUBLIC`
            text = re.sub(rf"\b{re.escape(subject.id)}\b", lambda _m: _short(self.local[subject.id]), text, count=1)
        return ("atom", text, hint, callee, op, consts)

    def _hint(self, expr: ast.expr, depth: int = 0) -> tuple[str, str]:
        head = expr
        while isinstance(head, (ast.Attribute, ast.Subscript)) and not _chain_hint(dotted(head) or ""):
            head = head.value
        if isinstance(head, ast.Name) and head.id in self.local and depth < 2:
            return self._hint(self.local[head.id], depth + 1)
        if isinstance(head, ast.Name) and head.id in self.params and not _chain_hint(dotted(expr) or ""):
            return "unknown", ""
        for node in ast.walk(expr):
            if isinstance(node, ast.Call):
                callee = dotted(node.func) or ""
                keyed = _KEYED.search(callee) or callee.startswith("request.") and callee.endswith(".get")
                if keyed and node.args and callee.split(".")[0] in ("session", "request") \
                        and _identity_key(node.args[0]):
                    return "identity", ""
            elif isinstance(node, ast.Subscript):
                container = dotted(node.value) or ""
                if (_KEYED.search(container) or container.startswith("request.")) and _identity_key(node.slice):
                    return "identity", ""
            elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and any(
                (dotted(c) or "") == "session" for c in node.comparators
            ):
                if _identity_key(node.left):
                    return "identity", ""
                return "unknown", ""
        text = dotted(expr) or ""
        kind = _chain_hint(text)
        if kind:
            return kind, ""
        names = [dotted(n) or "" for n in ast.walk(expr) if isinstance(n, (ast.Name, ast.Attribute))]
        for name in names:
            kind = _chain_hint(name)
            if kind in ("identity", "setting", "endpoint"):
                return kind, ""
        call = head if isinstance(head, ast.Call) else None
        if call is None:
            call = next((n for n in ast.walk(expr) if isinstance(n, ast.Call)), None)
        if call is not None:
            callee = dotted(call.func) or ""
            if callee:
                return "call", callee
        if any(n.startswith("request.") for n in names):
            return "request", ""
        return "unknown", ""


def _chain_hint(name: str) -> str:
    if not name:
        return ""
    if _ENDPOINT.search(name):
        return "endpoint"
    if _USER_OBJECT.search(name) or _IDENTITY_ATTRS.search(name) or name.startswith(("g.user", "current_user")):
        return "identity"
    if _SETTING_NAME.search(name):
        return "setting"
    return ""


def _identity_key(node: ast.AST) -> bool:
    """A session, header or cookie key that carries who is calling (`user_id`, `Authorization`, `id`)."""
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
        return False
    return bool(_credential_key([node])) or node.value.lower() in ("id", "uid")


def _short(node: ast.AST | None) -> str:
    if node is None:
        return ""
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001 - a summary is best effort
        return type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= 90 else text[:87] + "..."


# ---- in the project model -------------------------------------------------------------------------

# Library decorators, by their last name, that turn anonymous requests away.
AUTH_DECORATOR_NAMES = re.compile(
    r"^(login_required|fresh_login_required|login_required_json|auth_required|token_required|token_auth_required|"
    r"jwt_required|jwt_optional_not|fresh_jwt_required|jwt_refresh_token_required|refresh_jwt_required|"
    r"roles_required|roles_accepted|permission_required|permissions_required|permissions_accepted|"
    r"admin_required|staff_member_required|superuser_required|staff_required|user_passes_test|"
    r"requires_auth|require_auth|requires_login|require_login|authenticated|authenticate|authorize|"
    r"requires_permission|require_permission|require_role|requires_roles?|role_required|has_role|"
    r"login_required_or_403|api_key_required|require_api_key|requires_api_key|basic_auth_required|"
    r"http_auth_required|oauth_required|require_oauth|verify_token|token_required_api|key_required|"
    r"scope_required|require_scope|require_scopes|user_required|must_be_logged_in|logged_in)$",
    re.IGNORECASE,
)
# Decorators that look like auth by name but mark a route open.
OPEN_DECORATOR_NAMES = re.compile(r"^(login_not_required|public|public_route|allow_anonymous|anonymous_allowed|"
                                  r"no_auth|skip_auth|auth_exempt|login_exempt|jwt_optional)$", re.IGNORECASE)


def star_targets(project: Project, facts: FileFacts) -> list[FileFacts]:
    """Modules whose names `from x import *` brings into a module."""
    found = []
    for name in getattr(facts, "star_imports", ()) or ():
        target = project.module(name)
        if target is not None and target is not facts:
            found.append(target)
    return found


def resolve_name(project: Project, facts: FileFacts, name: str) -> tuple[FileFacts, str, Any] | None:
    """Like `Project.resolve`, with star imports and script-style sibling imports (see `qualify_name`)."""
    qualified = qualify_name(project, facts, name)
    found = project.lookup(qualified)
    if found is None and qualified != project.qualify(facts, name):
        found = project.resolve(facts, name)
    return found


def qualify_name(project: Project, facts: FileFacts, name: str) -> str:
    """Like `Project.qualify`; an absolute import of a module that sits next to the importing file
    (a script folder on sys.path: `from mod_api import bp` in `site/app.py`) names that sibling."""
    head = name.partition(".")[0]
    if head not in facts.imports:
        for target in star_targets(project, facts):
            if head in target.imports or head in target.functions or head in target.classes or head in target.assigns:
                return project.qualify(target, name)
        return project.qualify(facts, name)
    qualified = project.qualify(facts, name)
    top = qualified.split(".")[0]
    if top in project.modules:
        return qualified
    parts = facts.module.split(".") if facts.is_package else facts.module.split(".")[:-1]
    for cut in range(len(parts), 0, -1):
        package = ".".join(parts[:cut])
        if f"{package}.{top}" in project.modules:
            return f"{package}.{qualified}"
    return qualified


def guards_of(func: FuncFacts | None) -> list[Guard]:
    """The function's guard facts (empty for facts cached before guards existed)."""
    return list(getattr(func, "guards", None) or []) if func is not None else []


def inline_auth(func: FuncFacts | None) -> str:
    """How a handler's own body keeps anonymous requests out, or "" when it does not."""
    for guard in guards_of(func):
        if not guard.top:
            continue
        if guard.kind in ("rejects", "exits", "wraps"):
            return f"inline check of {guard.signal} (line {guard.line})"
    return ""


def hook_rejects(func: FuncFacts | None) -> Guard | None:
    """The guard by which a before-request hook or middleware turns anonymous requests away."""
    for guard in guards_of(func):
        if guard.kind == "rejects":
            return guard
    return None


def wrapper_checks(project: Project, facts: FileFacts, func: FuncFacts, depth: int = 0) -> str:
    """Whether a project decorator (or a wrapper it returns) checks the caller before calling through."""
    if depth > 3:
        return ""
    nested = getattr(facts, "nested", None) or {f.qualname: f for f in facts.functions.values()}
    candidates = [func, *(f for q, f in nested.items() if q.startswith(func.qualname + "."))]
    for candidate in candidates:
        for guard in guards_of(candidate):
            if guard.kind in ("rejects", "exits", "wraps"):
                return f"{func.name} checks {guard.signal}"
            if guard.kind == "call":
                reason = call_authenticates(project, facts, guard.signal, depth + 1)
                if reason:
                    return f"{func.name} calls {reason}"
        if rejects_with_auth_status(candidate) and any(_SIGNAL.search(r) for r in candidate.reads):
            return f"{func.name} rejects with 401/403"
        for call in candidate.calls:
            short = call.func.rsplit(".", 1)[-1]
            if short in ("verify_jwt_in_request", "verify_jwt_in_request_optional_not", "jwt_required"):
                return f"{func.name} calls {short}"
    # a factory handing back another decorator: `return require_permissions((name,))`
    nested_names = {c.name for c in candidates[1:]}
    for value in func.return_values:
        name = value.name if isinstance(value, Ref) else value.func.removesuffix("()") if isinstance(value, CallV) else ""
        if not name or name in nested_names or name.startswith(("self.", "cls.")):
            continue  # its own wrapper was looked at above
        found = resolve_name(project, facts, name)
        if found is None or found[2] is func:
            continue
        if found[1] == "function" and "." in found[2].qualname:
            continue  # a function nested elsewhere is not in scope here: the name is this one's own wrapper
        if found[1] == "function":
            reason = wrapper_checks(project, found[0], found[2], depth + 1)
        elif found[1] == "class":
            reason = decorator_class_checks(project, found[0], found[2], depth + 1)
        else:
            reason = ""
        if reason:
            return f"{func.name} -> {reason}"
    return ""


def decorator_class_checks(project: Project, facts: FileFacts, cls: Any, depth: int = 0) -> str:
    """Whether a class used as a decorator checks the caller in the wrapper its `__call__` returns."""
    found = project.find_method(facts, cls, "__call__")
    if found is None or depth > 3:
        return ""
    return wrapper_checks(project, found[0], found[2], depth + 1)


def kind_from_bases(found: tuple[FileFacts, str, Any] | None, kind_of: Any, depth: int) -> str | None:
    """What a project class counts as by way of its bases: the first kind `kind_of(facts, base, depth)` names."""
    if found and found[1] == "class":
        for base in found[2].bases:
            kind = kind_of(found[0], base, depth + 1)
            if kind:
                return kind
    return None


def inline_call_auth(project: Project, facts: FileFacts, func: FuncFacts) -> str:
    """How a call at the top of a handler authenticates the request (a project check it calls), or ""."""
    for guard in guards_of(func):
        if guard.kind == "call" and guard.top:
            reason = call_authenticates(project, facts, guard.signal)
            if reason:
                return f"calls {reason} (line {guard.line})"
    return ""


def call_authenticates(project: Project, facts: FileFacts, callee: str, depth: int = 0) -> str:
    """Whether calling `callee` at the top of a handler turns anonymous requests away."""
    short = callee.rsplit(".", 1)[-1]
    if short in ("verify_jwt_in_request", "login_required", "check_permissions", "require_login", "require_auth"):
        return callee
    found = resolve_name(project, facts, callee)
    if found and found[1] == "function" and depth < 4:
        target: FuncFacts = found[2]
        if rejects_with_auth_status(target) or any(g.kind == "rejects" for g in guards_of(target)):
            return callee
        return wrapper_checks(project, found[0], target, depth + 1)
    return ""


_HARMLESS_CALLS = re.compile(r"^(request\.|len$|str$|int$|bool$|isinstance$|getattr$|hasattr$)")


def delegated_auth(project: Project, facts: FileFacts, func: FuncFacts, judge: Any) -> str:
    """How a view that only hands over to other views is protected: every one it returns is.

    `judge(facts, func)` says how one function is protected ("" when it is not).
    """
    returned = [v for v in func.return_values if isinstance(v, CallV)]
    if not returned or len(returned) != len(func.return_values):
        return ""
    names = {v.func for v in returned}
    if any(c.func not in names and not _HARMLESS_CALLS.match(c.func) for c in func.calls):
        return ""
    reasons = []
    for value in returned:
        found = resolve_name(project, facts, value.func)
        if not found or found[1] != "function" or found[2] is func:
            return ""
        reason = judge(found[0], found[2])
        if not reason:
            return ""
        reasons.append(f"{value.func} ({reason})")
    return "hands over to " + ", ".join(dict.fromkeys(reasons))


_AUTH_EXCEPTION = re.compile(
    r"(Unauthori[sz]ed|Forbidden|PermissionDenied|NotAuthenticated|AuthenticationFailed|InvalidToken|"
    r"Credential|LoginRequired|AuthError|AuthenticationError|Unauthenticated|NotAuthori[sz]ed|AccessDenied)"
)


def rejects_with_auth_status(func: FuncFacts) -> bool:
    """Whether a function raises or aborts with 401/403 (or an authentication exception)."""
    for exc in func.raises:
        if isinstance(exc, CallV) and _status_is_auth([*exc.args, *exc.kwargs.values()]):
            return True
        name = exc.name if isinstance(exc, Ref) else exc.func if isinstance(exc, CallV) else ""
        if _AUTH_EXCEPTION.search(name):
            return True
    for call in func.calls:
        if call.func.rsplit(".", 1)[-1] == "abort" and _status_is_auth(call.args):
            return True
    return False


def status_is_auth(values: list[Any]) -> bool:
    """Whether any of the values is a 401/403 status (a literal or a named constant)."""
    return _status_is_auth(values)


def _status_is_auth(values: list[Any]) -> bool:
    for value in values:
        if isinstance(value, Const) and value.value in (401, 403):
            return True
        if isinstance(value, Ref) and re.search(r"HTTP_40[13]|UNAUTHORIZED|FORBIDDEN", value.name):
            return True
    return False


def class_attr(project: Project, facts: FileFacts, cls: Any, name: str) -> tuple[FileFacts, Any] | None:
    """`Project.class_attr`, with typed attributes (`x: T = value`) giving their value."""
    found = project.class_attr(facts, cls, name)
    if found is None:
        return None
    value = found[1]
    if isinstance(value, tuple) and len(value) == 3 and value[0] == "annotated":
        value = value[2]
    return found[0], value


def decorator_name(value: Any) -> str:
    """The dotted name of a decorator as written: `login_required`, `auth.login_required`, `jwt_required`."""
    if isinstance(value, Ref):
        return value.name
    if isinstance(value, CallV):
        return value.func.removesuffix("()")
    return ""


def join_path(prefix: str, path: str) -> str:
    """Join URL pieces with exactly one slash between them."""
    if not prefix:
        return path if path.startswith("/") else "/" + path
    if not path:
        return prefix
    return prefix.rstrip("/") + "/" + path.lstrip("/")


# Imports that show an app knows about users: auth libraries, token and password helpers.
_AUTH_IMPORTS = re.compile(r"(^|[._])(\w*auth\w*|\w*jwt\w*|jose|\w*login\w*|oauth\w*|oidc|saml\w*|passlib|bcrypt|"
                           r"argon2|security|permissions?|knox|allauth|guardian)($|[._])", re.IGNORECASE)
_SIGN_IN = re.compile(r"(login|log_in|logout|signin|sign_in|signup|sign_up|register|token|auth(?!or)|session|"
                      r"password)", re.IGNORECASE)


def has_no_auth(routes: list[Any], modules: list[FileFacts]) -> bool:
    """Whether an app has no authentication at all.

    BC101 asks whether a route forgot the authentication its app uses; an app where no route checks
    the caller, nothing signs anyone in and no module imports an auth library has none to forget.
    """
    if not routes or any(r.auth for r in routes):
        return False
    if any(_SIGN_IN.search(r.path) or _SIGN_IN.search(r.function) for r in routes):
        return False
    for facts in modules:
        if any(_AUTH_IMPORTS.search(v) for v in facts.imports.values()):
            return False
        if any("session" in f.reads or any(n.startswith("session.") for n in f.reads)
               for f in facts.all_functions()):
            return False
    return True


def mark_authless(routes: list[Any], authless: set[Any], apps_of: Any) -> None:
    """Mark public the routes whose every app (`apps_of(route)`) has no authentication at all."""
    for route in routes:
        apps = apps_of(route)
        if apps and apps <= authless and not route.public and not route.auth:
            route.public, route.public_via = True, "the app has no authentication at all"


def is_static_page(func: FuncFacts | None) -> bool:
    """A handler that only renders a fixed template: no request data, no queries, no writes."""
    if func is None or len(func.return_values) != 1 or func.params and len(func.params) > 1:
        return False
    value = func.return_values[0]
    if isinstance(value, Const) and not func.calls:
        return True  # `return "Hello, World!"`
    if not isinstance(value, CallV) or value.func.rsplit(".", 1)[-1] not in ("render_template", "render",
                                                                              "TemplateResponse"):
        return False
    constant = [a for a in [*value.args, *value.kwargs.values()] if not isinstance(a, (Const, Ref))]
    names = [a.name for a in value.args if isinstance(a, Ref)]
    return not constant and set(names) <= {"request"} and len(func.calls) == 1



# ---- gates in the project model: evaluating a gate tree for three kinds of caller ----------------------

# callers: "anonymous" (nobody signed in), "user" (signed in, no special role), "admin" (every role)
_CALLERS = ("anonymous", "user", "admin")
_ROLE = re.compile(r"(admin|staff|superuser|role|perm|moderator|owner|group|\.type\b|privileg|is_verified|"
                   r"verified|active)", re.IGNORECASE)
_SETTING_READ = re.compile(r"(^|\.)(config|settings|environ|getenv)($|[.\[])|(^|\.)(CONFIG|SETTINGS)($|\.)")
# library calls that tell who is calling (by qualified name)
_IDENTITY_CALLS = {
    "flask_login.login_fresh", "flask_login.utils.login_fresh", "flask_jwt_extended.get_jwt_identity",
    "flask_jwt_extended.get_current_user", "flask_jwt_extended.get_jwt", "flask_security.current_user",
    "flask_login.current_user", "flask.session.get",
}
# library calls that reject an anonymous request when made on their own (unless `optional=True`)
_REJECTING_CALLS = {
    "flask_jwt_extended.verify_jwt_in_request", "flask_jwt_extended.view_decorators.verify_jwt_in_request",
    "flask_jwt_extended.verify_fresh_jwt_in_request", "flask_praetorian.decorators.verify_jwt_in_request",
}
_MAX_PATHS = 256
# what a handler returns when it turns the caller away
_REJECTING_TEXT = re.compile(r"(^redirect\(|abort|\b40[13]\b|unauthori[sz]ed|forbidden|denied|needs_refresh|"
                             r"login_manager\.unauthorized)", re.IGNORECASE)


@dataclass(slots=True)
class Verdict:
    """What a gate does to an anonymous request: "authenticates", "conditional" or "open"."""

    verdict: str
    reason: str
    condition: str = ""


@dataclass(slots=True)
class _Path:
    outcome: str  # "pass" | "reject" | "continue"
    assign: dict  # atom text -> (value, is_setting)
    detail: str = ""
    end: tuple = ()  # (file, line) of the statement the path leaves by


class GateJudge:
    """Evaluates functions' gate trees through project code (helpers called, predicates tested)."""

    def __init__(self, project: Project):
        self.project = project
        self._kinds: dict[tuple[str, str], tuple[str, Any]] = {}
        self._reads_settings: dict[int, bool] = {}
        self._touched = False
        # judges a decorator the view is called through (`login_required(view)(*args)`): (facts, name)
        self.via: Any = None

    # -- verdicts ----------------------------------------------------------------------------------

    def judge(self, facts: FileFacts, func: FuncFacts, context: str, route: dict | None = None) -> Verdict | None:
        """The verdict for a decorator's wrapper (context "wrapper") or a before-request hook ("hook");
        None when the function has no gate tree to follow."""
        tree = getattr(func, "gate", None)
        if tree is None:
            return None
        runs = {who: self._paths(facts, tree, who, context, {}, 0, route) for who in _CALLERS}
        anonymous = runs["anonymous"]
        passed = [p for p in anonymous if p.outcome == "pass"]
        rejected = [p for p in anonymous if p.outcome != "pass"]
        if not passed:
            if any(p.outcome == "pass" for who in ("user", "admin") for p in runs[who]):
                detail = next((p.detail for p in rejected if p.detail), "")
                return Verdict("authenticates", f"{func.name} turns anonymous requests away"
                               + (f" ({detail})" if detail else ""))
            return Verdict("open", f"{func.name} turns every caller away alike: not a check of who is calling")
        gates = [r for r in rejected if any(u.outcome == "pass" and _consistent(u.assign, r.assign)
                                            for u in runs["user"])]
        if gates and all(_settings_of(p) for p in passed):
            condition = _condition_text(passed)
            return Verdict("conditional", f"{func.name} lets anonymous requests through when {condition}",
                           condition)
        if gates:
            return Verdict("open", f"{func.name} lets some anonymous requests through (depends on the request)")
        if rejected and any(p.outcome == "pass" for p in runs["admin"]):
            return Verdict("open", f"{func.name} lets anonymous requests through; it only restricts by state, "
                                   "not by who is calling")
        return Verdict("open", f"{func.name} lets anonymous requests through")

    def judge_handler(self, facts: FileFacts, func: FuncFacts) -> Verdict | None:
        """Whether a handler's own body keeps anonymous requests out: every way an anonymous request
        leaves it is a rejection no signed-in caller reaches. None when the body never asks who is calling."""
        tree = getattr(func, "gate", None)
        if tree is None:
            return None
        self._touched = False
        runs = {who: self._paths(facts, tree, who, "handler", {}, 0, None) for who in _CALLERS}
        if not self._touched:
            return None
        # ends a signed-in caller gets: every end an admin reaches, and a plain user's non-rejections
        others = {p.end for p in runs["admin"]} | {p.end for p in runs["user"] if p.outcome == "pass"}
        anonymous = runs["anonymous"]
        kept = [p for p in anonymous if p.outcome == "reject" and p.end not in others]
        through = [p for p in anonymous if p not in kept]
        where = next((p for p in kept), None)
        if kept and not through:
            return Verdict("authenticates", f"inline check: anonymous requests get {where.detail} "
                                            f"(line {where.end[1]})")
        if kept and all(_settings_of(p) for p in through):
            condition = _condition_text(through)
            return Verdict("conditional", f"inline check lets anonymous requests through when {condition}",
                           condition)
        return Verdict("open", "the body asks who is calling but lets anonymous requests reach its work")

    # -- paths -------------------------------------------------------------------------------------

    def _paths(self, facts: FileFacts, node: Any, who: str, context: str, assign: dict, depth: int,
               route: dict | None) -> list[_Path]:
        kind = node[0]
        if kind == "cut":  # the rest of a long body: taken to go on to its work
            return [_Path("continue" if context == "helper" else "pass", assign, "", (facts.path, node[1]))]
        if context == "handler" and kind in ("pass", "via", "none", "value", "stop"):
            end = (facts.path, node[1])
            if kind == "stop" or kind == "value" and _REJECTING_TEXT.search(node[2]):
                return [_Path("reject", assign, node[2], end)]
            return [_Path("pass", assign, "", end)]
        if kind == "via":
            # the view is called through another decorator: that decorator's own verdict
            verdict = self.via(facts, node[2]) if self.via is not None else None
            if verdict is not None and verdict.verdict == "authenticates" and who == "anonymous":
                return [_Path("reject", assign, f"{node[2]}()", (facts.path, node[1]))]
            return [_Path("pass", assign, "", (facts.path, node[1]))]
        if kind == "pass":
            return [_Path("pass", assign)]
        if kind == "none":
            if context == "wrapper":
                return [_Path("reject", assign, "never calls the view")]
            return [_Path("pass" if context == "hook" else "continue", assign)]
        if kind == "value":
            if context in ("wrapper", "hook"):
                return [_Path("reject", assign, f"returns {node[2]}")]
            return [_Path("continue", assign)]
        if kind == "stop":
            return [_Path("reject", assign, node[2], (facts.path, node[1]))]
        if kind == "if":
            out: list[_Path] = []
            for value, branch in self._truth(facts, node[1], who, assign, depth, route):
                out.extend(self._paths(facts, node[2] if value else node[3], who, context, branch, depth, route))
                if len(out) > _MAX_PATHS:
                    break
            return out
        if kind == "call":
            _line, callee, flags, rest = node[1], node[2], node[3], node[4]
            out = []
            for path in self._call(facts, callee, flags, who, assign, depth):
                if path.outcome == "reject":
                    out.append(path)
                else:
                    out.extend(self._paths(facts, rest, who, context, path.assign, depth, route))
                if len(out) > _MAX_PATHS:
                    break
            return out
        return [_Path("pass" if context != "wrapper" else "reject", assign)]

    def _call(self, facts: FileFacts, callee: str, flags: tuple, who: str, assign: dict,
              depth: int) -> list[_Path]:
        """What a bare call on the way does: the helper's own rejections, or a library primitive's."""
        qualified = qualify_name(self.project, facts, callee)
        if qualified in _REJECTING_CALLS or qualified.rsplit(".", 1)[-1] == "verify_jwt_in_request" \
                and qualified.startswith("flask_jwt_extended"):
            if who == "anonymous" and "optional" not in flags:
                return [_Path("reject", assign, f"{callee}()")]
            return [_Path("continue", assign)]
        found = self._function(facts, callee)
        if found is None or depth >= 3 or getattr(found[1], "gate", None) is None:
            return [_Path("continue", assign)]
        return self._paths(found[0], found[1].gate, who, "helper", assign, depth + 1, None)

    def _function(self, facts: FileFacts, callee: str) -> tuple[FileFacts, FuncFacts] | None:
        found = resolve_name(self.project, facts, callee)
        if found and found[1] == "function":
            return found[0], found[2]
        if found and found[1] == "class":
            init = self.project.find_method(found[0], found[2], "__init__")
            if init is not None:
                return init[0], init[2]
        return None

    # -- conditions --------------------------------------------------------------------------------

    def _truth(self, facts: FileFacts, cond: Any, who: str, assign: dict, depth: int,
               route: dict | None) -> list[tuple[bool, dict]]:
        kind = cond[0]
        if kind == "const":
            return [(bool(cond[1]), assign)]
        if kind == "not":
            return [(not v, a) for v, a in self._truth(facts, cond[1], who, assign, depth, route)]
        if kind in ("and", "or"):
            stop = kind == "or"  # the value that ends the chain early
            results: list[tuple[bool, dict]] = []
            pending = [(not stop, assign)]
            for part in cond[1]:
                nxt = []
                for value, branch in pending:
                    for v, a in self._truth(facts, part, who, branch, depth, route):
                        (results if v == stop else nxt).append((v, a))
                pending = nxt[:_MAX_PATHS]
            return (results + pending)[:_MAX_PATHS]
        _atom, text, hint, callee, op, consts = cond
        if hint == "call":
            hint, values = self._call_kind(facts, callee, who, assign, depth)
            if hint == "values":
                return [(_apply(op, v, consts), a) for v, a in values]
        if hint == "identity":
            self._touched = True
            return [(_apply(op, _identity_value(text, who, op), consts), assign)]
        if hint == "endpoint" and route is not None:
            value = _endpoint_value(self.project, facts, text, op, consts, route)
            if value is None:
                # a test of the route this index cannot evaluate: the route is taken not to be exempt
                value = _apply(op, False, consts)
            return [(value, assign)]
        if text in assign:
            return [(assign[text][0], assign)]
        setting = hint == "setting"
        return [(True, {**assign, text: (True, setting)}), (False, {**assign, text: (False, setting)})]

    def _call_kind(self, facts: FileFacts, callee: str, who: str, assign: dict,
                   depth: int) -> tuple[str, list[tuple[bool, dict]]]:
        """How a call tested in a condition behaves: "identity", "setting", "values" (the truth values its
        project code returns for this caller) or "unknown"."""
        qualified = qualify_name(self.project, facts, callee)
        if qualified in _IDENTITY_CALLS:
            return "identity", []
        found = self._function(facts, callee)
        if found is None:
            # a library call: what its name as written says (`current_user.has_role`, `get_setting`)
            hint = _chain_hint(callee)
            return (hint if hint in ("identity", "setting") else "unknown"), []
        target_facts, func = found
        if self._reads_setting(target_facts, func, 0) and not self._reads_identity(target_facts, func, 0):
            return "setting", []
        if func.gate is None or depth >= 3:
            if self._reads_identity(target_facts, func, 0):
                return "identity", []
            return "unknown", []
        values = self._predicate(target_facts, func.gate, who, assign, depth + 1)
        return "values", values[:_MAX_PATHS]

    def _predicate(self, facts: FileFacts, node: Any, who: str, assign: dict, depth: int) -> list[tuple[bool, dict]]:
        """The truth values a function returns for a caller (its `return` expressions evaluated)."""
        kind = node[0]
        if kind in ("none", "pass"):
            return [(False, assign)]
        if kind == "cut":
            return [(True, assign), (False, assign)]
        if kind == "stop":
            return [(False, assign)]
        if kind == "value":
            return self._truth(facts, node[3], who, assign, depth, None)
        if kind == "if":
            out = []
            for value, branch in self._truth(facts, node[1], who, assign, depth, None):
                out.extend(self._predicate(facts, node[2] if value else node[3], who, branch, depth))
            return out[:_MAX_PATHS]
        if kind == "call":
            return self._predicate(facts, node[4], who, assign, depth)
        return [(False, assign)]

    def _reads_setting(self, facts: FileFacts, func: FuncFacts, depth: int) -> bool:
        key = id(func)
        if key in self._reads_settings:
            return self._reads_settings[key]
        self._reads_settings[key] = False
        found = any(_SETTING_READ.search(r) for r in func.reads)
        if not found and depth < 2:
            for call in func.calls[:24]:
                target = self._function(facts, call.func)
                if target and target[1] is not func and self._reads_setting(target[0], target[1], depth + 1):
                    found = True
                    break
        self._reads_settings[key] = found
        return found

    def _reads_identity(self, facts: FileFacts, func: FuncFacts, depth: int) -> bool:
        if any(_chain_hint(r) == "identity" for r in func.reads):
            return True
        return any(c.func.startswith("session.") for c in func.calls)


def _identity_value(text: str, who: str, op: str) -> bool:
    """The base truth of a test of who is calling: nobody is signed in, a plain user, or every role."""
    if who == "anonymous":
        value = False
    elif who == "admin":
        value = True
    else:
        value = not (_ROLE.search(text) or op in ("eq", "ne", "in", "not_in"))
    if re.search(r"is_anonymous|anonymous", text):
        value = not value if who != "admin" else False
    return value


def _apply(op: str, value: bool, consts: tuple) -> bool:
    if op in ("is_none", "not_in", "falsy", "ne", "not_contains"):
        return not value
    return value


def _endpoint_value(project: Project, facts: FileFacts, text: str, op: str, consts: tuple,
                    route: dict) -> bool | None:
    """A test of which route is asked for, evaluated for one route (`request.endpoint in EXEMPT`)."""
    match = _ENDPOINT.search(text)
    if not match:
        return None
    attr = match.group(1)
    if attr == "method":
        # `request.method != "OPTIONS"`: the same answer for every method the route takes, or unknown
        answers = set()
        for method in route.get("methods") or []:
            answers.add(_endpoint_value(project, facts, "request.endpoint", op, consts,
                                        {"endpoint": method}))
        return answers.pop() if len(answers) == 1 else None
    value = route.get("endpoint", "") if attr == "endpoint" else route.get("blueprint", "") \
        if attr == "blueprint" else route.get("path", "")
    names = []
    for const in consts:
        if const.startswith("name:"):
            found = resolve_name(project, facts, const[5:])
            if found and found[1] == "assign":
                items = getattr(found[2][0], "items", None) or getattr(found[2][0], "keys", None) or []
                names.extend(i.value for i in items if isinstance(i, Const) and isinstance(i.value, str))
            else:
                return None
        else:
            names.append(const)
    if op in ("in", "not_in", "eq", "ne"):
        hit = value in names or any(n and value.rsplit(".", 1)[-1] == n for n in names if "." not in n
                                    and attr == "endpoint" and "." in value and n == value.rsplit(".", 1)[-1])
        if op in ("eq", "ne"):
            hit = any(value == n.strip("'\"") for n in names)
        return hit if op in ("in", "eq") else not hit
    if op in ("startswith", "endswith"):
        return any(value.startswith(n) if op == "startswith" else value.endswith(n) for n in names)
    if op in ("contains", "not_contains"):
        hit = any(n in value for n in names)
        return hit if op == "contains" else not hit
    if op == "truth":
        return bool(value)
    return None


def _consistent(first: dict, second: dict) -> bool:
    return all(second[k][0] == v[0] for k, v in first.items() if k in second)


def _settings_of(path: _Path) -> list[tuple[str, bool]]:
    return [(k, v[0]) for k, v in path.assign.items() if v[1]]


def _condition_text(paths: list[_Path]) -> str:
    """The settings the open paths depend on: `a`, `not (b)`, or `c` when the paths disagree on it."""
    values: dict[str, set[bool]] = {}
    for path in paths:
        for text, value in _settings_of(path):
            values.setdefault(text, set()).add(value)
    parts = []
    for text, seen in values.items():
        parts.append(text if seen == {True} else f"not ({text})" if seen == {False} else text)
    if len(parts) > 3:
        parts = [*parts[:3], f"{len(parts) - 3} more"]
    return ", ".join(parts)

__all__ = [
    "AUTH_DECORATOR_NAMES",
    "OPEN_DECORATOR_NAMES",
    "GateJudge",
    "Verdict",
    "call_authenticates",
    "class_attr",
    "decorator_name",
    "delegated_auth",
    "find_guards",
    "gate_tree",
    "guards_of",
    "has_no_auth",
    "hook_rejects",
    "inline_auth",
    "is_static_page",
    "join_path",
    "mark_authless",
    "qualify_name",
    "rejects_with_auth_status",
    "resolve_name",
    "wrapper_checks",
]
