"""Hover: on a route handler (its decorators or its `def` line), the route's methods, full path, its
auth verdict with the chain of candidates that explains it, and the tests that reach it when the
test-coverage rule (BC901) can tell; on a diagnostic's range, the rule's documentation after that.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from backcheck.index.project import AuthStep, Project, Route, looks_public
from backcheck.lsp.diagnostics import docs_href
from backcheck.lsp.positions import finding_range
from backcheck.rules import registry
from backcheck.rules.auth import explain

if TYPE_CHECKING:
    from backcheck.lsp.server import BackcheckServer

log = logging.getLogger("backcheck.lsp.hover")


def _inside(position: types.Position, rng: types.Range) -> bool:
    here = (position.line, position.character)
    return (rng.start.line, rng.start.character) <= here <= (rng.end.line, rng.end.character)


def rule_markdown(code: str, message: str | None, docs_url: str, severity: str = "") -> str:
    rule = registry().get(code)
    if rule is None:
        return f"**{code}**" + (f": {message}" if message else "")
    href = docs_href(docs_url, code)
    severity = severity or rule.severity
    head = f"**{rule.code} {rule.name}** · {severity} · checklist: {rule.checklist}"
    if href:
        head += f" · [documentation]({href})"
    parts = [head]
    if message:
        parts.append(f"> {message}")
    parts.append(_demote_headings(rule.documentation()))
    return "\n\n".join(parts)


def _demote_headings(markdown: str) -> str:
    """Rule docs use `##` headings; in a hover they read better one level smaller."""
    return "\n".join("#" + line if line.startswith("## ") else line for line in markdown.splitlines())


def tests_reaching(project: Project, route: Route) -> list[str] | None:
    """Tests that request the route, when a rule or the index knows (None: nobody can tell yet)."""
    known = route.extra.get("tests")
    if isinstance(known, list):
        return [str(t) for t in known]
    rule = registry().get("BC901")
    finder = getattr(rule, "tests_for", None)
    if finder is None:
        return None
    try:
        return [str(t) for t in finder(project, route)]
    except Exception:  # the hover still shows the rest of the route summary
        log.exception("BC901 could not list the tests of %s", route.path)
        return None


def route_markdown(project: Project, route: Route) -> str:
    methods = ", ".join(route.methods) or "ANY"
    lines = [(f"**{methods} {route.path}** · {route.framework} route · handler `{route.function}` "
              f"({route.file}:{route.line})")]
    if route.auth:
        # with a trail, the names that authenticate (the chain below says how); else `auth_via`
        names = [s.name for s in route.auth_trail if s.verdict == "authenticates" and s.name]
        via = ", ".join(f"`{v}`" for v in dict.fromkeys(names or route.auth_via)) or "a dependency"
        lines.append(f"- Authentication: required, via {via}")
    elif route.public:
        lines.append(f"- Authentication: none; declared public ({route.public_via})")
    elif route.auth_condition:
        condition = explain.open_when(route.auth_condition)
        lines.append(f"- Authentication: **conditional**: {condition}")
    else:
        by_design = looks_public(route.path, route.function)
        if by_design:
            lines.append(f"- Authentication: none; reads as public by design ({by_design})")
        else:
            lines.append("- Authentication: **none**: an anonymous request reaches this handler")
    lines.extend(chain_markdown(route))
    tests = tests_reaching(project, route)
    if tests is not None:
        if tests:
            shown = ", ".join(f"`{t}`" for t in tests[:8]) + (f" and {len(tests) - 8} more" if len(tests) > 8 else "")
            lines.append(f"- Tests that reach it: {shown}")
        else:
            lines.append("- Tests that reach it: **none found**")
    return "\n".join(lines)


def chain_markdown(route: Route) -> list[str]:
    """The candidates examined, a bullet each; none when the `auth_via` line already says it."""
    if not route.auth_trail and (route.auth or route.public):
        return []
    steps = explain.chain(route)
    if len(steps) == 1 and not steps[0].name:  # nothing was examined: one line says so
        return [f"- Why: {_step_markdown(steps[0])}"]
    out = ["- Why:"]
    for step in steps:
        place = explain.where_text(step) if step.name else ""
        out.append(f"  - {_step_markdown(step)}" + (f" ({place})" if place else ""))
    return out


def _step_markdown(step: AuthStep) -> str:
    """A step with its name as code and its verdict in bold when it lets requests through."""
    verdict = f"**{step.verdict}**" if step.verdict != "authenticates" else step.verdict
    reason = f" — {step.reason}" if step.reason and step.reason != step.verdict else ""
    if not step.name:
        return step.reason or verdict
    kind = f"{step.kind} " if step.kind else ""
    return f"{kind}`{step.name}`: {verdict}{reason}"


def _routes_at(project: Project, rel: str, line0: int) -> list[Route]:
    return [r for r in project.routes if r.file == rel and min(r.first_line, r.line) - 1 <= line0 <= r.line - 1]


async def hover(server: BackcheckServer, params: types.HoverParams) -> types.Hover | None:
    session = server.session
    doc = session.docs.get(params.text_document.uri)
    if doc is None or not doc.checkable or doc.root is None:
        return None
    await session.ensure_current(doc)
    root = doc.root
    snap = root.snapshot
    if snap is None or doc.closed:
        return None
    lines = session.lines_of(doc)
    encoder = server.encoder
    sections: list[str] = []
    hit_range: types.Range | None = None
    # the route's verdict and chain first: it is what a person hovering a handler wants to read
    routes = await session.run(_routes_at, snap.project, doc.rel, params.position.line)
    for route in routes:
        sections.append(route_markdown(snap.project, route))
    for finding in snap.findings.get(doc.rel, []):
        rng = finding_range(encoder, lines, finding)
        if _inside(params.position, rng):
            rule = registry().get(finding.code)
            severity = finding.severity_or(rule.severity) if rule else ""
            docs_url = root.settings.docs_url
            sections.append(rule_markdown(finding.code, finding.message, docs_url, severity))
            hit_range = hit_range or rng
    if not sections:
        return None
    return types.Hover(contents=_content(server, "\n\n---\n\n".join(sections)), range=hit_range)


def _content(server: BackcheckServer, markdown: str) -> Any:
    caps = server.client_capabilities
    formats = caps.text_document.hover.content_format if caps and caps.text_document and caps.text_document.hover else None
    if formats and types.MarkupKind.Markdown not in formats:
        return types.MarkupContent(kind=types.MarkupKind.PlainText, value=markdown)
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown)
