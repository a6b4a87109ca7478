"""Runtime route oracle for a Flask app: what the running app serves and who may call it.

Run it with the app's own interpreter from the app's checkout::

    python flask_routes.py --app CTFd:create_app() --root CHECKOUT --name APP --out OUT.json \\
        [--prelude CODE] [--setup CODE] [--open-setup CODE] [--closed-setup CODE]

``--app`` is ``module:expression``, evaluated in the module's namespace (``create_app()``,
``create_app(TestingConfig)``, ``app``). ``--prelude`` is Python run before the import
(environment, test settings); ``--setup`` is Python run after the app is built, with ``app``
bound (schema, fixtures, settings as the app's tests make them). ``--setup`` may also define:

- ``prepare_request(client, method, path)`` returning extra keyword arguments for the request
  (a CSRF nonce an anonymous browser would carry, for example);
- ``path_values`` (parameter name -> value) used instead of the samples for path parameters;
- ``route_notes`` (path regex -> text) added to the matching records' notes;
- ``auth_overrides`` (endpoint -> (auth, reason[, condition])): a verdict set by reading the code
  where the probe is misled (a handler that redirects to the login page because a feature is
  unconfigured, a gate that holds only after setup); the probe's own observation stays in the
  notes.

Every ``app.url_map`` rule gives one record per handler: the view function unwrapped through
``__wrapped__``, or for a class-based view (``MethodView``, flask-restx/flask-restful
``Resource``) one record per method with the method's ``def`` line and the class line in ``alt``.
The ``before_request`` hooks of the app and of the rule's blueprints are listed in the notes;
static endpoints and handlers outside the checkout are ``library``.

Auth comes from an anonymous-request probe: a fresh test client per request, path parameters
filled, a profiler watching which code objects run.

- The handler's own code ran: the anonymous request reached it, auth false. (If it answered
  401/403 or sent the client to the login page on a bodiless method, the check is in the handler:
  auth true, "inline"; on a method with a body it may be a credentials check: auth null.)
- The handler did not run and the answer is 401/403 or a redirect to the login page, or a
  decorator or hook of the route redirected it elsewhere (a permission check that flashes and
  sends the visitor back): auth true; ``auth_via`` names the decorator or hook that stopped it.
- Anything else (404 or 400 from a hook, an error before the handler): auth null.

``--open-setup`` is Python run before a second probe that turns on the settings under which the
app lets anonymous users in where it can (public visibility, no event window, no email
verification). A route closed in the first probe and reached in the second is a conditional gate:
auth false, ``auth_condition`` says so, and both observations are in the notes. A route the first
probe could not judge (a mode switch answering 404) takes the second probe's verdict.
``--closed-setup`` runs a third probe under the strictest settings: a route open by default and
closed there stays auth false, with ``auth_condition`` naming the gate (a visibility setting).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import inspect
import json
import os
import re
import signal
import subprocess
import sys
import traceback
from pathlib import Path
from urllib.parse import urlsplit

from oracle_source import definition_place

SAMPLE_UUID = "00000000-0000-4000-8000-000000000001"
PROBE_SECONDS = 20
SKIPPED = {"HEAD", "OPTIONS"}
BODILESS = {"GET", "DELETE"}


def build_app(spec: str):
    module_name, _, expression = spec.partition(":")
    module = __import__(module_name, fromlist=["_"])
    return eval(expression or "app", vars(module))  # the caller's own spec


def wrapper_chain(func) -> list:
    """The function and everything it wraps, outermost first (``__wrapped__``, partials)."""
    chain, seen = [], set()
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        chain.append(func)
        if isinstance(func, functools.partial):
            func = func.func
            continue
        func = getattr(func, "__wrapped__", None)
    return chain


def source_place(obj, root: Path):
    """(relative file, def/class line, first decorator line, inside root) of a function/class."""
    target = obj
    if not (inspect.isfunction(target) or inspect.ismethod(target) or inspect.isclass(target)):
        return None, None, None, False
    return definition_place(target, root)


def _code_qualname(func) -> str:
    # functools.wraps copies __qualname__ from the wrapped view: the code object keeps its own
    code = code_of(func)
    if code is None:
        return getattr(func, "__qualname__", getattr(func, "__name__", repr(func)))
    return getattr(code, "co_qualname", code.co_name)


def decorator_name(func) -> str:
    """``login_required`` for the wrapper ``login_required.<locals>.decorated_view``."""
    return _code_qualname(func).split(".<locals>")[0]


def hook_name(func) -> str:
    """``csrf`` for the hook ``init_request_processors.<locals>.csrf``."""
    return _code_qualname(func).split(".<locals>.")[-1]


def _is_dispatcher(code) -> bool:
    return Path(code.co_filename).as_posix().endswith(("flask/views.py", "flask_restful/__init__.py"))


def code_of(func):
    func = getattr(func, "__func__", func)
    return getattr(func, "__code__", None)


class Tracer:
    """Records which watched code objects start running."""

    def __init__(self):
        self.watched: set = set()
        self.seen: list = []
        self.active = False

    def __call__(self, frame, event, arg):
        if event == "call" and self.active and frame.f_code in self.watched:
            self.seen.append(frame.f_code)


class ProbeTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise ProbeTimeout()


def fill_rule(rule, values: dict) -> str:
    def fill(match):
        converter, args, name = match.group(1) or "default", match.group(2) or "", match.group(3)
        if name in values:
            return str(values[name])
        if converter == "int":
            return "1"
        if converter == "float":
            return "1.0"
        if converter == "uuid":
            return SAMPLE_UUID
        if converter == "any":
            options = re.findall(r"[\w.-]+", args)
            return options[0] if options else "1"
        return "1"

    return re.sub(r"<(?:(\w+)(\([^)]*\))?:)?(\w+)>", fill, rule.rule)


def handlers_for(app, rule, root: Path):
    """One entry per (handler, methods) of the rule: function views, or a class's methods."""
    view = app.view_functions.get(rule.endpoint)
    methods = sorted(set(rule.methods or ()) - SKIPPED) or sorted(rule.methods or ["GET"])
    if view is None:
        return []
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        chain = wrapper_chain(view)
        inner = chain[-1]
        return [{"methods": methods, "inner": inner, "chain": chain, "class": None}]
    out = []
    class_file, class_line, _, _ = source_place(view_class, root)
    by_method: dict = {}
    for method in methods:
        name = method.lower()
        if getattr(view_class, name, None) is None:
            name = "dispatch_request"
        by_method.setdefault(name, []).append(method)
    for name, group in by_method.items():
        definer = next((k for k in view_class.__mro__ if name in k.__dict__), None)
        func = getattr(view_class, name)
        # the class's ``decorators`` wrap as_view's dispatcher; the method's own decorators follow
        chain = [*wrapper_chain(view), *wrapper_chain(func)]
        inner = chain[-1]
        out.append({"methods": group, "inner": inner, "chain": chain, "class": view_class,
                    "definer": definer, "class_place": (class_file, class_line)})
    return out


def blueprint_names(endpoint: str) -> list:
    parts = endpoint.split(".")[:-1]
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def hooks_for(app, endpoint: str) -> list:
    funcs = list(app.before_request_funcs.get(None, []))
    for name in blueprint_names(endpoint):
        funcs.extend(app.before_request_funcs.get(name, []))
    return funcs


def describe(func, root: Path) -> str:
    file, line, _, inside = source_place(getattr(func, "__func__", func), root)
    where = f" ({file}:{line})" if inside else ""
    return hook_name(func) + where


def login_urls(app) -> list:
    urls = []
    manager = getattr(app, "login_manager", None)
    views = [getattr(manager, "login_view", None), getattr(manager, "refresh_view", None)] \
        if manager else []
    views += [e for e in app.view_functions if e.split(".")[-1] in ("login", "signin")]
    with app.test_request_context():
        from flask import url_for

        for view in views:
            if not view:
                continue
            with contextlib.suppress(Exception):  # a view that needs arguments
                urls.append(urlsplit(url_for(view)).path)
    return [u for u in urls if u]


def is_login_redirect(status, location: str, logins: list) -> bool:
    if status not in (301, 302, 303, 307, 308):
        return False
    path = urlsplit(location).path
    return path in logins or bool(
        re.search(r"log_?in|sign_?in|register|sign_?up", path, re.IGNORECASE))


def probe(app, entries, namespace, logins, root: Path):
    """One anonymous request per (entry, method); returns {(index, method): observation}."""
    prepare = namespace.get("prepare_request")
    raised: list = []
    original_handle = app.handle_http_exception

    def recording(e):
        raised.append(e)
        return original_handle(e)

    app.handle_http_exception = recording
    tracer = Tracer()
    gate_names: dict = {}
    for entry in entries:
        for func in entry["chain"]:
            code = code_of(func)
            if code is not None and _is_dispatcher(code):
                continue  # as_view's dispatcher: not a gate
            if code is not None:
                tracer.watched.add(code)
                gate_names.setdefault(code, decorator_name(func))
        for hook in entry["hooks"]:
            code = code_of(hook)
            if code is not None:
                tracer.watched.add(code)
                gate_names.setdefault(code, hook_name(hook))
    sys.setprofile(tracer)
    signal.signal(signal.SIGALRM, _alarm)
    results = {}
    try:
        for index, entry in enumerate(entries):
            inner_code = code_of(entry["inner"])
            for method in entry["methods"]:
                client = app.test_client()
                kwargs = prepare(client, method, entry["sample_path"]) if prepare else {}
                raised.clear()
                tracer.seen.clear()
                status, location, error = None, "", ""
                tracer.active = True
                signal.alarm(PROBE_SECONDS)
                try:
                    response = client.open(entry["sample_path"], method=method, **(kwargs or {}))
                    status = response.status_code
                    location = response.headers.get("Location", "")
                except ProbeTimeout:
                    error = "timeout"
                except Exception as exc:  # noqa: BLE001 - any failure is an observation
                    error = f"{type(exc).__name__}: {exc}"[:200]
                finally:
                    signal.alarm(0)
                    tracer.active = False
                seen = list(tracer.seen)
                reached = inner_code in seen
                entered = [gate_names[c] for c in seen if c in gate_names and c != inner_code]
                raiser = None
                for exc in raised:
                    if getattr(exc, "code", None) in (401, 403):
                        raiser = innermost_project_frame(exc, root, gate_names) or raiser
                results[index, method] = {
                    "status": status, "location": location, "error": error, "reached": reached,
                    "entered": list(dict.fromkeys(entered)), "raiser": raiser,
                    "path": entry["sample_path"],
                }
    finally:
        sys.setprofile(None)
        app.handle_http_exception = original_handle
    return results


def innermost_project_frame(exc, root: Path, gate_names: dict):
    found = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code in gate_names:
            found = gate_names[code]
            tb = tb.tb_next
            continue
        try:
            rel = Path(code.co_filename).resolve().relative_to(root)
            if "site-packages" not in rel.parts:
                found = getattr(code, "co_qualname", code.co_name).split(".<locals>")[0]
        except ValueError:
            pass
        tb = tb.tb_next
    return found


def decide(entry, method, obs, logins):
    """(auth, auth_via, note)."""
    if obs is None:
        return None, [], "not probed"
    status = obs["status"]
    note = f"probe {status or obs['error']}"
    if status in (301, 302, 303, 307, 308):
        note += f" -> {urlsplit(obs['location']).path}"
    rejected = status in (401, 403) or is_login_redirect(status, obs["location"], logins)
    if obs["reached"]:
        note += ", handler ran"
        if rejected and method in BODILESS:
            return True, ["inline"], note + " and turned the anonymous user away (check inside)"
        if rejected:
            return None, [], note + " and refused the empty body: an inline gate or a credentials check"
        return False, [], note
    if rejected:
        via = obs["raiser"] or (obs["entered"][-1] if obs["entered"] else "unknown")
        return True, [via], note + ", handler not reached"
    if status in (301, 302, 303, 307, 308) and obs["entered"]:
        return True, [obs["entered"][-1]], note + ", handler not reached: the gate sent it away"
    if obs["error"]:
        return None, [], note + ", handler not reached"
    return None, [], note + ", handler not reached" + (
        f" (last gate entered: {obs['entered'][-1]})" if obs["entered"] else "")


def git_commit(root: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def enumerate_entries(app, root: Path, path_values: dict):
    entries, others = [], []
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        view = app.view_functions.get(endpoint)
        if endpoint == "static" or endpoint.endswith(".static") or view is None:
            others.append(rule)
            continue
        for entry in handlers_for(app, rule, root):
            inner = entry["inner"]
            file, line, first, inside = source_place(inner, root)
            if entry["class"] is not None and not inside:
                # the method comes from a library base: the class stands for the handler
                file, line = entry["class_place"]
                _, _, first, inside = source_place(entry["class"], root)
            entry.update(rule=rule, endpoint=endpoint, file=file, line=line, first=first,
                         inside=inside, hooks=hooks_for(app, endpoint),
                         sample_path=fill_rule(rule, path_values))
            if entry["class"] is not None:
                definer = entry.get("definer")
                entry["function"] = (f"{entry['class'].__qualname__}.{inner.__name__}"
                                     if definer is entry["class"] or not inside or definer is None
                                     else getattr(inner, "__qualname__", inner.__name__))
            else:
                entry["function"] = getattr(inner, "__qualname__", endpoint)
            entries.append(entry)
    return entries, others


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--prelude", default="")
    parser.add_argument("--setup", default="")
    parser.add_argument("--open-setup", default="")
    parser.add_argument("--closed-setup", default="")
    parser.add_argument("--no-probe", action="store_true")
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

    entries, others = enumerate_entries(app, root, dict(namespace.get("path_values") or {}))
    logins = login_urls(app)
    first, second, third = {}, {}, {}
    if not args.no_probe:
        try:
            first = probe(app, entries, namespace, logins, root)
            if args.open_setup:
                exec(args.open_setup, namespace)  # noqa: S102
                second = probe(app, entries, namespace, logins, root)
            if args.closed_setup:
                exec(args.closed_setup, namespace)  # noqa: S102
                third = probe(app, entries, namespace, logins, root)
        except Exception:  # noqa: BLE001
            traceback.print_exc()
    route_notes = namespace.get("route_notes") or {}
    records = []
    for index, entry in enumerate(entries):
        hooks = "; ".join(describe(h, root) for h in entry["hooks"])
        wrappers = [decorator_name(f) for f in entry["chain"][:-1]
                    if code_of(f) is None or not _is_dispatcher(code_of(f))]
        groups: dict = {}
        for method in entry["methods"]:
            obs = first.get((index, method))
            auth, via, note = decide(entry, method, obs, logins)
            condition = None
            if second:
                obs2 = second.get((index, method))
                auth2, via2, note2 = decide(entry, method, obs2, logins)
                if auth is True and auth2 is False:
                    condition = f"open under the --open-setup settings (by default: {', '.join(via)})"
                    note += f"; with open settings: {note2}"
                    auth, via = False, []
                elif auth is None and auth2 is not None:
                    if auth2 is False:
                        condition = "reachable only under the --open-setup settings"
                    note += f"; with open settings: {note2}"
                    auth, via = auth2, via2
                elif auth2 != auth:
                    note += f"; with open settings: {note2}"
            if third and auth is False and condition is None:
                auth3, via3, note3 = decide(entry, method, third.get((index, method)), logins)
                if auth3 is True:
                    condition = f"closed only under the --closed-setup settings ({', '.join(via3)})"
                    note += f"; with closed settings: {note3}"
            groups.setdefault((auth, tuple(via), condition), []).append((method, note, obs))
        alt = []
        if entry["first"] and entry["first"] != entry["line"]:
            alt.append([entry["file"], entry["first"]])
        if entry["class"] is not None:
            class_file, class_line = entry["class_place"]
            if class_file and [class_file, class_line] not in alt and \
                    (class_file, class_line) != (entry["file"], entry["line"]):
                alt.append([class_file, class_line])
        override = (namespace.get("auth_overrides") or {}).get(entry["endpoint"])
        if override is not None:
            groups = {(override[0], (), override[2] if len(override) > 2 else None): [
                (m, n + f"; auth set by reading the code: {override[1]}", o)
                for members in groups.values() for m, n, o in members]}
        path = entry["rule"].rule
        extra = "".join(f"; {n}" for p, n in route_notes.items() if re.search(p, path))
        for (auth, via, condition), members in groups.items():
            notes = "; ".join(f"{m}: {n}" for m, n, _ in members) + extra
            if wrappers:
                notes += " | decorators: " + ", ".join(wrappers)
            if hooks:
                notes += " | before_request: " + hooks
            record = {
                "file": entry["file"], "line": entry["line"], "function": entry["function"],
                "methods": [m for m, _, _ in members], "path": path, "auth": auth,
                "auth_via": list(via), "alt": alt, "library": not entry["inside"],
                "notes": notes, "endpoint": entry["endpoint"],
                "probe": {m: o for m, _, o in members if o},
            }
            if condition:
                record["auth_condition"] = condition
            records.append(record)
    for rule in others:
        view = app.view_functions.get(rule.endpoint)
        file, line, _, _ = source_place(wrapper_chain(view)[-1], root) if view else (
            None, None, None, False)
        records.append({
            "file": file or "", "line": line or 0, "function": rule.endpoint,
            "methods": sorted(set(rule.methods or ()) - SKIPPED), "path": rule.rule,
            "auth": None, "auth_via": [], "alt": [], "library": True,
            "notes": "static files" if view else "no view function", "endpoint": rule.endpoint,
        })
    out = {"app": args.name, "framework": "flask", "root": str(root),
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
