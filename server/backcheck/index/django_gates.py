"""Checks that depend on a setting: `if settings.LOGIN_REQUIRED and not request.user.is_authenticated:
return self.handle_no_permission()` turns anonymous requests away only while the setting holds, and a
permission's `if not settings.LOGIN_REQUIRED: return True` lets them through when it does not.

These helpers read the syntax of the one function involved (parsed again on demand) and tell which
setting a check depends on; `setting_value` says what the project's settings module gives it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from backcheck.index.facts import CallV, Const, Ref

# Calls that answer an anonymous request with a refusal (a return of one of these is a rejection).
_REFUSALS = re.compile(r"(Forbidden|Unauthorized|NotAuthenticated|PermissionDenied|redirect_to_login|"
                       r"handle_no_permission|login_required|HttpResponseRedirect|redirect|NotFound|BadRequest|"
                       r"NotAllowed)$")
_SETTING_NAME = re.compile(r"^[A-Z][A-Z0-9_]+$")


@dataclass(frozen=True)
class Gate:
    """A check that applies only while a setting holds."""

    setting: str  # "settings.LOGIN_REQUIRED", "get_config().LOGIN_REQUIRED"
    name: str  # "LOGIN_REQUIRED"
    when_true: bool  # the check applies when the setting is truthy (False: when it is falsy)
    from_settings: bool  # read from django.conf.settings (else a runtime/DB configuration object)


def _setting_read(node: ast.expr) -> tuple[str, str, bool] | None:
    """`settings.X` -> ("settings.X", "X", True); `get_config().X` -> (..., "X", False)."""
    if isinstance(node, ast.Attribute) and _SETTING_NAME.match(node.attr):
        base = node.value
        if isinstance(base, ast.Name) and base.id == "settings":
            return f"settings.{node.attr}", node.attr, True
        if isinstance(base, ast.Attribute) and base.attr == "settings":
            return f"{ast.unparse(base)}.{node.attr}", node.attr, True
        return f"{ast.unparse(base)}.{node.attr}", node.attr, False
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
            and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) and node.args[0].id == "settings" \
            and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
        return f"settings.{node.args[1].value}", node.args[1].value, True
    return None


def _gate_of_test(test: ast.expr) -> Gate | None:
    """The setting an `if` test makes its check depend on: `settings.X and not user.is_authenticated`."""
    operands = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    for operand in operands:
        negated = False
        if isinstance(operand, ast.UnaryOp) and isinstance(operand.op, ast.Not):
            operand, negated = operand.operand, True
        found = _setting_read(operand)
        if found:
            return Gate(found[0], found[1], not negated, found[2])
    return None


def _find_function(tree: ast.Module, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno == line:
            return node
    return None


def _body(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    body = list(func.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return body


def _only_refusals(stmts: list[ast.stmt]) -> bool:
    """Whether every way out of these statements refuses the request (so a later check is reached)."""
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Return):
                value = node.value
                if not (isinstance(value, ast.Call) and _REFUSALS.search(_callee(value))):
                    return False
    return True


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def guard_gate(tree: ast.Module | None, func_line: int, guard_line: int) -> tuple[Gate | None, bool]:
    """For the rejecting `if` at guard_line in the function defined at func_line: the setting it
    depends on (or None), and whether it is reached (what comes before it only refuses, if anything)."""
    if tree is None:
        return None, False
    func = _find_function(tree, func_line)
    if func is None:
        return None, False
    before: list[ast.stmt] = []
    for stmt in _body(func):
        if stmt.lineno == guard_line and isinstance(stmt, ast.If):
            return _gate_of_test(stmt.test), _only_refusals(before)
        before.append(stmt)
    return None, False


def permission_bypass(tree: ast.Module | None, func_line: int) -> Gate | None:
    """`if not settings.LOGIN_REQUIRED: return True` at the top of a permission's `has_permission`:
    the gate describes when the rest of the check applies (here: while LOGIN_REQUIRED is truthy)."""
    if tree is None:
        return None
    func = _find_function(tree, func_line)
    if func is None:
        return None
    for stmt in _body(func):
        if not isinstance(stmt, ast.If):
            continue
        returns_true = len(stmt.body) == 1 and isinstance(stmt.body[0], ast.Return) and \
            isinstance(stmt.body[0].value, ast.Constant) and stmt.body[0].value.value is True
        gate = _gate_of_test(stmt.test) if returns_true else None
        if gate is not None:
            # the bypass opens when its test holds, so the check applies in the opposite case
            return Gate(gate.setting, gate.name, not gate.when_true, gate.from_settings)
    return None


# Where a request carries credentials, and parameter names that stand for one.
_CREDENTIAL_READS = re.compile(r"request\.(headers|META|GET|POST|COOKIES|data|query_params)\b|HTTP_AUTHORIZATION|"
                               r"Authorization")
_CREDENTIAL_PARAMS = re.compile(r"(^|_)(key|token|secret|signature|api_key|apikey)$", re.IGNORECASE)
_AUTH_REFUSALS = re.compile(r"(HttpResponseForbidden|HttpResponseUnauthorized|PermissionDenied|NotAuthenticated|"
                            r"AuthenticationFailed)$")


def _refuses_401_403(stmts: list[ast.stmt]) -> bool:
    """Whether a block ends by answering 401/403 (a Forbidden response, `status=401`, PermissionDenied)."""
    if not stmts:
        return False
    last = stmts[-1]
    value = last.value if isinstance(last, ast.Return) else (last.exc if isinstance(last, ast.Raise) else None)
    if not isinstance(value, ast.Call):
        return False
    if _AUTH_REFUSALS.search(_callee(value)):
        return True
    statuses = [k.value for k in value.keywords if k.arg in ("status", "status_code")]
    statuses += value.args[1:2] if _callee(value) in ("HttpResponse", "JsonResponse") else []
    return any(isinstance(v, ast.Constant) and v.value in (401, 403) for v in statuses)


def credential_check(tree: ast.Module | None, func_line: int) -> int:
    """The line of an `if` in a view that answers 401/403 on a value taken from the request's headers,
    query or a key/token parameter (`if key != settings.METRICS_KEY: return HttpResponseForbidden()`),
    reached from the top with nothing but refusals before it; 0 when there is none."""
    if tree is None:
        return 0
    func = _find_function(tree, func_line)
    if func is None:
        return 0
    tainted = {a.arg for a in [*func.args.args, *func.args.kwonlyargs] if _CREDENTIAL_PARAMS.search(a.arg)}

    def reads_credential(node: ast.AST) -> bool:
        text = ast.unparse(node)
        return bool(_CREDENTIAL_READS.search(text)) or any(
            isinstance(n, ast.Name) and n.id in tainted for n in ast.walk(node))

    def scan(stmts: list[ast.stmt], depth: int) -> int:
        for index, stmt in enumerate(stmts):
            if isinstance(stmt, ast.Assign) and reads_credential(stmt.value):
                tainted.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
            elif isinstance(stmt, ast.If):
                if reads_credential(stmt.test) and _refuses_401_403(stmt.body):
                    return stmt.lineno
                if depth < 2 and reads_credential(stmt.test):
                    found = scan(stmt.body, depth + 1)
                    if found:
                        return found
                if not _only_refusals([stmt]):
                    return 0
            elif not _only_refusals([stmt]):
                return 0
        return 0

    return scan(_body(func), 0)


_UNKNOWN: Any = object()


def literal_setting(value: Any) -> tuple[Any, str]:
    """What a settings module assigns, as a Python value when it is known, and how it was told.

    `X = True` -> (True, "True"); `X = getattr(configuration, "X", True)` or `env.bool("X", default=True)`
    -> (True, "default True of getattr(...)"): the value the project ships with unless the deployment
    overrides it. Anything else -> (UNKNOWN, text).
    """
    if isinstance(value, Const):
        return value.value, repr(value.value)
    if isinstance(value, CallV):
        default = None
        if value.func == "getattr" and len(value.args) >= 3:
            default = value.args[2]
        elif "default" in value.kwargs:
            default = value.kwargs["default"]
        elif re.search(r"(environ\.get|getenv|env|config|get)$", value.func) and len(value.args) >= 2:
            default = value.args[1]
        if isinstance(default, Const):
            return default.value, f"default {default.value!r} of {value.func}(...)"
        return _UNKNOWN, f"{value.func}(...)"
    if isinstance(value, Ref):
        return _UNKNOWN, value.name
    return _UNKNOWN, "a computed value"


def is_unknown(value: Any) -> bool:
    return value is _UNKNOWN


__all__ = ["Gate", "credential_check", "guard_gate", "is_unknown", "literal_setting", "permission_bypass"]
