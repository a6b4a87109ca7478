"""Runtime oracle for Django and DRF: every URL pattern of a configured project, its handler and auth.

Run it with the app's own interpreter (the app's venv), never backcheck's:

    python benchmarks/oracle/django_routes.py --settings mysite.settings --root CHECKOUT \
        [--pythonpath DIR] --name APP --out OUT.json [--flip SETTING=VALUE ...] \
        [--feature SETTING=VALUE ...] [--run-handlers] [--after-setup CODE]

It sets Django up, walks `get_resolver()` and writes one record per (URL pattern, HTTP method) in the
oracle format of benchmarks/oracle/README.md. Handlers are found the way Django calls them: unwrapped
decorators, `view_class` for class-based views (methods resolved through the MRO), `cls` + `actions`
for DRF viewsets, the wrapped function of `@api_view`.

Auth is decided by behaviour. The handler is swapped for a sentinel (a class view's method or
viewset action on its class; a function view is stopped by a trace hook where its own body starts),
then an anonymous request (RequestFactory, path parameters filled with "1", no credentials) goes
through the app's whole middleware chain and the real view callable; when the chain stops short for
a reason that is not a refusal (a middleware that needs a service the oracle does not run), the
request goes through each middleware's `process_view` and the view alone. When the sentinel runs,
an anonymous request reaches the handler (auth false); a 401/403, a redirect to the login URL or
PermissionDenied before it means auth true; anything else (a database error on the way, say) falls
back to the gates the view declares (DRF permission classes asked `has_permission` for that
request, decorators whose test refuses an anonymous user, `AccessMixin` subclasses that override
`dispatch`), noted `decided by introspection`, or leaves auth null. `auth_via` names what refused:
the DRF permission classes that say no, the caller of `handle_no_permission`/`redirect_to_login`,
or the middleware, decorator wrapper or `dispatch` that handed back the refusing response.

- `--flip SETTING=VALUE` probes a refused route again under that setting: one that opens then is
  noted `conditional: open when ...`.
- `--feature SETTING=VALUE` probes a route that stopped short again with a feature switch on (an
  integration page that answers 404 until configured): reached then means auth false.
- `--run-handlers` (throwaway database only) lets a reached handler answer, in a rolled-back
  transaction: a handler that refuses itself (a dispatcher calling `@authorize` functions) is
  recorded auth true, `auth_via` "... (in the handler)". Without it a check inside the handler
  body is invisible.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import functools
import inspect
import json
import logging
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

HTTP = ("get", "post", "put", "patch", "delete")
EXTRA_HTTP = ("head", "options", "trace")


class Reached(Exception):
    """Raised by the sentinel that stands in for a handler."""


@dataclass
class Probe:
    reached: bool = False
    outcome: str = ""  # "reached" | "refused" | "unknown"
    detail: str = ""
    refused_by: list[str] = field(default_factory=list)
    status: int | None = None


_STATE = {"reached": False}


def _sentinel_method(self, *args, **kwargs):
    _STATE["reached"] = True
    raise Reached()


# -- source locations ----------------------------------------------------------------------------


@functools.cache
def _defs(path: str) -> dict[str, list[int]]:
    """qualname -> def/class lines (the `def`/`class` keyword line, after decorators)."""
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return {}
    out: dict[str, list[int]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                out.setdefault(name, []).append(child.lineno)
                inner = f"{name}.<locals>." if not isinstance(child, ast.ClassDef) else f"{name}."
                visit(child, inner)
            else:
                visit(child, prefix)

    visit(tree, "")
    return out


def _source_file(obj: Any) -> str | None:
    try:
        path = inspect.getsourcefile(obj) or inspect.getfile(obj)
    except (TypeError, OSError):
        return None
    return os.path.realpath(path) if path else None


def _func_location(func: Any) -> tuple[str, int] | None:
    func = inspect.unwrap(func) if callable(func) else func
    code = getattr(func, "__code__", None)
    path = _source_file(func)
    if code is None or path is None:
        return None
    lines = _defs(path).get(func.__qualname__, [])
    after = [n for n in lines if n >= code.co_firstlineno]
    if after:
        return path, min(after)
    return path, code.co_firstlineno


def _class_location(cls: type) -> tuple[str, int] | None:
    path = _source_file(cls)
    if path is None:
        return None
    lines = _defs(path).get(cls.__qualname__, [])
    if lines:
        return path, lines[-1]  # a redefined class name: the last definition is the live one
    try:
        return path, inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None


# -- the URL walk --------------------------------------------------------------------------------


def _readable(pattern_text: str, is_regex: bool) -> str:
    if not is_regex:
        return pattern_text
    text = pattern_text.removeprefix("^")
    text = re.sub(r"(\$|\\Z)$", "", text)
    out, index = "", 0
    while index < len(text):
        if text.startswith("(?P<", index):
            end = text.find(">", index)
            name = text[index + 4:end]
            depth, cursor = 0, index
            while cursor < len(text):
                if text[cursor] == "\\":
                    cursor += 2
                    continue
                depth += {"(": 1, ")": -1}.get(text[cursor], 0)
                if depth == 0:
                    break
                cursor += 1
            out += f"<{name}>"
            index = cursor + 1
            continue
        out += text[index]
        index += 1
    out = out.replace("/?", "/").replace("\\.", ".").replace("\\-", "-").replace("\\/", "/")
    return out


def walk(patterns: list[Any], prefix: list[tuple[Any, bool]], kwargs: dict[str, Any],
         out: list[tuple[list[tuple[Any, bool]], Any, dict[str, Any]]]) -> None:
    from django.urls import URLPattern, URLResolver
    from django.urls.resolvers import RegexPattern

    for entry in patterns:
        is_regex = isinstance(entry.pattern, RegexPattern)
        chain = prefix + [(entry.pattern, is_regex)]
        if isinstance(entry, URLResolver):
            walk(entry.url_patterns, chain, {**kwargs, **(entry.default_kwargs or {})}, out)
        elif isinstance(entry, URLPattern):
            out.append((chain, entry, {**kwargs, **(entry.default_args or {})}))


def _path_of(chain: list[tuple[Any, bool]]) -> str:
    text = "".join(_readable(str(p), is_regex) for p, is_regex in chain)
    return "/" + re.sub(r"/{2,}", "/", text).lstrip("/")


def _format_suffix(pattern: Any, is_regex: bool) -> bool:
    """A DRF `format_suffix_patterns` duplicate (`.json` after the route): the same handler again."""
    if is_regex:
        return "(?P<format>" in str(pattern)
    converter = getattr(pattern, "converters", {}).get("format")
    return converter is not None and "suffix" in type(converter).__name__.lower()


def _sample_kwargs(chain: list[tuple[Any, bool]]) -> tuple[list[str], dict[str, Any]]:
    """Path parameters filled with "1" (through each converter when it takes it)."""
    args: list[str] = []
    kwargs: dict[str, Any] = {}
    for pattern, is_regex in chain:
        if is_regex:
            regex = pattern.regex
            if regex.groupindex:
                kwargs.update({name: "1" for name in regex.groupindex})
            else:
                args.extend("1" for _ in range(regex.groups))
            continue
        for name, converter in getattr(pattern, "converters", {}).items():
            sample = "00000000-0000-0000-0000-000000000001" if "uuid" in type(converter).__name__.lower() else "1"
            try:
                kwargs[name] = converter.to_python(sample)
            except (ValueError, TypeError):
                kwargs[name] = sample
    return args, kwargs


# -- handlers ------------------------------------------------------------------------------------


@dataclass
class Handler:
    method: str  # "GET", ..., or "*" for a function view that takes any method
    function: str
    view_class: type | None  # the class whose attribute is swapped for the probe
    attr: str | None  # the attribute swapped (a method or DRF action name)
    func: Any  # the code that runs (for its location); None for a library-provided method
    owner: type | None  # the class in the MRO that defines attr
    action: str | None = None
    swap_class: type | None = None  # where attr is swapped, when not on view_class
    api_view: bool = False  # an `@api_view` function: func is the function, cls DRF's wrapper


def _wrapper_chain(callback: Any) -> list[Any]:
    chain, current, seen = [], callback, set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = getattr(current, "__wrapped__", None)
    return chain


def _closure_vars(func: Any) -> dict[str, Any]:
    code, closure = getattr(func, "__code__", None), getattr(func, "__closure__", None)
    if code is None or not closure:
        return {}
    out = {}
    for name, cell in zip(code.co_freevars, closure):
        try:
            out[name] = cell.cell_contents
        except ValueError:
            continue
    return out


def _resolve_attr(cls: type, name: str) -> tuple[type | None, Any]:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass, klass.__dict__[name]
    return None, None


def _api_view_function(cls: type) -> Any:
    """The function an `@api_view` wrapped (DRF builds a class whose methods call it)."""
    for name in HTTP + EXTRA_HTTP:
        method = cls.__dict__.get(name)
        if method is None:
            continue
        for value in _closure_vars(method).values():
            if inspect.isfunction(value) and value.__name__ == cls.__name__:
                return value
    return None


def handlers_of(callback: Any) -> list[Handler]:
    chain = _wrapper_chain(callback)
    cls = None
    actions = None
    for item in chain:
        if getattr(item, "cls", None) is not None and getattr(item, "actions", None):
            cls, actions = item.cls, item.actions
            break
        if getattr(item, "view_class", None) is not None:
            cls = item.view_class
            break
    if cls is None:
        inner = chain[-1]
        name = getattr(inner, "__qualname__", getattr(inner, "__name__", repr(inner)))
        methods = _function_methods(chain)
        return [Handler(m, name, None, None, inner, None) for m in methods]
    out = []
    if actions:
        for method, action in actions.items():
            if method in ("head", "options") and method != action:
                continue
            owner, func = _resolve_attr(cls, action)
            out.append(Handler(method.upper(), f"{cls.__name__}.{action}", cls, action, func, owner,
                               action=action))
        return out
    wrapped = _api_view_function(cls)
    names = [n for n in getattr(cls, "http_method_names", HTTP) if n not in ("head", "options")]
    for name in names:
        owner, func = _resolve_attr(cls, name)
        if owner is None:
            continue
        if wrapped is not None:
            out.append(Handler(name.upper(), wrapped.__qualname__, cls, name, wrapped, owner, api_view=True))
        else:
            out.append(Handler(name.upper(), f"{cls.__name__}.{name}", cls, name, func, owner))
    for name in ("head", "options"):
        owner, func = _resolve_attr(cls, name)
        if owner is not None and _in_root(_source_file(owner)) and wrapped is None:
            out.append(Handler(name.upper(), f"{cls.__name__}.{name}", cls, name, func, owner))
    if not out:
        # A view that answers every method in dispatch (a GraphQL view, say): the handler is the
        # nearest dispatch; the probe swaps the first library dispatch after it, so that a check
        # the project's dispatch makes before delegating still counts as a gate.
        owner, func = _resolve_attr(cls, "dispatch")
        if owner is not None:
            later = [k for k in cls.__mro__[cls.__mro__.index(owner) + 1:] if "dispatch" in k.__dict__]
            swap = owner if _in_root(_source_file(owner)) is False else None
            if swap is None:
                swap = next((k for k in later if not _in_root(_source_file(k))), owner)
            out.append(Handler("*", f"{cls.__name__}.dispatch", cls, "dispatch", func, owner, swap_class=swap))
    return out


def _function_methods(chain: list[Any]) -> list[str]:
    for wrapper in chain:
        allowed = _closure_vars(wrapper).get("request_method_list")
        if allowed:
            return sorted({m.upper() for m in allowed if m.upper() not in ("HEAD", "OPTIONS")}) or ["GET"]
    return ["*"]


ROOT = ""
RUN_HANDLERS = False


def _in_root(path: str | None) -> bool:
    return bool(path) and (path == ROOT or path.startswith(ROOT + os.sep)) and "site-packages" not in path


# -- the probe -----------------------------------------------------------------------------------


def _host() -> str:
    from django.conf import settings

    hosts = [h.lstrip(".") for h in settings.ALLOWED_HOSTS if h not in ("*", "")]
    return hosts[0] if hosts and "*" not in settings.ALLOWED_HOSTS else "testserver"


def _anonymous_request(method: str, path: str) -> Any:
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.signed_cookies import SessionStore
    from django.test import RequestFactory

    verb = "GET" if method == "*" else method
    request = RequestFactory().generic(verb, _concrete(path), secure=True, HTTP_ACCEPT="*/*", HTTP_HOST=_host())
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._dont_enforce_csrf_checks = True
    with contextlib.suppress(Exception):  # the messages app may be absent
        from django.contrib.messages.storage.fallback import FallbackStorage

        request._messages = FallbackStorage(request)
    return request


_MIDDLEWARE: list[tuple[str, Any]] | None = None


def _view_middleware() -> list[tuple[str, Any]]:
    global _MIDDLEWARE
    if _MIDDLEWARE is None:
        from django.conf import settings
        from django.utils.module_loading import import_string

        _MIDDLEWARE = []
        for dotted in settings.MIDDLEWARE:
            try:
                instance = import_string(dotted)(lambda request: None)
            except Exception:  # noqa: BLE001, S112 - MiddlewareNotUsed and friends
                continue
            if hasattr(instance, "process_view"):
                _MIDDLEWARE.append((dotted, instance))
    return _MIDDLEWARE


def _refusal(response: Any) -> str | None:
    """Why a response refuses an anonymous request, or None when it does not."""
    from django.conf import settings
    from django.shortcuts import resolve_url

    status = getattr(response, "status_code", None)
    if status in (401, 403):
        return f"{status}"
    if status in (301, 302, 303, 307, 308):
        location = response.get("Location", "") if hasattr(response, "get") else ""
        try:
            login = str(resolve_url(settings.LOGIN_URL))
        except Exception:  # noqa: BLE001
            login = str(settings.LOGIN_URL)
        if location.split("?")[0].rstrip("/").endswith(login.rstrip("/")) or "next=" in location:
            return f"{status} to {location.split('?')[0]}"
    return None


# What a gate calls when it turns a request away: Django's access mixins, `user_passes_test`, DRF.
_REFUSING_CALLS = frozenset({"handle_no_permission", "redirect_to_login", "permission_denied"})


def probe(callback: Any, handler: Handler, method: str, path: str, args: list[str],
          kwargs: dict[str, Any]) -> Probe:
    """The anonymous request through each middleware's process_view, then the view callable."""
    from django.core.exceptions import PermissionDenied

    result = Probe()
    request = _anonymous_request(method, path)
    for dotted, instance in _view_middleware():
        try:
            response = instance.process_view(request, callback, args, kwargs)
        except PermissionDenied:
            result.outcome, result.detail = "refused", f"{dotted}.process_view: PermissionDenied"
            result.refused_by.append(dotted.rsplit(".", 1)[-1])
            return result
        except Exception as exc:  # noqa: BLE001
            result.detail = f"{dotted}.process_view raised {type(exc).__name__}; "
            continue
        if response is not None:
            why = _refusal(response)
            result.outcome = "refused" if why else "unknown"
            result.detail += f"{dotted}.process_view answered {why or response.status_code}"
            if why:
                result.refused_by.append(dotted.rsplit(".", 1)[-1])
            return result
    return _judge(result, *_traced(lambda: callback(request, *args, **kwargs), handler, callback))


def stack_probe(callback: Any, handler: Handler, method: str, path: str, args: list[str],
                kwargs: dict[str, Any]) -> Probe:
    """The anonymous request through the app's whole middleware chain (`__call__`, process_request,
    process_view, process_exception), ending in the view callable instead of URL resolution."""
    from django.test import RequestFactory

    stack = _stack()
    request = RequestFactory().generic("GET" if method == "*" else method, _concrete(path), secure=True,
                                       HTTP_ACCEPT="*/*", HTTP_HOST=_host())
    request._dont_enforce_csrf_checks = True  # as the test client does
    stack.target = (callback, args, kwargs)
    result = _judge(Probe(), *_traced(lambda: stack.get_response(request), handler, callback))
    result.detail = "middleware stack: " + result.detail
    return result


_STACK: Any = None


def _stack() -> Any:
    global _STACK
    if _STACK is None:
        from django.core.handlers.base import BaseHandler

        class Stack(BaseHandler):
            target: Any = None

            def _get_response(self, request: Any) -> Any:
                view, args, kwargs = self.target
                for middleware_method in self._view_middleware:
                    response = middleware_method(request, view, args, kwargs)
                    if response is not None:
                        return response
                try:
                    response = view(request, *args, **kwargs)
                except Reached:
                    raise
                except Exception as exc:
                    for middleware_method in self._exception_middleware:
                        response = middleware_method(request, exc)
                        if response is not None:
                            return response
                    raise
                if callable(getattr(response, "render", None)):
                    for middleware_method in self._template_response_middleware:
                        response = middleware_method(request, response)
                    try:
                        response = response.render()
                    except Exception:  # noqa: BLE001 - a template that wants the database, say
                        from django.http import HttpResponse

                        plain = HttpResponse(status=response.status_code)
                        if response.has_header("Location"):
                            plain["Location"] = response["Location"]
                        response = plain
                return response

        _STACK = Stack()
        _STACK.load_middleware(is_async=False)
    return _STACK


def _concrete(path: str) -> str:
    """A request path for a pattern: each parameter filled with "1" (a UUID where one is wanted)."""
    def sample(match: re.Match[str]) -> str:
        return "00000000-0000-0000-0000-000000000001" if match.group(1) == "uuid" else "1"

    return re.sub(r"<(?:(\w+):)?\w+>", sample, path)


def _traced(call: Any, handler: Handler, callback: Any) -> tuple[Any, Any, list[str], list[tuple[Any, int]]]:
    """Run call() with the handler swapped for the sentinel, watching which gates refuse."""
    restore = _swap(handler)
    _STATE["reached"] = False
    refusers: list[str] = []
    gate_codes = _gate_codes(callback, handler.view_class)
    returned: list[tuple[Any, int]] = []
    target = None
    if handler.view_class is None and handler.func is not None:
        target = getattr(inspect.unwrap(handler.func), "__code__", None)

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "return" and arg is not None:
            returned.append((frame.f_code, id(arg)))
        return local

    def watch(frame: Any, event: str, _arg: Any) -> Any:
        if event != "call":
            return None
        code = frame.f_code
        if code is target:
            # A function view's own body is about to run: stop it there.
            _STATE["reached"] = True
            raise Reached()
        if code.co_name in _REFUSING_CALLS and frame.f_back is not None:
            caller = frame.f_back.f_code
            name = getattr(caller, "co_qualname", caller.co_name).split(".<locals>")[0]
            if name.rsplit(".", 1)[-1] not in _REFUSING_CALLS:
                refusers.append(_gate_name(name))
        return local if code in gate_codes else None

    sys.settrace(watch)
    try:
        response, error = call(), None
    except Reached:
        response, error = None, None
    except Exception as exc:  # noqa: BLE001
        response, error = None, exc
    finally:
        sys.settrace(None)
        restore()
    return response, error, refusers, returned


def _gate_name(qualname: str) -> str:
    name = qualname.split(".<locals>")[0]
    for suffix in (".dispatch", ".__call__", ".process_view", ".process_request"):
        name = name.removesuffix(suffix)
    return name


def _judge(result: Probe, response: Any, error: Any, refusers: list[str],
           returned: list[tuple[Any, int]]) -> Probe:
    from django.core.exceptions import PermissionDenied

    result.refused_by.extend(dict.fromkeys(refusers))
    if _STATE["reached"]:
        result.reached, result.outcome = True, "reached"
        result.detail += "the handler ran for an anonymous request"
        return result
    if isinstance(error, PermissionDenied):
        result.outcome, result.detail = "refused", result.detail + "PermissionDenied raised"
        return result
    if error is not None:
        result.outcome = "unknown"
        result.detail += f"{type(error).__name__} before the handler: {str(error)[:120]}"
        return result
    result.status = getattr(response, "status_code", None)
    why = _refusal(response)
    if why and not result.refused_by:
        # No gate called a refusing helper: name the middleware, decorator wrapper or dispatch
        # that first handed back the refusing response.
        first = next((code for code, ident in returned if ident == id(response)), None)
        if first is not None:
            result.refused_by.append(_gate_name(getattr(first, "co_qualname", first.co_name)))
    if why:
        result.outcome, result.detail = "refused", result.detail + f"answered {why}"
    else:
        result.outcome = "unknown"
        result.detail += f"answered {result.status} without reaching the handler"
    return result


def _best_probe(callback: Any, handler: Handler, method: str, path: str, args: list[str],
                kwargs: dict[str, Any]) -> Probe:
    """The whole middleware stack when it answers; the view alone when the stack stops short for
    another reason (a middleware that needs a service the oracle does not run)."""
    full = stack_probe(callback, handler, method, path, args, kwargs)
    if full.outcome != "unknown":
        return full
    alone = probe(callback, handler, method, path, args, kwargs)
    if alone.outcome != "unknown":
        alone.detail += f" ({full.detail})"
        return alone
    return full


def run_handler(callback: Any, handler: Handler, method: str, path: str, args: list[str],
                kwargs: dict[str, Any]) -> tuple[int | None, str, str]:
    """Let the real handler answer an anonymous request, inside a transaction rolled back after.

    Returns (status, why it refuses or "", the project function that first handed back the
    response below the handler). Only for apps whose database is a throwaway (a migrated SQLite
    file): the handler's own checks (a dispatcher calling `@authorize` functions) show here.
    """
    from django.db import transaction

    request = _anonymous_request(method, path)
    inner = inspect.unwrap(handler.func) if handler.func is not None else None
    top = getattr(inner, "__code__", None)
    returned: list[tuple[Any, int]] = []

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "return" and arg is not None:
            returned.append((frame.f_code, id(arg)))
        return local

    def watch(frame: Any, event: str, _arg: Any) -> Any:
        if event == "call" and _in_root(os.path.realpath(frame.f_code.co_filename)):
            return local
        return None

    response = None
    try:
        with transaction.atomic():
            sys.settrace(watch)
            try:
                response = callback(request, *args, **kwargs)
            finally:
                sys.settrace(None)
            transaction.set_rollback(True)
    except Exception as exc:  # noqa: BLE001
        return None, "", f"{type(exc).__name__}: {str(exc)[:100]}"
    status = getattr(response, "status_code", None)
    why = _refusal(response) or ""
    chain = [code for code, ident in returned if ident == id(response)]
    gate = ""
    if why and top in chain:
        below = chain[:chain.index(top)]
        if below:
            gate = getattr(below[-1], "co_qualname", below[-1].co_name).split(".<locals>")[0]
    return status, why, gate


def _gate_codes(callback: Any, cls: type | None) -> set[Any]:
    """Code of the wrappers around a view and of the dispatch/initial methods in its MRO."""
    codes = {getattr(w, "__code__", None) for w in _wrapper_chain(callback)}
    for klass in cls.__mro__ if cls is not None else ():
        for name in ("dispatch", "initial"):
            func = klass.__dict__.get(name)
            for inner in _wrapper_chain(func) if func is not None else ():
                codes.add(getattr(inner, "__code__", None))
    for _dotted, klass in _middleware_classes():
        for name in ("__call__", "process_request", "process_view"):
            func = klass.__dict__.get(name)
            if func is not None:
                codes.add(getattr(func, "__code__", None))
    codes.discard(None)
    return codes


@functools.lru_cache(maxsize=1)
def _middleware_classes() -> tuple[tuple[str, type], ...]:
    from django.conf import settings
    from django.utils.module_loading import import_string

    out = []
    for dotted in settings.MIDDLEWARE:
        with contextlib.suppress(Exception):
            out.append((dotted, import_string(dotted)))
    return tuple(out)


def _swap(handler: Handler):
    if handler.view_class is not None and handler.attr:
        cls, name = handler.swap_class or handler.view_class, handler.attr
        had = name in cls.__dict__
        old = cls.__dict__.get(name)
        setattr(cls, name, _sentinel_method)

        def restore() -> None:
            if had:
                setattr(cls, name, old)
            else:
                delattr(cls, name)
        return restore
    return lambda: None


# -- naming what decided -------------------------------------------------------------------------


def _drf_refusers(callback: Any, handler: Handler, method: str, path: str, args: list[str],
                  kwargs: dict[str, Any]) -> list[str]:
    """The DRF permission classes that answer False for an anonymous request (has_permission)."""
    cls = handler.view_class
    if cls is None:
        return []
    try:
        from rest_framework.test import APIRequestFactory
        from rest_framework.views import APIView
    except ImportError:
        return []
    if not issubclass(cls, APIView):
        return []
    try:
        from django.contrib.auth.models import AnonymousUser

        factory = APIRequestFactory()
        raw = factory.generic("GET" if method == "*" else method, path)
        raw.user = AnonymousUser()
        initkwargs = getattr(_wrapper_chain(callback)[-1], "initkwargs", {}) or {}
        view = cls(**initkwargs)
        view.args, view.kwargs = args, kwargs
        if handler.action:
            view.action_map = {method.lower(): handler.action}
        view.request = view.initialize_request(raw, *args, **kwargs)
        view.format_kwarg = None
        view.headers = {}
        if handler.action:
            view.action = handler.action
        out = []
        for permission in view.get_permissions():
            try:
                if not permission.has_permission(view.request, view):
                    out.append(type(permission).__name__)
            except Exception as exc:  # noqa: BLE001
                out.append(f"{type(permission).__name__} ({type(exc).__name__})")
        return out
    except Exception:  # noqa: BLE001
        return []


def _class_gates(cls: type | None) -> list[str]:
    """Access mixins and project `dispatch`/`initial` overrides in the MRO, nearest first."""
    if cls is None:
        return []
    try:
        from django.contrib.auth.mixins import AccessMixin
    except ImportError:
        AccessMixin = None
    out = []
    for klass in cls.__mro__:
        own = [n for n in ("dispatch", "initial") if n in klass.__dict__]
        if AccessMixin is not None and klass is not AccessMixin and issubclass(klass, AccessMixin) and own:
            out.append(klass.__name__)
        elif own and _in_root(_source_file(klass)):
            out.append(f"{klass.__name__}.{own[0]}")
    return out


def _access_mixins(cls: type | None) -> list[str]:
    """Django AccessMixin subclasses in the MRO that override dispatch (they gate before the handler)."""
    try:
        from django.contrib.auth.mixins import AccessMixin
    except ImportError:
        return []
    if cls is None:
        return []
    return [k.__name__ for k in cls.__mro__
            if k is not AccessMixin and issubclass(k, AccessMixin) and "dispatch" in k.__dict__]


def _decorator_gates(callback: Any) -> list[str]:
    """Decorators whose test refuses an anonymous user (user_passes_test and its family)."""
    from django.contrib.auth.models import AnonymousUser

    out = []
    for wrapper in _wrapper_chain(callback):
        variables = _closure_vars(wrapper)
        test = variables.get("test_func")
        if callable(test):
            try:
                passes = bool(test(AnonymousUser()))
            except Exception:  # noqa: BLE001
                passes = False
            if not passes:
                out.append(test.__qualname__.split(".<locals>")[0])
    return out


# -- records -------------------------------------------------------------------------------------


def _rel(path: str) -> str:
    return os.path.relpath(path, ROOT)


def record(chain: list[tuple[Any, bool]], pattern: Any, default_kwargs: dict[str, Any],
           handler: Handler, flips: list[tuple[str, Any]],
           features: list[tuple[str, Any]]) -> dict[str, Any]:
    cls = handler.view_class
    wrapped_fn = handler.api_view
    class_loc = _class_location(cls) if cls is not None and not wrapped_fn else None
    func_loc = _func_location(handler.func) if handler.func is not None else None
    notes: list[str] = []
    alt: list[list[Any]] = []
    if cls is None or wrapped_fn:
        loc = func_loc
    elif handler.owner is cls and func_loc and _in_root(func_loc[0]):
        loc = func_loc
        if class_loc:
            alt.append([_rel(class_loc[0]), class_loc[1]])
    else:
        loc = class_loc
        if func_loc and _in_root(func_loc[0]):
            alt.append([_rel(func_loc[0]), func_loc[1]])
            notes.append(f"inherited from {handler.owner.__name__}")
    if loc is None:
        loc = class_loc or func_loc or ("", 0)
    library = not _in_root(loc[0])
    path = _path_of(chain)
    args, kwargs = _sample_kwargs(chain)
    kwargs = {**default_kwargs, **kwargs}
    callback = pattern.callback
    result = _best_probe(callback, handler, handler.method, path, args, kwargs)
    if handler.method == "*" and result.outcome == "unknown" and result.status == 405:
        result = _best_probe(callback, handler, "POST", path, args, kwargs)  # a POST-only function view
    auth: bool | None = {"reached": False, "refused": True}.get(result.outcome)
    via: list[str] = []
    drf = _drf_refusers(callback, handler, handler.method, path, args, kwargs)
    if auth:
        # DRF turns every refusal into a response inside APIView: name the permission classes
        # that say no; elsewhere the gate that called a refusing helper or returned the refusal.
        via = drf or result.refused_by or _decorator_gates(callback) + _class_gates(cls)
        if "user_passes_test" in via:
            named = _decorator_gates(callback)
            via = [v for v in via if v != "user_passes_test"] + [n for n in named if n not in via]
    notes.append(f"probe: {result.detail}")
    for name, value in features:
        if auth is not None:
            break
        from django.test import override_settings

        # Stopped short by a feature switch (a 404 while an integration is not configured, say):
        # what decides BC101 is what an anonymous request meets once the switch is on.
        with override_settings(**{name: value}):
            again = _best_probe(callback, handler, handler.method, path, args, kwargs)
        if again.outcome == "reached":
            auth = False
            notes.append(f"reached when {name}={value!r}")
    if auth is False and RUN_HANDLERS:
        status, why, gate = run_handler(callback, handler, handler.method, path, args, kwargs)
        if why:
            auth, via = True, [f"{gate or handler.function} (in the handler)"]
            notes.append(f"the handler itself refuses: {why}")
        else:
            notes.append(f"the handler answered {status if status is not None else gate}")
    if auth is None:
        # The probe stopped before the handler for another reason (a database the oracle does not
        # have, a redirect that wants a query parameter): decide from the gates the view declares,
        # each asked about an anonymous user where that can be done without the request.
        gates = drf or _decorator_gates(callback) + _access_mixins(cls)
        if gates:
            auth, via = True, gates
            notes.append("decided by introspection")
    for name, value in flips:
        if auth is not True or "decided by introspection" in notes:
            break
        from django.test import override_settings

        with override_settings(**{name: value}):
            again = _best_probe(callback, handler, handler.method, path, args, kwargs)
        if again.outcome == "reached":
            notes.append(f"conditional: open when {name}={value!r}")
    return {
        "file": _rel(loc[0]) if loc[0] and not library else (loc[0] or ""),
        "line": loc[1],
        "function": handler.function,
        "methods": [handler.method],
        "path": path,
        "auth": auth,
        "auth_via": via,
        "alt": alt,
        "library": library,
        "notes": "; ".join(notes),
    }


def _setting_pair(item: str) -> tuple[str, Any]:
    name, _, text = item.partition("=")
    try:
        return name, ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return name, text


def main(argv: list[str] | None = None) -> int:
    global ROOT, RUN_HANDLERS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", required=True, help="DJANGO_SETTINGS_MODULE")
    parser.add_argument("--root", required=True, help="the app's checkout (paths are relative to it)")
    parser.add_argument("--pythonpath", default=None, help="directory put first on sys.path (default: root)")
    parser.add_argument("--name", required=True, help="app name written to the output")
    parser.add_argument("--out", required=True, help="output JSON file")
    parser.add_argument("--flip", action="append", default=[], metavar="SETTING=VALUE",
                        help="probe again with this setting (a Python literal) to find conditional gates")
    parser.add_argument("--feature", action="append", default=[], metavar="SETTING=VALUE",
                        help="a feature switch: a route that stops short without it is probed again with it")
    parser.add_argument("--run-handlers", action="store_true",
                        help="when the handler is reached, also let it answer (throwaway database only)")
    parser.add_argument("--keep-format-suffix", action="store_true",
                        help="keep DRF's `.<format>` duplicate patterns (dropped by default)")
    parser.add_argument("--after-setup", default="", metavar="CODE",
                        help="Python statements run after django.setup() (prime a cache, say)")
    ns = parser.parse_args(argv)
    RUN_HANDLERS = ns.run_handlers
    ROOT = os.path.realpath(ns.root)
    sys.path.insert(0, os.path.realpath(ns.pythonpath or ns.root))
    os.environ["DJANGO_SETTINGS_MODULE"] = ns.settings
    logging.disable(logging.CRITICAL)
    import django

    django.setup()
    if ns.after_setup:
        exec(ns.after_setup, {})  # noqa: S102 - the operator's own setup line
    from django.urls import get_resolver

    flips = [_setting_pair(item) for item in ns.flip]
    features = [_setting_pair(item) for item in ns.feature]
    entries: list[tuple[list[tuple[Any, bool]], Any, dict[str, Any]]] = []
    walk(get_resolver().url_patterns, [], {}, entries)
    routes = []
    for chain, pattern, default_kwargs in entries:
        if not ns.keep_format_suffix and any(_format_suffix(p, is_regex) for p, is_regex in chain):
            continue
        try:
            handlers = handlers_of(pattern.callback)
        except Exception as exc:  # noqa: BLE001
            print(f"skip {_path_of(chain)}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        for handler in handlers:
            routes.append(record(chain, pattern, default_kwargs, handler, flips, features))
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = ""
    doc = {"app": ns.name, "framework": "django", "root": ROOT, "commit": commit, "routes": routes}
    os.makedirs(os.path.dirname(os.path.abspath(ns.out)), exist_ok=True)
    with open(ns.out, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, indent=1)
    print(f"{len(routes)} records from {len(entries)} URL patterns -> {ns.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
