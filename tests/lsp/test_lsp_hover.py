"""Hover end to end: a diagnostic's range shows the rule's documentation, a route handler its route."""

from __future__ import annotations

from lsp_harness import diagnostics_at, lsp_session, open_file
from lsprotocol import types


async def _hover(client, doc: str, line: int, character: int) -> types.Hover | None:
    return await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=doc), position=types.Position(line, character)))


async def test_hover_shows_rule_docs_and_route_summaries(project, profile):
    async with lsp_session(profile, project) as client:
        main = open_file(client, project / "app" / "main.py")
        items = open_file(client, project / "app" / "items.py")
        await diagnostics_at(client, main, 1)

        # On the flagged handler name: the rule's documentation, then the route.
        on_name = await _hover(client, main, 16, 6)
        text = on_name.contents.value
        assert on_name.contents.kind == types.MarkupKind.Markdown
        assert "**BC101 route-without-auth**" in text
        assert "### What it does" in text and "### Fix safety" in text
        assert "https://backcheck.dev/rules/BC101" in text
        assert "**GET /stats**" in text and "anonymous request reaches this handler" in text
        assert (on_name.range.start.line, on_name.range.start.character) == (16, 4)

        # On the decorator: only the route summary (no diagnostic there).
        on_decorator = (await _hover(client, main, 15, 2)).contents.value
        assert "**GET /stats**" in on_decorator and "BC101" not in on_decorator

        # A route authenticated through include_router says how.
        authed = (await _hover(client, items, 6, 6)).contents.value
        assert "**GET /items/**" in authed
        assert "Authentication: required, via" in authed and "get_current_user" in authed

        # A public route says why it is public; a line with neither gives nothing.
        public = (await _hover(client, main, 11, 6)).contents.value
        assert "declared public" in public and "/health" in public
        assert await _hover(client, main, 0, 0) is None
