"""Runtime route oracle for a FastAPI app: what the running app serves and who may call it.

Run it with the app's own interpreter from the app's checkout::

    python fastapi_routes.py --app app.main:get_application() --root CHECKOUT --name APP \\
        --out OUT.json [--prelude CODE] [--setup CODE]

``--app`` is ``module:attribute`` (an app object) or ``module:factory()`` (called with no
arguments). ``--prelude`` is Python run before the import (environment, test settings);
``--setup`` is Python run after the app is built, with ``app`` bound (schema, fixtures, fakes);
``--lifespan`` runs the app's startup before the probe (a database pool made at startup).
Path and required query parameters get a sample by type ("1", a UUID, an enum's first value)
unless ``--path-value NAME=VALUE`` (or a ``path_values`` dict set by ``--setup``) names one;
a ``route_notes`` dict (path regex -> text) set by ``--setup`` adds to the matching notes, and a
``route_conditions`` dict (path regex -> the setting that opens them) marks routes the probe
reached only because ``--setup`` turned that setting on: ``auth_condition`` names it.

For every ``APIRoute`` it records the endpoint's file and ``def`` line (decorators unwrapped), the
dependency tree (security schemes and dependency callables with their file and line) and an auth
verdict for an anonymous request, decided in this order:

1. The probe: each method is requested with no credentials, path parameters filled. A profiler
   watches which code objects run. If the endpoint's own code ran, the anonymous request reached
   the handler: auth false (unless the handler itself answered 401/403 to a request that needs no
   body: auth true, "inline"; with a body it is a credentials check such as a login form). If
   the answer is 401/403 (or a redirect to a login page) without the handler running: auth true,
   and ``auth_via`` names the innermost project function (or security scheme) that raised.
2. A 422 without the handler running: FastAPI validated the parameters but every dependency whose
   own parameters were valid had run. If every dependency callable in the tree ran: auth false.
3. Otherwise introspection: a security scheme with ``auto_error`` in the tree means auth true; if
   there is none, and nothing could be seen, auth is null.

Mounted sub-applications and static files are listed as ``library`` records; routes whose handler
lives outside the checkout (the OpenAPI and docs pages) are ``library`` too.
"""

from __future__ import annotations

import argparse
import enum
import functools
import inspect
import json
import os
import re
import signal
import subprocess
import sys
import threading
import traceback
import typing
import uuid
from pathlib import Path

from oracle_source import definition_place

SAMPLE_UUID = "00000000-0000-4000-8000-000000000001"
PROBE_SECONDS = 20


def build_app(spec: str):
    module_name, _, attr = spec.partition(":")
    module = __import__(module_name, fromlist=["_"])
    call = attr.endswith("()")
    obj = module
    for part in attr.removesuffix("()").split("."):
        obj = getattr(obj, part)
    return obj() if call else obj


def unwrap(func):
    seen = set()
    while id(func) not in seen:
        seen.add(id(func))
        if isinstance(func, functools.partial):
            func = func.func
            continue
        inner = getattr(func, "__wrapped__", None)
        if inner is None:
            break
        func = inner
    return func


def source_place(obj, root: Path):
    """(relative file, def line, first decorator line, inside root) of a function or class."""
    target = unwrap(obj)
    if not (inspect.isfunction(target) or inspect.ismethod(target) or inspect.isclass(target)):
        target = type(target)
        call = next((vars(k)["__call__"] for k in target.__mro__ if "__call__" in vars(k)), None)
        if call is not None and inspect.isfunction(call):
            target = call
    return definition_place(target, root)


def callable_name(call) -> str:
    target = unwrap(call)
    if inspect.isfunction(target) or inspect.ismethod(target) or inspect.isclass(target):
        return getattr(target, "__qualname__", getattr(target, "__name__", repr(target)))
    return type(target).__qualname__


def code_objects(call) -> set:
    """Code objects that run when ``call`` is called (the function, or the instance's __call__)."""
    codes = set()
    target = call
    seen = set()
    while target is not None and id(target) not in seen:
        seen.add(id(target))
        if hasattr(target, "__code__"):
            codes.add(target.__code__)
        elif hasattr(target, "func"):
            target = target.func
            continue
        elif not inspect.isclass(target):
            method = next((vars(k)["__call__"] for k in type(target).__mro__
                           if "__call__" in vars(k)), None)
            if method is not None and hasattr(method, "__code__"):
                codes.add(method.__code__)
        elif inspect.isclass(target):
            init = target.__dict__.get("__init__")
            if init is not None and hasattr(init, "__code__"):
                codes.add(init.__code__)
        target = getattr(target, "__wrapped__", None)
    return codes


class Tracer:
    """Records which watched code objects start running, in every thread."""

    def __init__(self):
        self.watched: set = set()
        self.seen: list = []
        self.active = False

    def __call__(self, frame, event, arg):
        if event == "call" and self.active and frame.f_code in self.watched:
            self.seen.append(frame.f_code)

    def install(self):
        sys.setprofile(self)
        threading.setprofile(self)


def walk_dependant(dependant, root: Path, out: list, depth: int = 0):
    from fastapi.security.base import SecurityBase

    for sub in dependant.dependencies:
        call = sub.call
        file, line, _, inside = source_place(call, root)
        security = isinstance(call, SecurityBase)
        entry = {
            "name": callable_name(call),
            "file": file if inside else None,
            "line": line if inside else None,
            "depth": depth,
            "security": security,
            "auto_error": bool(getattr(call, "auto_error", True)) if security else None,
            "scheme": type(call).__name__ if security else None,
            "call": call,
        }
        out.append(entry)
        walk_dependant(sub, root, out, depth + 1)
    return out


def sample_value(annotation) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or str(origin) == "types.UnionType":
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if args:
            return sample_value(args[0])
    if inspect.isclass(annotation):
        if issubclass(annotation, enum.Enum):
            return str(next(iter(annotation)).value)
        if issubclass(annotation, uuid.UUID) or annotation.__name__.startswith("UUID"):
            return SAMPLE_UUID
        if issubclass(annotation, bool):
            return "true"
    if typing.get_origin(annotation) is typing.Literal:
        return str(typing.get_args(annotation)[0])
    return "1"


def _param_type(param):
    info = getattr(param, "field_info", None)
    annotation = getattr(info, "annotation", None) or getattr(param, "type_", None)
    return annotation if annotation is not None else getattr(param, "outer_type_", str)


def _required(param) -> bool:
    required = getattr(param, "required", None)
    if callable(getattr(param, "is_required", None)):
        required = param.is_required()
    return bool(required)


def fill_path(route, values: dict) -> str:
    """The route's path with path parameters filled, and its required query parameters."""
    types = {}
    query = {}
    for sub in [route.dependant, *_all_dependants(route.dependant)]:
        for param in sub.path_params:
            types.setdefault(param.name, _param_type(param))
        for param in sub.query_params:
            if _required(param):
                name = getattr(param, "alias", None) or param.name
                query.setdefault(name, values.get(name) or sample_value(_param_type(param)))

    def fill(match):
        name = match.group(1)
        return values.get(name) or sample_value(types.get(name, str))

    path = re.sub(r"\{(\w+)(?::\w+)?\}", fill, route.path_format)
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return path


def has_body(route) -> bool:
    return any(sub.body_params for sub in [route.dependant, *_all_dependants(route.dependant)])


def _all_dependants(dependant):
    for sub in dependant.dependencies:
        yield sub
        yield from _all_dependants(sub)


class ProbeTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise ProbeTimeout()


def _cache_calls(call):
    """Hits plus misses of an ``lru_cache`` dependency (its body runs only once per process)."""
    info = getattr(call, "cache_info", None)
    if info is None:
        return None
    stats = info()
    return stats.hits + stats.misses


def innermost_raiser(exc, root: Path, tree_codes: dict):
    """Name of the innermost project (or dependency-tree) frame in the exception's traceback."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code in tree_codes:
            found = tree_codes[code]
        else:
            try:
                rel = Path(code.co_filename).resolve().relative_to(root)
                if "site-packages" not in rel.parts:
                    found = code.co_qualname if hasattr(code, "co_qualname") else code.co_name
            except ValueError:
                pass
        tb = tb.tb_next
    return found


def probe(app, routes_info, root: Path, lifespan: bool = False):
    """Anonymous request per (route, method). Returns {(index, method): observation}."""
    from fastapi.testclient import TestClient
    from starlette.exceptions import HTTPException as StarletteHTTPException

    raised: list = []
    original = app.exception_handlers.get(StarletteHTTPException)

    tracer = Tracer()
    tree_codes: dict = {}
    overrides = getattr(app, "dependency_overrides", {}) or {}
    for info in routes_info:
        for code in info["endpoint_codes"]:
            tracer.watched.add(code)
        for dep in info["deps"]:
            if dep["call"] in overrides:
                dep["call"] = overrides[dep["call"]]
            for code in code_objects(dep["call"]):
                tracer.watched.add(code)
                tree_codes[code] = dep["name"]

    async def recording_handler(request, exc):
        raised.append(exc)
        handler = original
        if handler is None:
            from fastapi.exception_handlers import http_exception_handler as handler
        result = handler(request, exc)
        if inspect.isawaitable(result):
            result = await result
        return result

    app.exception_handlers[StarletteHTTPException] = recording_handler
    app.middleware_stack = app.build_middleware_stack()  # with the recording handler
    tracer.install()
    try:
        client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        extra = {}
    except TypeError:  # the requests-based TestClient of older Starlette
        client = TestClient(app, raise_server_exceptions=False)
        extra = {"allow_redirects": False}
    if lifespan:  # run the app's startup (database pools) once, every request in its loop
        client.__enter__()
    signal.signal(signal.SIGALRM, _alarm)
    results = {}
    for index, info in enumerate(routes_info):
        path = info["sample_path"]
        for method in info["methods"]:
            client.cookies.clear()
            raised.clear()
            tracer.seen.clear()
            cached = {dep["name"]: _cache_calls(dep["call"]) for dep in info["deps"]}
            tracer.active = True
            status, location, error = None, "", ""
            signal.alarm(PROBE_SECONDS)
            try:
                response = client.request(method, path, **extra)
                status = response.status_code
                location = response.headers.get("location", "")
            except ProbeTimeout:
                error = "timeout"
            except Exception as exc:  # noqa: BLE001 - any failure is an observation
                error = f"{type(exc).__name__}: {exc}"[:200]
            finally:
                signal.alarm(0)
                tracer.active = False
            seen = set(tracer.seen)
            reached = bool(seen & info["endpoint_codes"])
            dep_called = [dep["name"] for dep in info["deps"]
                          if code_objects(dep["call"]) & seen
                          or _cache_calls(dep["call"]) != cached[dep["name"]]]
            raiser = None
            for exc in raised:
                if getattr(exc, "status_code", None) in (401, 403):
                    raiser = innermost_raiser(exc, root, tree_codes)
            if raiser is None and status in (401, 403) and not reached:
                # newer Starlette hands the handler an exception without its traceback: the
                # dependency that raised is the last one that started (they run one by one)
                entered = [tree_codes[c] for c in tracer.seen if c in tree_codes]
                raiser = entered[-1] if entered else None
            results[index, method] = {
                "status": status, "location": location, "error": error,
                "reached": reached, "deps_called": dep_called, "raiser": raiser,
                "path": path,
            }
    sys.setprofile(None)
    threading.setprofile(None)
    if lifespan:
        client.__exit__(None, None, None)
    return results


def decide(info, observation):
    """(auth, auth_via, note) for one method of one route, with introspection's view when the
    two differ."""
    auth, via, note = _decide(info, observation)
    schemes = [d for d in info["deps"] if d["security"]]
    strict = [d["scheme"] for d in schemes if d["auto_error"]]
    if auth is False and strict:
        note += f"; introspection: {', '.join(strict)} with auto_error in the tree, yet it passed"
    elif auth is True and not strict and via != ["inline"]:
        lenient = [d["scheme"] for d in schemes]
        note += "; introspection: no security scheme with auto_error in the tree" + (
            f" ({', '.join(lenient)} with auto_error off)" if lenient else "")
    return auth, via, note


def _decide(info, observation):
    deps = info["deps"]
    schemes = [d for d in deps if d["security"] and d["auto_error"]]
    introspected = True if schemes else None
    if observation is None:
        return introspected, [d["scheme"] for d in schemes], "not probed"
    status = observation["status"]
    reached = observation["reached"]
    note = f"probe {status or observation['error']}"
    if reached:
        note += ", handler ran"
        if status in (401, 403) and not info["has_body"]:
            return True, ["inline"], note + " and answered it (a check in the handler)"
        if status in (401, 403):
            note += " and answered it to the empty body (a credentials check, not a gate)"
        return False, [], note
    if status in (401, 403) or (status in (302, 303, 307) and "login" in observation["location"]):
        via = observation["raiser"] or (schemes[0]["scheme"] if schemes else "unknown")
        return True, [via], note + ", handler not reached"
    if status == 422:
        uncalled = [d for d in deps if d["name"] not in observation["deps_called"]]
        if not uncalled:
            return False, [], note + ", every dependency ran"
        if introspected:
            return True, [s["scheme"] for s in schemes], (
                note + "; security scheme with auto_error in the dependency tree")
        return None, [], note + ", dependencies not run: " + ", ".join(d["name"] for d in uncalled)
    if introspected:
        return True, [s["scheme"] for s in schemes], (
            note + "; security scheme with auto_error in the dependency tree")
    return None, [], note + ", handler not reached"


def git_commit(root: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def enumerate_routes(app, root: Path, path_values: dict | None = None):
    from fastapi.routing import APIRoute, APIWebSocketRoute
    from starlette.routing import Mount, Route, WebSocketRoute

    infos, others = [], []
    path_values = path_values or {}

    def visit(routes, prefix=""):
        for route in routes:
            if isinstance(route, (APIRoute, APIWebSocketRoute)):
                infos.append({"route": route, "prefix": prefix})
            elif isinstance(route, Mount):
                from starlette.routing import Router

                if isinstance(route.app, Router):
                    visit(route.app.routes, prefix + route.path)
                else:
                    others.append({"kind": "mount", "route": route, "prefix": prefix})
            elif isinstance(route, (Route, WebSocketRoute)):
                others.append({"kind": "route", "route": route, "prefix": prefix})
            else:
                others.append({"kind": type(route).__name__, "route": route, "prefix": prefix})

    visit(app.routes)
    for info in infos:
        route = info["route"]
        endpoint = route.endpoint
        file, line, first, inside = source_place(endpoint, root)
        info["file"], info["line"], info["first"], info["inside"] = file, line, first, inside
        info["function"] = callable_name(endpoint)
        info["endpoint_codes"] = code_objects(endpoint) | code_objects(unwrap(endpoint))
        info["deps"] = walk_dependant(route.dependant, root, [])
        if isinstance(route, APIWebSocketRoute):
            info["methods"] = ["WEBSOCKET"]
        else:
            info["methods"] = sorted(route.methods - {"HEAD"} if route.methods != {"HEAD"}
                                     else route.methods)
        info["sample_path"] = info["prefix"] + fill_path(route, path_values)
        info["has_body"] = has_body(route)
    return infos, others


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--prelude", default="")
    parser.add_argument("--setup", default="")
    parser.add_argument("--no-probe", action="store_true")
    parser.add_argument("--path-value", action="append", default=[], metavar="NAME=VALUE",
                        help="value for a path or query parameter (default: a sample by type)")
    parser.add_argument("--lifespan", action="store_true",
                        help="run the app's startup/shutdown around the probe")
    args = parser.parse_args(argv)

    root = Path(args.root).resolve()
    os.chdir(root)
    sys.path.insert(0, str(root))
    namespace: dict = {"root": root}
    if args.prelude:
        exec(args.prelude, namespace)  # noqa: S102 - the caller's own setup code
    app = build_app(args.app)
    namespace["app"] = app
    if args.setup:
        exec(args.setup, namespace)  # noqa: S102

    path_values = dict(namespace.get("path_values") or {})
    for pair in args.path_value:
        name, _, value = pair.partition("=")
        path_values[name] = value
    infos, others = enumerate_routes(app, root, path_values)
    http_infos = [i for i in infos if i["methods"] != ["WEBSOCKET"]]
    observations = {}
    if not args.no_probe:
        try:
            observations = probe(app, http_infos, root, args.lifespan)
        except Exception:  # noqa: BLE001
            traceback.print_exc()
    records = []
    route_notes = namespace.get("route_notes") or {}
    route_conditions = namespace.get("route_conditions") or {}
    for info in infos:
        index = http_infos.index(info) if info in http_infos else None
        deps_text = "; ".join(
            f"{d['name']}" + (f" [{d['scheme']} auto_error={d['auto_error']}]" if d["security"]
                              else "") + (f" ({d['file']}:{d['line']})" if d["file"] else "")
            for d in info["deps"])
        per_method = {}
        for method in info["methods"]:
            obs = observations.get((index, method)) if index is not None else None
            per_method[method] = (decide(info, obs), obs)
        groups: dict = {}
        for method, ((auth, via, note), obs) in per_method.items():
            groups.setdefault((auth, tuple(via)), []).append((method, note, obs))
        alt = []
        if info["first"] and info["first"] != info["line"]:
            alt.append([info["file"], info["first"]])
        for (auth, via), members in groups.items():
            notes = "; ".join(f"{m}: {n}" for m, n, _ in members)
            full_path = info["prefix"] + info["route"].path
            notes += "".join(f"; {note}" for pattern, note in route_notes.items()
                             if re.search(pattern, full_path))
            if deps_text:
                notes += " | deps: " + deps_text
            conditions = [c for pattern, c in route_conditions.items()
                          if re.search(pattern, full_path)]
            if conditions and auth is False:
                notes += f"; conditional: {conditions[0]}"
            records.append({
                **({"auth_condition": conditions[0]} if conditions and auth is False else {}),
                "file": info["file"], "line": info["line"], "function": info["function"],
                "methods": [m for m, _, _ in members],
                "path": info["route"].path if not info["prefix"] else
                info["prefix"] + info["route"].path,
                "auth": auth, "auth_via": list(via), "alt": alt,
                "library": not info["inside"], "notes": notes,
                "probe": {m: o for m, _, o in members if o},
                "dependencies": [{k: d[k] for k in ("name", "file", "line", "security",
                                                    "auto_error", "depth")}
                                 for d in info["deps"]],
            })
    for other in others:
        route = other["route"]
        target = getattr(route, "endpoint", None) or getattr(route, "app", None)
        file, line, _, inside = source_place(target, root) if target is not None else (
            None, None, None, False)
        records.append({
            "file": file or "", "line": line or 0, "function": callable_name(target),
            "methods": sorted(getattr(route, "methods", None) or ["*"]),
            "path": other["prefix"] + getattr(route, "path", ""), "auth": None, "auth_via": [],
            "alt": [], "library": True,
            "notes": f"{other['kind']} ({type(route).__name__}); not an APIRoute"
            + ("" if not inside else "; handler is in the project"),
        })
    out = {"app": args.name, "framework": "fastapi", "root": str(root),
           "commit": git_commit(root), "routes": records}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1, default=str) + "\n")
    judged = [r for r in records if not r["library"]]
    print(f"{args.name}: {len(records)} records, {len(judged)} project handlers, "
          f"auth true {sum(r['auth'] is True for r in judged)}, "
          f"false {sum(r['auth'] is False for r in judged)}, "
          f"null {sum(r['auth'] is None for r in judged)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
