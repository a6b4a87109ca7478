"""Diagnostics end to end: on open and on change (incremental sync, non-ASCII positions in the client's
encoding), pull (document and workspace), and cross-file republishing."""

from __future__ import annotations

import pytest
from lsp_harness import (
    PROFILES,
    PULL,
    change_file,
    diagnostics_at,
    insert_at,
    is_pull,
    lsp_session,
    open_file,
    pull,
    pushed,
    replace_range,
)
from lsprotocol import types

NEW_ROUTE = '\n\n@app.get("/résumé")\ndef résumé_view() -> dict:\n    return {}\n'


def _bc101(diagnostics: list[types.Diagnostic]) -> list[tuple[int, int, int]]:
    """(line, start, end) of each BC101 diagnostic, sorted."""
    return sorted((d.range.start.line, d.range.start.character, d.range.end.character)
                  for d in diagnostics if d.code == "BC101")


@pytest.mark.parametrize("profile", PROFILES + [PULL])
async def test_diagnostics_on_open_and_on_change(project, profile):
    async with lsp_session(profile, project) as client:
        main = project / "app" / "main.py"
        lines = main.read_text().splitlines()
        doc = open_file(client, main)

        opened = await diagnostics_at(client, doc, 1)
        assert _bc101(opened) == [(16, 4, 9)]  # def stats(...)
        found = next(d for d in opened if d.code == "BC101")
        assert found.severity == types.DiagnosticSeverity.Error
        assert found.source == "backcheck"
        assert found.code_description.href.endswith("BC101")
        assert "GET /stats" in found.message

        # Typing a new route whose name is not ASCII: its end column is counted in the client's encoding.
        change_file(client, doc, 2, [insert_at(len(lines), 0, NEW_ROUTE)])
        name_units = len("résumé_view".encode()) if profile == "neovim" else len("résumé_view")
        new_line = len(lines) + 3
        assert _bc101(await diagnostics_at(client, doc, 2)) == [(16, 4, 9), (new_line, 4, 4 + name_units)]

        # Deleting the /stats route (lines 15-18) moves the other finding up.
        change_file(client, doc, 3, [replace_range((15, 0), (19, 0), "")])
        assert _bc101(await diagnostics_at(client, doc, 3)) == [(new_line - 4, 4, 4 + name_units)]


@pytest.mark.parametrize("profile", ["neovim", PULL])
async def test_pull_diagnostics_for_documents_and_workspace(project, profile):
    """Answered for every client; Neovim 0.11 is served by push (no refresh support) yet may ask."""
    async with lsp_session(profile, project) as client:
        main = project / "app" / "main.py"
        reports = (project / "app" / "reports.py").as_uri()
        doc = open_file(client, main)

        first = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=doc)))
        assert first.kind == "full" and _bc101(first.items) == [(16, 4, 9)]
        again = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=doc), previous_result_id=first.result_id))
        assert again.kind == "unchanged" and again.result_id == first.result_id

        # A file nobody opened is answered from the workspace scan.
        assert _bc101(await pull(client, reports)) == [(6, 4, 16)]

        report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        by_uri = {item.uri: item for item in report.items}
        assert _bc101(by_uri[reports].items) == [(6, 4, 16)]
        assert _bc101(by_uri[doc].items) == [(16, 4, 9)]
        assert by_uri[doc].version == 1
        unchanged = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(
            previous_result_ids=[types.PreviousResultId(uri=i.uri, value=i.result_id) for i in report.items]))
        assert {i.kind for i in unchanged.items} == {"unchanged"}


@pytest.mark.parametrize("profile", PROFILES + [PULL])
async def test_a_change_in_one_file_republishes_the_files_it_affects(project, profile):
    async with lsp_session(profile, project) as client:
        main = project / "app" / "main.py"
        items = project / "app" / "items.py"
        doc = open_file(client, main)
        await diagnostics_at(client, doc, 1)
        items_doc = open_file(client, items) if is_pull(profile) else None
        if items_doc:
            assert _bc101(await pull(client, items_doc)) == []

        # Removing the router-level dependency in main.py leaves the items routes open to anyone.
        text = main.read_text()
        line = text.splitlines().index("app.include_router(items.router, dependencies=[Depends(get_current_user)])")
        change_file(client, doc, 2, [replace_range((line, 31), (line, 73), "")])
        await diagnostics_at(client, doc, 2)
        if items_doc:
            await client.wait_for(lambda: client.diagnostic_refresh_count > 0)
            assert _bc101(await pull(client, items_doc)) == [(6, 4, 14), (11, 4, 15)]
        else:
            published = await client.wait_for(pushed(client, items.as_uri(), lambda ds: len(_bc101(ds)) == 2))
            assert _bc101(published.diagnostics) == [(6, 4, 14), (11, 4, 15)]

        # Putting it back clears them again.
        change_file(client, doc, 3, [insert_at(line, 31, ", dependencies=[Depends(get_current_user)]")])
        await diagnostics_at(client, doc, 3)
        if items_doc:
            await client.wait_for(lambda: client.diagnostic_refresh_count > 1)
            assert _bc101(await pull(client, items_doc)) == []
        else:
            await client.wait_for(pushed(client, items.as_uri(), lambda ds: not _bc101(ds)))


async def test_watched_files_keep_unopened_files_current(project):
    """VS Code registers watchers dynamically; a file created on disk is checked without being opened."""
    async with lsp_session("visual-studio-code", project) as client:
        await client.wait_for(lambda: any(s.get("state") == "ready" for s in client.statuses))
        methods = [r.method for r in client.registrations]
        assert types.WORKSPACE_DID_CHANGE_WATCHED_FILES in methods
        globs = [w["globPattern"] for r in client.registrations for w in r.register_options["watchers"]]
        assert set(globs) == {"**/*.py", "**/pyproject.toml"}

        orders = project / "app" / "orders.py"
        orders.write_text('from app.main import app\n\n\n@app.post("/orders")\ndef create_order() -> dict:\n'
                          '    return {}\n')
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=orders.as_uri(), type=types.FileChangeType.Created)]))
        published = await client.wait_for(pushed(client, orders.as_uri(), lambda ds: bool(_bc101(ds))))
        assert _bc101(published.diagnostics) == [(4, 4, 16)]

        orders.unlink()
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=orders.as_uri(), type=types.FileChangeType.Deleted)]))
        await client.wait_for(pushed(client, orders.as_uri(), lambda ds: not ds))
