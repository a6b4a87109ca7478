"""Every BC101 verdict explains itself in the editor: the diagnostic's related information lists the
auth candidates examined, and hover on the handler shows the verdict with the same chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_harness import PULL, diagnostics_at, lsp_session, open_file
from lsprotocol import types

TRAIL_SERVER = [str(Path(__file__).with_name("trail_server.py"))]


async def _hover_text(client, doc: str, line: int, character: int) -> str:
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=doc), position=types.Position(line, character)))
    return hover.contents.value


async def test_open_route_says_what_was_examined(project, profile):
    async with lsp_session(profile, project) as client:
        doc = open_file(client, project / "app" / "main.py")
        (stats,) = [d for d in await diagnostics_at(client, doc, 1) if d.code == "BC101"]
        assert stats.related_information, "a BC101 diagnostic carries its explanation"
        for related in stats.related_information:
            assert related.location.uri.startswith(project.as_uri()) and related.message
        assert stats.related_information[-1].message  # today: "no authentication candidate found"

        # Hover on the def line and on the decorator: the verdict, then why.
        for line, character in ((16, 6), (15, 2)):
            text = await _hover_text(client, doc, line, character)
            route = text.split("\n\n---\n\n")[0]  # the route summary comes first
            assert route.startswith("**GET /stats**")
            assert "- Authentication: **none**" in route and "\n- Why: " in route


@pytest.mark.parametrize("profile", ["visual-studio-code", PULL, "neovim"])
async def test_conditional_route_is_a_warning_with_its_chain(project, profile):
    async with lsp_session(profile, project, server_args=TRAIL_SERVER) as client:
        reports = project / "app" / "reports.py"
        doc = open_file(client, reports)
        (daily,) = [d for d in await diagnostics_at(client, doc, 1) if d.code == "BC101"]
        assert daily.severity == types.DiagnosticSeverity.Warning
        assert daily.message.startswith("GET /reports/daily is open when settings.STRICT is false:")
        shown = [(r.location.uri, r.location.range.start.line, r.message) for r in daily.related_information]
        assert shown == [
            (reports.as_uri(), 2, "router reports.router: open — APIRouter() adds no dependencies"),
            ((project / "app" / "main.py").as_uri(), 7,
             "include reports.router: open — include_router adds no dependencies"),
            # a library name points at the route itself (its decorator)
            (reports.as_uri(), 5, "dependency APIKeyHeader: conditional — auto_error=settings.STRICT"),
        ]

        text = await _hover_text(client, doc, 6, 6)  # on `daily_report`
        route, rule = text.split("\n\n---\n\n")
        assert route.splitlines()[1:6] == [
            "- Authentication: **conditional**: open when settings.STRICT is false",
            "- Why:",
            "  - router `reports.router`: **open** — APIRouter() adds no dependencies (app/reports.py:3)",
            "  - include `reports.router`: **open** — include_router adds no dependencies (app/main.py:8)",
            "  - dependency `APIKeyHeader`: **conditional** — auto_error=settings.STRICT (library)",
        ]
        assert rule.startswith("**BC101 route-without-auth** · warning ·")
