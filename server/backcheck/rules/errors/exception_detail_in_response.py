"""## What it does
Flags exception text that reaches an HTTP response: `str(exc)`, `repr(exc)`, `exc.args`, `exc.message`,
an f-string or `%`/`+`/`.format` that embeds the exception, or `traceback.format_exc()`, when it ends up in
a response body (`jsonify`, `JsonResponse`, `JSONResponse`, DRF `Response`, `HttpResponse`,
`render_template`, `render`, `flash`, Django `messages`), in `HTTPException(detail=...)` / `abort(...)`, or
is returned by a route handler or an error handler.

The exception must be one that can carry internal details: a broad `except Exception`, a bare `except`
with a traceback, or errors raised by databases, the OS, subprocesses, network clients and the runtime
(`IntegrityError`, `OSError`, `TypeError`, ...). Errors designed to be shown to users (validation errors,
`ValueError`, `HTTPException`, `PermissionDenied`, `DoesNotExist`, ...) are left alone, as are the
project's own exception classes unless the response is a 5xx. Error handlers registered with
`@app.errorhandler`, `@app.exception_handler`, `register_error_handler` or `add_exception_handler` are
checked the same way, with the exception they receive as the source.

## Why is this bad?
Exception messages are written for developers. They carry SQL statements and constraint names, file
paths, hostnames, library versions and sometimes data from other users. Sent to a client they tell an
attacker how the backend is built and where to push next, and a traceback hands over the source layout.
Clients should get a stable, generic message; the details belong in the server log.

## Example
```python
@app.post("/orders")
def create_order():
    try:
        order = orders.create(request.get_json())
    except Exception as exc:
        return jsonify(error=str(exc)), 500
    return jsonify(order.as_dict()), 201
```

## Use instead
```python
@app.post("/orders")
def create_order():
    try:
        order = orders.create(request.get_json())
    except Exception:
        logger.exception("creating an order failed")
        return jsonify(error="Internal server error"), 500
    return jsonify(order.as_dict()), 201
```

## Fix safety
The quick fix replaces the leaking text with a generic message and logs the exception with
`logger.exception(...)` (adding `import logging` and a module logger when the file has none). Clients
that parsed the old message will see a different body, so the fix is unsafe: review it.

## References
- OWASP Top 10 2021, A05: Security Misconfiguration (verbose error messages)
- CWE-209: Generation of Error Message Containing Sensitive Information
- OWASP Error Handling Cheat Sheet, https://cheatsheetseries.owasp.org/cheatsheets/Error_Handling_Cheat_Sheet.html
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from typing import Any
from weakref import WeakKeyDictionary

from backcheck.diagnostics import Finding
from backcheck.index.facts import Const, Map, dotted
from backcheck.index.project import Project
from backcheck.rules.base import FileContext, Rule
from backcheck.rules.errors.paths import is_test_path

# Calls whose arguments become (part of) an HTTP response body, by the last segment of the callee.
_SINK_CALLS = {
    "jsonify", "make_response", "render_template", "render_template_string", "render", "render_to_response",
    "render_to_string", "HTTPException", "APIException", "WebSocketException", "abort", "flash", "ParseError",
    "InternalServerError", "ServiceUnavailable", "GraphQLError", "send_json", "send_text", "emit", "json_response",
}
# Response classes of every framework: `JSONResponse`, `HttpResponseServerError`, DRF `Response`, ...
_RESPONSE_CLASS = re.compile(
    r"^(HttpResponse\w*|(ORJSON|UJSON|JSON|Json|HTML|PlainText|Streaming|Template|SimpleTemplate|Redirect|"
    r"Error|Api|API)?Response)$"
)
# Where a sink's name may be imported from; a name imported from anywhere else is the project's own.
_WEB_PACKAGES = re.compile(
    r"^(flask|fastapi|starlette|django|rest_framework|werkzeug|quart|sanic|aiohttp|litestar|pyramid|falcon|"
    r"tornado|bottle|ninja|graphql|strawberry|graphene|flask_socketio|socketio|jinja2|connexion|chalice)\b"
)
# Sinks that need a qualifier to be sure (`messages.error(request, ...)`, DRF `serializers.ValidationError`).
_QUALIFIED_SINKS = re.compile(
    r"(^|\.)messages\.(error|warning|info|success|debug|add_message)$|"
    r"(^|\.)(serializers|exceptions|rest_framework\.exceptions)\.ValidationError$"
)
# Calls that read the active exception's traceback: always internal.
_TRACEBACK_CALLS = {
    "traceback.format_exc", "traceback.format_exception", "traceback.format_tb", "traceback.format_stack",
    "traceback.extract_tb", "traceback.format_exception_only", "sys.exc_info", "format_exc",
}
# Calls that turn an exception into text.
_TEXT_CALLS = {"str", "repr", "format", "unicode", "ascii"}
# Calls that read something harmless about an exception.
_HARMLESS_CALLS = {"type", "isinstance", "hasattr", "len", "id", "bool", "issubclass", "callable"}
# Attributes of an exception that say nothing about internals.
_SAFE_ATTRS = {"status_code", "code", "status", "__class__", "__name__", "http_status", "errno"}
# Calls that pass exception text through into a container or a string.
_CONTAINER_CALLS = {"dict", "list", "tuple", "set", "OrderedDict", "defaultdict"}
_TEXTISH_CALL = re.compile(r"(format|message|msg|text|string|str|detail|describe|escape|getattr|join|Markup|"
                           r"mark_safe|__str__|__repr__|safe)", re.IGNORECASE)
_MUTATORS = {"append", "extend", "update", "insert", "setdefault", "appendleft"}

# Exceptions meant for users (validation, HTTP and permission errors): their text is the message.
_USER_FACING = re.compile(
    r"(Validation|ValueError|HTTPException|HttpError$|APIException|NotFound|DoesNotExist|PermissionDenied|"
    r"Forbidden|Unauthori[sz]ed|NotAuthenticated|AuthenticationFailed|BadRequest|Conflict|Invalid|Expired|"
    r"Throttled|MethodNotAllowed|UnsupportedMediaType|ParseError|NotAcceptable|FormError|UserError|"
    r"KeyError|JSONDecodeError|Http404|SuspiciousOperation|RequestValidationError|MissingRequiredArgument|"
    r"ExpiredSignature|DecodeError|JWTError|PyJWTError|AuthError|LoginError|BadSignature|SignatureExpired)",
)
# Exceptions that carry internal details: broad catches, runtime, OS, database, network, process errors.
_INTERNAL = re.compile(
    r"^(Exception|BaseException|StandardError|OSError|IOError|EnvironmentError|RuntimeError|IndexError|"
    r"AttributeError|TypeError|NameError|ImportError|ModuleNotFoundError|ZeroDivisionError|ArithmeticError|"
    r"AssertionError|UnicodeDecodeError|UnicodeEncodeError|UnicodeError|LookupError|MemoryError|"
    r"RecursionError|NotImplementedError|FileNotFoundError|PermissionError|ConnectionError|TimeoutError|"
    r"BrokenPipeError|SystemError|OverflowError|IsADirectoryError|ReferenceError)$|"
    r"(SQLAlchemyError|DBAPIError|DatabaseError|IntegrityError|OperationalError|ProgrammingError|DataError|"
    r"InterfaceError|InternalError|StatementError|NoResultFound|MultipleResultsFound|CalledProcessError|"
    r"SubprocessError|PickleError|PicklingError|UnpicklingError|RequestException|ConnectionError|"
    r"ClientError|BotoCoreError|RedisError|PyMongoError|OperationFailure|TemplateError|TemplateSyntaxError|"
    r"UndefinedError|SSLError|socket\.error|gaierror|ProxyError|HTTPError$)"
)
# DB-API error names that other libraries reuse; internal only when they come from a database driver/ORM.
_DB_API_NAMES = {"DataError", "InterfaceError", "InternalError", "ProgrammingError", "OperationalError",
                 "IntegrityError", "DatabaseError", "Error"}
_DB_MODULES = re.compile(r"^(sqlalchemy|psycopg|psycopg2|django\.db|pymysql|MySQLdb|mysql|sqlite3|asyncpg|aiopg|"
                         r"aiomysql|peewee|tortoise|pymongo|motor|cx_Oracle|oracledb|sqlmodel|databases|pyodbc)")
_VIEW_DECORATORS = {
    "route", "get", "post", "put", "patch", "delete", "api_route", "api_view", "action", "websocket",
    "view_config", "require_http_methods", "require_POST", "require_GET", "require_safe", "login_required",
    "csrf_exempt", "permission_required", "errorhandler", "app_errorhandler", "exception_handler",
}
_HANDLER_DECORATORS = {"errorhandler", "app_errorhandler", "exception_handler"}
_HANDLER_REGISTRATIONS = {"register_error_handler", "add_exception_handler"}
_VIEW_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "dispatch", "handle_exception"}
_EXC_PARAM = re.compile(r"^(e|ex|exc|err|error|exception|exc_info|_exc|_e|_err|_error)$|_(exc|error|exception)$")


def exception_kind(names: list[str], imports: dict[str, str] | None = None) -> str:
    """'internal' when any caught type may carry internal details, 'user' when all are meant for users,
    'unknown' otherwise (a project or library class this rule knows nothing about)."""
    kinds = []
    for name in names:
        short = name.rsplit(".", 1)[-1]
        head, _, rest = name.partition(".")
        origin = (imports or {}).get(head)
        qualified = f"{origin}.{rest}" if origin and rest else origin or name
        if short in _DB_API_NAMES and origin is not None and not _DB_MODULES.match(qualified):
            kinds.append("unknown")  # trafaret's DataError is a validation error, not the database's
        elif _INTERNAL.search(short) or _INTERNAL.search(name):
            kinds.append("internal")
        elif _USER_FACING.search(short):
            kinds.append("user")
        else:
            kinds.append("unknown")
    if any(n.rsplit(".", 1)[-1] in ("Exception", "BaseException") for n in names):
        return "internal"
    if "user" in kinds:
        # `except (TypeError, ValueError)` around parsing input: the handler is about bad input
        return "user"
    if "internal" in kinds:
        return "internal"
    return "unknown"


def _type_names(node: ast.expr | None) -> list[str]:
    if node is None:
        return ["BaseException"]
    if isinstance(node, ast.Tuple):
        return [n for e in node.elts for n in _type_names(e)]
    return [dotted(node) or "?"]


def _sink_name(func: ast.expr, imports: dict[str, str] | None = None) -> str | None:
    """The sink a call writes to, or None when the call is not a response-building call. A bare name
    imported from outside the web frameworks (the project's own `ErrorResponse` model) is not a sink."""
    name = dotted(func)
    if name is None:
        return None
    short = name.rsplit(".", 1)[-1]
    if imports and "." not in name and imports.get(name, "").startswith("rest_framework.exceptions."):
        return short  # DRF turns its exceptions (ValidationError, NotFound, ...) into the response body
    if short in _SINK_CALLS or _RESPONSE_CLASS.match(short):
        if imports:
            origin = imports.get(name.split(".", 1)[0])
            if origin is not None and not _WEB_PACKAGES.match(origin):
                return None
        return short
    if _QUALIFIED_SINKS.search(name):
        return name
    return None


def _is_5xx(call: ast.Call | None, extra: list[ast.expr] = ()) -> bool:
    """Whether a response call (or a returned tuple) carries a 5xx status code."""
    values: list[ast.expr] = list(extra)
    if call is not None:
        values += call.args + [k.value for k in call.keywords if k.arg in ("status", "status_code", "code")]
    for value in values:
        if isinstance(value, ast.Constant) and isinstance(value.value, int) and 500 <= value.value < 600:
            return True
        text = dotted(value) or ""
        if re.search(r"(HTTP_5\d\d|INTERNAL_SERVER_ERROR|SERVICE_UNAVAILABLE)", text):
            return True
    return False


class _Scan:
    """Follows exception text through one block of statements (an except body or an error handler)."""

    def __init__(self, sources: set[str], imports: dict[str, str] | None = None):
        self.imports = imports
        # exception variables whose text leaks, and locals holding such text -> where that text was built
        self.sources = sources
        self.tainted: dict[str, list[ast.expr]] = {}
        self.loose = False
        # names whose last assignment in the block holds no exception text
        self.cleared: set[str] = set()

    # -- expressions ---------------------------------------------------------------------------------

    def direct(self, node: ast.AST) -> bool:
        """Whether an expression mentions an exception source itself (not through a local)."""
        for sub in _walk_expr(node):
            if isinstance(sub, ast.Name) and sub.id in self.sources:
                return True
            if isinstance(sub, ast.Call) and (dotted(sub.func) or "") in _TRACEBACK_CALLS:
                return True
        return False

    @staticmethod
    def traceback_in(node: ast.AST) -> bool:
        return any(isinstance(s, ast.Call) and (dotted(s.func) or "") in _TRACEBACK_CALLS for s in _walk_expr(node))

    def units(self, node: ast.AST) -> tuple[bool, list[ast.expr]]:
        """(whole, parts): whether the expression as a whole is exception text, else the parts that are.
        With `self.loose`, a call this rule does not know passes its arguments' text through (a handler
        returning `error_response(str(e))` sends that text)."""
        if isinstance(node, ast.Name):
            return node.id in self.sources or node.id in self.tainted, []
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in self.sources and node.attr in _SAFE_ATTRS:
                return False, []
            return self.units(node.value)
        if isinstance(node, ast.Subscript):
            whole, parts = self.units(node.value)
            return whole, parts + self.parts_of(node.slice)
        if isinstance(node, ast.Call):
            return self._call_units(node)
        if isinstance(node, ast.JoinedStr):
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    whole, parts = self.units(value.value)
                    if whole or parts:
                        return True, []
            return False, []
        if isinstance(node, ast.BinOp):
            left_whole, left_parts = self.units(node.left)
            right_whole, right_parts = self.units(node.right)
            if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
                # "template %s" % str(e): the operand is the leak, the template stays
                return False, ([node.right] if right_whole else right_parts)
            if left_whole or right_whole:
                return True, []
            return False, left_parts + right_parts
        if isinstance(node, (ast.Lambda, ast.Compare)):
            return False, []
        if isinstance(node, ast.IfExp) and any(
            "debug" in (dotted(n) or "").lower() for n in _walk_expr(node.test) if isinstance(n, (ast.Name, ast.Attribute))
        ):
            return False, []  # `traceback.format_exc() if settings.DEBUG else "Internal error"`
        if isinstance(node, ast.Starred):
            return self.units(node.value)
        parts: list[ast.expr] = []
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                parts += self.parts_of(child)
        return False, parts

    def _call_units(self, node: ast.Call) -> tuple[bool, list[ast.expr]]:
        name = dotted(node.func) or ""
        short = name.rsplit(".", 1)[-1]
        if name in _TRACEBACK_CALLS:
            return True, []
        if _sink_name(node.func, self.imports) is not None or _is_log_call(name) or short in _HARMLESS_CALLS:
            return False, []  # a nested response call is judged on its own; logging is fine
        args = [*node.args, *(k.value for k in node.keywords)]
        if isinstance(node.func, ast.Attribute):
            if self.units(node.func.value)[0]:
                return True, []  # a method of exception text: `str(e).split()`, `e.__str__()`
            if short == "format" and isinstance(node.func.value, ast.Constant):
                return False, [p for a in args for p in self.parts_of(a)]
        if short == "getattr" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                and node.args[1].value in _SAFE_ATTRS:
            return False, []
        if short in _CONTAINER_CALLS:
            return False, [p for a in args for p in self.parts_of(a)]
        if name in _TEXT_CALLS or _TEXTISH_CALL.search(short):
            results = [self.units(a) for a in args]
            if any(whole for whole, _ in results):
                return True, []
            return False, [p for _, parts in results for p in parts]
        if self.loose:
            # text already made from the exception passes through; the bare exception object handed to a
            # helper (`handlers[kind](exc, context)`) says nothing about what the helper sends
            return False, [p for a in args for p in self.parts_of(a)
                           if not (isinstance(p, ast.Name) and p.id in self.sources)]
        return False, []

    def parts_of(self, node: ast.expr | None, loose: bool = False) -> list[ast.expr]:
        """The expression itself when it is exception text, else the parts of it that are."""
        if node is None:
            return []
        self.loose, before = loose, self.loose
        try:
            whole, parts = self.units(node)
        finally:
            self.loose = before
        return [node] if whole else parts

    def origins(self, unit: ast.expr) -> list[ast.expr]:
        """Where the text of a leaking expression was built: itself, or the assignments of locals it reads."""
        found: list[ast.expr] = [unit] if self.direct(unit) else []
        for sub in _walk_expr(unit):
            if isinstance(sub, ast.Name) and sub.id in self.tainted and sub.id not in self.sources:
                for origin in self.tainted[sub.id]:
                    if origin not in found:
                        found.append(origin)
        return found

    # -- statements ----------------------------------------------------------------------------------

    def learn(self, statements: list[ast.stmt]) -> None:
        """Record locals that come to hold exception text (two rounds cover `a = str(e); b = a + ...`)."""
        for _ in range(2):
            before = sum(len(v) for v in self.tainted.values())
            for node in _walk_block(statements, False):
                if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    self._taint(targets, node.value)
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr in _MUTATORS and isinstance(node.func.value, (ast.Name, ast.Attribute)):
                    for arg in [*node.args, *(k.value for k in node.keywords)]:
                        self._taint([node.func.value], arg)
            if sum(len(v) for v in self.tainted.values()) == before:
                break

    def _taint(self, targets: list[ast.expr], value: ast.expr) -> None:
        units = self.parts_of(value)
        if not units:
            for target in targets:
                if isinstance(target, ast.Name):
                    self.cleared.add(target.id)
            return
        origins = [o for u in units for o in self.origins(u)]
        for target in targets:
            for name in _target_names(target):
                if name in self.sources:
                    continue
                self.cleared.discard(name)
                known = self.tainted.setdefault(name, [])
                for origin in origins:
                    if origin not in known:
                        known.append(origin)


def _web_module(imports: dict[str, str]) -> bool:
    """Whether a module imports anything from a web framework (views, error handlers, API code do)."""
    return any(_WEB_PACKAGES.match(target) for target in imports.values())


def _uses_exception(node: ast.ExceptHandler) -> bool:
    """Whether an except block mentions its exception or a traceback at all (most only log and re-raise)."""
    name = node.name
    for sub in _walk_block(node.body, False):
        if name is not None and sub.__class__ is ast.Name and sub.id == name:
            return True
        if sub.__class__ is ast.Attribute and sub.attr in ("format_exc", "format_exception", "format_tb",
                                                          "exc_info", "format_stack", "extract_tb"):
            return True
        if sub.__class__ is ast.Name and sub.id in ("format_exc", "exc_info"):
            return True
    return False


def _accepts(kind: str, item: dict) -> bool:
    """Whether a leak counts for the kind of exception caught: internal ones always, unknown ones in a 5xx
    response, user-facing ones (and HTTP status handlers) only when a traceback is sent."""
    if item["traceback"]:
        return True
    if kind == "internal":
        return True
    return kind == "unknown" and item["five"]


def _walk_expr(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes of an expression, not entering lambdas or comprehensions' own scopes' bodies twice."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, ast.Lambda):
            continue
        stack.extend(ast.iter_child_nodes(current))


def _walk_block(statements: list[ast.stmt], skip_except: bool) -> Iterator[ast.AST]:
    """Nodes of a block, in source order, not entering nested functions and classes (nor except blocks
    when asked: those are checked on their own)."""
    stack: list[ast.AST] = list(reversed(statements))
    while stack:
        current = stack.pop()
        if skip_except and isinstance(current, ast.ExceptHandler):
            continue
        yield current
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(current))))


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _target_names(e)]
    while isinstance(target, (ast.Attribute, ast.Subscript)):
        target = target.value
    return [target.id] if isinstance(target, ast.Name) else []


def _is_log_call(name: str) -> bool:
    short = name.rsplit(".", 1)[-1]
    if short in ("exception", "critical", "warning", "warn", "info", "debug", "log", "capture_exception",
                 "capture_message", "print", "write", "print_exc"):
        return True
    return short == "error" and not re.search(r"(^|\.)messages\.error$", name)


def _pos(node: ast.expr) -> list[int]:
    return [node.lineno, node.col_offset, node.end_lineno or node.lineno, node.end_col_offset or node.col_offset]


def looks_like_view(func: Any, cls: Any) -> bool:
    """Whether a function reads as a request handler without the project model: route decorators, a
    `request` first parameter (Django), or an HTTP-method name on a class-based view."""
    if func is None:
        return False
    for decorator in func.decorators:
        name = getattr(decorator, "func", None) or getattr(decorator, "name", None) or ""
        if name.rsplit(".", 1)[-1] in _VIEW_DECORATORS:
            return True
    names = [p.name for p in func.params]
    if names and names[0] in ("request", "req"):
        return True
    if cls is not None and func.name in _VIEW_METHODS and len(names) >= 2 and names[1] in ("request", "req"):
        return True
    return False


class ExceptionDetailInResponse(Rule):
    code = "BC501"
    name = "exception-detail-in-response"
    severity = "error"
    checklist = "Error messages leak nothing"
    node_types = (ast.ExceptHandler, ast.FunctionDef, ast.AsyncFunctionDef, ast.Call)
    fix_title = "Send a generic message and log the exception"
    fix_applicability = "unsafe"

    # -- the walk ------------------------------------------------------------------------------------

    def __init__(self) -> None:
        # per file being walked: def line -> function node, so an except block can see the code after it
        self._defs: WeakKeyDictionary[FileContext, dict[int, ast.AST]] = WeakKeyDictionary()

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Call):
            self._registration(node, ctx)
            return
        if is_test_path(ctx.path):
            return
        if isinstance(node, ast.ExceptHandler):
            self._except(node, ctx)
        else:
            self._defs.setdefault(ctx, {})[node.lineno] = node
            self._handler_function(node, ctx)

    def _registration(self, node: ast.Call, ctx: FileContext) -> None:
        """Remember `app.register_error_handler(Exc, fn)` / `add_exception_handler` and
        `FastAPI(exception_handlers={Exc: fn})` so the project pass can check `fn`."""
        func = node.func
        if not node.keywords and not (func.__class__ is ast.Attribute and func.attr in _HANDLER_REGISTRATIONS):
            return
        if isinstance(func, ast.Attribute) and func.attr in _HANDLER_REGISTRATIONS and len(node.args) >= 2:
            handler = dotted(node.args[1])
            if handler:
                ctx.remember(self, ("registered", handler.rsplit(".", 1)[-1], self._registered_kind(node.args[0])))
            return
        for keyword in node.keywords:
            if keyword.arg == "exception_handlers" and isinstance(keyword.value, ast.Dict):
                for key, value in zip(keyword.value.keys, keyword.value.values):
                    handler = dotted(value) if value is not None else None
                    if handler and key is not None:
                        ctx.remember(self, ("registered", handler.rsplit(".", 1)[-1], self._registered_kind(key)))

    @staticmethod
    def _registered_kind(node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return "status"
        return exception_kind(_type_names(node))

    def _except(self, node: ast.ExceptHandler, ctx: FileContext) -> None:
        if not _uses_exception(node):
            return
        kind = exception_kind(_type_names(node.type), ctx.facts.imports)
        scan = _Scan({node.name} if node.name else set(), ctx.facts.imports)
        view = looks_like_view(ctx.func, ctx.cls)
        handler = [node.lineno, node.col_offset]
        for item in self._leaks(scan, node.body, skip_except=False):
            if _accepts(kind, item):
                self._emit(ctx, item, view, handler=handler, exc_param=None)
        # text kept in a local and sent after the except block: `error = str(e)` ... `render(..., error)`
        kept = {name: origins for name, origins in scan.tainted.items() if name not in scan.cleared}
        func_node = self._defs.get(ctx, {}).get(ctx.func.line) if kept and ctx.func is not None else None
        if func_node is None:
            return
        after = _Scan(set(), ctx.facts.imports)
        after.tainted = kept
        for item in self._leaks(after, func_node.body, skip_except=False, after_line=node.end_lineno or node.lineno):
            if _accepts(kind, item):
                self._emit(ctx, item, view, handler=handler, exc_param=None)

    def _handler_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext) -> None:
        """Error handlers: the exception they receive is the source."""
        decorated_kind = None
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute) \
                    and decorator.func.attr in _HANDLER_DECORATORS:
                decorated_kind = self._registered_kind(decorator.args[0]) if decorator.args else "internal"
        positional = [a for a in [*node.args.posonlyargs, *node.args.args] if a.arg not in ("self", "cls")]
        exc_arg = next((a for a in positional if a.arg not in ("request", "req", "context", "ctx", "scope")), None)
        if exc_arg is None:
            return
        if decorated_kind is None:
            # not decorated: a candidate only when it looks like it receives an exception
            annotation = dotted(exc_arg.annotation) if exc_arg.annotation is not None else ""
            if not (_EXC_PARAM.search(exc_arg.arg) or re.search(r"(Exception|Error)$", annotation or "")):
                return
        scan = _Scan({exc_arg.arg}, ctx.facts.imports)
        for item in self._leaks(scan, node.body, skip_except=True):
            item["function"] = node.name
            if decorated_kind is not None:
                if _accepts(decorated_kind, item):
                    self._emit(ctx, item, True, handler=None, exc_param=exc_arg.arg)
            else:
                # decided in the project pass, once we know whether and how it is registered
                item["handler"], item["exc_param"] = None, exc_arg.arg
                ctx.remember(self, ("candidate", node.name, item))

    def _leaks(self, scan: _Scan, body: list[ast.stmt], skip_except: bool, after_line: int = 0) -> Iterator[dict]:
        """Every response sink in the block (after `after_line` when given) that receives exception text,
        as picklable dicts."""
        if not after_line:
            scan.learn(body)
        statuses: dict[int, list[ast.expr]] = {}
        for node in _walk_block(body, skip_except):
            if after_line and (not isinstance(node, (ast.Call, ast.Return)) or node.lineno <= after_line):
                continue
            if isinstance(node, ast.Call):
                sink = _sink_name(node.func, scan.imports)
                if sink is None:
                    continue
                units = [u for a in [*node.args, *(k.value for k in node.keywords)] for u in scan.parts_of(a)]
                if units:
                    yield self._item(scan, units, f"{sink}(...)", "call", _is_5xx(node, statuses.get(id(node), [])))
            elif isinstance(node, ast.Return) and node.value is not None:
                extra = node.value.elts if isinstance(node.value, ast.Tuple) else []
                for element in extra:
                    statuses[id(element)] = extra
                units = scan.parts_of(node.value, loose=True)
                if units:
                    yield self._item(scan, units, "return", "return", _is_5xx(None, extra))

    @staticmethod
    def _item(scan: _Scan, units: list[ast.expr], sink: str, kind: str, five: bool) -> dict:
        first = units[0]
        origins = [o for u in units for o in scan.origins(u)]
        try:
            text = ast.unparse(first)
        except (ValueError, AttributeError, RecursionError):
            text = "exception text"
        if len(text) > 40:
            text = text[:37] + "..."
        return {
            "pos": _pos(first),
            "origins": [_pos(o) for o in dict.fromkeys(origins)],
            "sink": sink,
            "kind": kind,
            "text": text,
            "five": five,
            "traceback": any(scan.traceback_in(o) for o in origins),
            "local": isinstance(first, ast.Name) and first.id in scan.tainted,
        }

    def _emit(self, ctx: FileContext, item: dict, view: bool, handler: list[int] | None,
              exc_param: str | None) -> None:
        item = {**item, "handler": handler, "exc_param": exc_param}
        if "function" not in item:
            item["function"] = ctx.func.qualname if ctx.func is not None else ""
        if item["kind"] == "return" and not view or not _web_module(ctx.facts.imports):
            # a plain `return` leaks only from a route handler, and a module that imports no web framework
            # (a library's own `abort()`) only matters when a route runs it: the project pass knows the routes
            ctx.remember(self, ("return", item))
            return
        ctx.findings.append(self._finding(ctx.path, item))

    def _finding(self, path: str, item: dict) -> Finding:
        where = "is returned to the client" if item["kind"] == "return" else f"goes into {item['sink']}"
        what = f"`{item['text']}` holds exception text that" if item.get("local") else \
            f"exception text `{item['text']}`"
        message = f"{what} {where}; send a generic message and log the exception instead"
        line, col, end_line, end_col = item["pos"]
        data = {k: item[k] for k in ("origins", "handler", "exc_param", "function", "sink")}
        return self.finding(path, (line, col, end_line, end_col), message, **data)

    # -- the project pass ----------------------------------------------------------------------------

    def check_project(self, project: Project) -> Iterable[Finding]:
        registered: dict[str, str] = {}
        for facts in project.files.values():
            for entry in facts.rule_data.get(self.code, ()):
                if entry[0] == "registered":
                    registered.setdefault(entry[1], entry[2])
            drf = facts.assigns.get("REST_FRAMEWORK")
            if drf is not None and isinstance(drf[0], Map):
                # REST_FRAMEWORK = {"EXCEPTION_HANDLER": "app.errors.api_exception_handler"}
                for key, value in zip(drf[0].keys, drf[0].values):
                    if isinstance(key, Const) and key.value == "EXCEPTION_HANDLER" and isinstance(value, Const) \
                            and isinstance(value.value, str):
                        registered.setdefault(value.value.rsplit(".", 1)[-1], "internal")
        handlers: set[tuple[str, str]] | None = None
        for facts in project.files.values():
            entries = facts.rule_data.get(self.code)
            if not entries:
                continue
            for entry in entries:
                if entry[0] == "candidate":
                    _, name, item = entry
                    if name in registered and _accepts(registered[name], item):
                        yield self._finding(facts.path, item)
                elif entry[0] == "return":
                    if handlers is None:
                        handlers = {(r.file, r.handler.qualname) for r in project.routes if r.handler is not None}
                    if (facts.path, entry[1]["function"]) in handlers:
                        yield self._finding(facts.path, entry[1])

    # -- the quick fix -------------------------------------------------------------------------------

    def fix(self, finding: Finding, text: str, project: Project | None):
        from backcheck.fixes.leak import generic_message_fix

        return generic_message_fix(self.fix_title, self.fix_applicability, text, finding.data)


__all__ = ["Const", "ExceptionDetailInResponse", "exception_kind", "looks_like_view"]
