"""Why a route is authenticated, conditional or open, as a short chain read in ten seconds.

BC101's related information, hover on a handler and `backcheck routes --explain` all show the same
chain: the route's `auth_trail` as its framework index recorded it, or, when there is none, a chain
rebuilt from `auth_via` (or a single "no authentication candidate found" step).
"""

from __future__ import annotations

from backcheck.index.project import AuthStep, Route, looks_public

NO_CANDIDATE = "no authentication candidate found"
_CONNECTIVES = ("when ", "if ", "unless ", "while ", "outside ", "during ", "before ", "after ")


def open_when(condition: str) -> str:
    """"open when <condition>", without doubling a "when"/"if"/"unless" the index already wrote."""
    text = condition.strip()
    lowered = text.lower()
    if lowered.startswith("open "):
        return text
    if lowered.startswith(_CONNECTIVES):
        return f"open {text}"
    return f"open when {text}"


def chain(route: Route) -> list[AuthStep]:
    """The steps that explain the route's verdict, in the order they were examined."""
    if route.auth_trail:
        return list(route.auth_trail)
    # no trail recorded: what `auth_via` says, placed on the route's first decorator line
    here = (route.file, route.first_line or route.line)
    if route.auth:
        return [AuthStep("", name, *here, "authenticates", "") for name in route.auth_via]
    if route.auth_condition:
        return [AuthStep("", "", *here, "conditional", open_when(route.auth_condition))]
    return [AuthStep("", "", *here, "open", NO_CANDIDATE)]


def where(route: Route, step: AuthStep) -> tuple[str, int]:
    """(file, 1-based line) a step points at: its own place, or the route's for a library name."""
    if not step.file:
        return route.file, route.first_line or route.line
    return step.file, step.line or (route.line if step.file == route.file else 1)


def where_text(step: AuthStep) -> str:
    """"app/deps.py:12", "app/deps.py" when the line is unknown, "library" for a library name."""
    if not step.file:
        return "library"
    return f"{step.file}:{step.line}" if step.line else step.file


def step_text(step: AuthStep) -> str:
    """One line: "dependency get_current_user: open — auto_error=False"."""
    head = " ".join(part for part in (step.kind, step.name) if part)
    body = step.verdict if head else ""
    reason = step.reason if step.reason and step.reason != step.verdict else ""
    if head:
        return f"{head}: {body}" + (f" — {reason}" if reason else "")
    return reason or step.verdict


def verdict(route: Route) -> str:
    """The route's verdict in one line, said after its chain: "conditional: open when ...", ..."""
    if route.auth:
        return "authenticated"
    if route.public:
        return f"public: declared ({route.public_via})"
    if route.auth_condition:
        return f"conditional: {open_when(route.auth_condition)}"
    by_design = looks_public(route.path, route.function)
    if by_design:
        return f"open, not flagged: reads as public by design ({by_design})"
    return "open: an anonymous request reaches this handler"
