"""The workspace scan: every Python file of a root indexed at start-up (and on `backcheck.checkWorkspace`
or a settings change), reported through `$/progress` with a percentage and file counts, and
cancellable from the editor. Files are indexed in short slices on the engine thread, so a buffer
being edited meanwhile still gets its diagnostics; its open text wins over the file on disk.

Also here: `workspace/didChangeWatchedFiles`, which keeps files that are not open current.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from lsprotocol import types

from backcheck.lsp.workspace import (
    DocState,
    Progress,
    Root,
    Snapshot,
    collect,
    index_buffer,
    is_python,
    read_file,
    reindex_from_disk,
    uri_to_path,
)

if TYPE_CHECKING:
    from backcheck.lsp.server import BackcheckServer

log = logging.getLogger("backcheck.lsp.scan")

# Seconds of indexing per slice on the engine thread before edits get their turn.
SLICE_SECONDS = 0.04


def _index_slice(root: Root, generation: int, files: list[str], start: int) -> int:
    """Index files from `start` for about SLICE_SECONDS; returns where the next slice starts."""
    if root.generation != generation:
        return len(files)
    deadline = time.perf_counter() + SLICE_SECONDS
    index = start
    while index < len(files):
        rel = files[index]
        index += 1
        if rel not in root.docs:
            read_file(root, rel)
        if time.perf_counter() > deadline:
            break
    return index


def _finish(root: Root, generation: int, buffers: list[tuple[DocState, int, str]], files: list[str],
            complete: bool) -> Snapshot | None:
    if root.generation != generation:
        return None
    if complete:
        # Files that disappeared since the last scan leave the index too.
        present = set(files)
        for rel in [r for r in root.engine.results if r not in present and r not in root.docs]:
            root.engine.update(rel, None)
        root.engine.save_cache()
    for doc, version, text in buffers:
        if not doc.closed:
            index_buffer(root, doc, version, text)
    return collect(root, generation)


async def scan_root(server: BackcheckServer, root: Root, title: str = "backcheck: checking the workspace") -> dict:
    """Index every file of a root with progress; returns counts for `backcheck.checkWorkspace`."""
    session = server.session
    generation = root.generation
    progress = await _begin(server, title)
    server.set_status("scanning", f"checking {root.path.name}")
    cancelled = False
    try:
        files = await session.run(root.engine.discover)
        total = len(files)
        _report(server, progress, 0, total)
        done = 0
        while done < total:
            if progress.cancelled:
                cancelled = True
                break
            if root.generation != generation:
                return {"cancelled": True, "files": done}
            done = await session.run(_index_slice, root, generation, files, done)
            _report(server, progress, done, total)
        buffers = [(doc, doc.version, session.text_of(doc)) for doc in list(root.docs.values())]
        snap = await session.run(_finish, root, generation, buffers, files, not cancelled)
        if snap is None:
            return {"cancelled": True, "files": done}
        session.apply(root, snap)
        findings = sum(len(v) for v in snap.findings.values())
        with_findings = sum(1 for v in snap.findings.values() if v)
        if cancelled:
            message = f"cancelled after {done} of {total} files; findings so far: {findings}"
        else:
            message = f"{findings} finding{'s' * (findings != 1)} in {with_findings} of {total} files"
        _end(server, progress, message)
        progress = None
        return {"files": done, "total": total, "findings": findings, "files_with_findings": with_findings,
                "errors": sum(len(v) for v in snap.errors.values()), "cancelled": cancelled}
    finally:
        if progress is not None:
            _end(server, progress, "stopped")
        root.scanned.set()
        if not any(r.scan_task is not None and not r.scan_task.done() and r is not root
                   for r in session.roots.values()):
            server.set_status("ready", server.summary())


async def _begin(server: BackcheckServer, title: str) -> Progress:
    token = await server.create_progress(title, prefix="backcheck-scan")
    progress = Progress(token)
    if token is not None:
        server.work_done_progress.report(token, types.WorkDoneProgressReport(message="listing files", percentage=0))
        progress.cancel_future = server.work_done_progress.tokens.get(token)
    return progress


def _report(server: BackcheckServer, progress: Progress, done: int, total: int) -> None:
    percent = 100 if total == 0 else done * 100 // total
    if progress.token is None or percent == progress.last_percent:
        return
    progress.last_percent = percent
    server.work_done_progress.report(
        progress.token, types.WorkDoneProgressReport(percentage=percent, message=f"{done}/{total} files")
    )
    server.set_status("scanning", f"{done}/{total} files")


def _end(server: BackcheckServer, progress: Progress, message: str) -> None:
    server.end_progress(progress.token, message)
    progress.token = None


async def files_changed(server: BackcheckServer, params: types.DidChangeWatchedFilesParams) -> None:
    """Keep files that are not open current; a changed pyproject.toml reloads that root's settings."""
    session = server.session
    touched: dict[Root, list[str]] = {}
    config_roots: list[Root] = []
    for change in params.changes:
        path = uri_to_path(change.uri)
        if path is None:
            continue
        root = session.root_for(path, create=False)
        if root is None:
            continue
        if path.name == "pyproject.toml":
            if root not in config_roots:
                config_roots.append(root)
            continue
        if not is_python(path):
            continue
        rel = root.rel(path)
        if rel.startswith("/") or rel in root.docs:
            continue
        root.revisions[rel] = root.revisions.get(rel, 0) + 1
        touched.setdefault(root, []).append(rel)
    if config_roots:
        await session.reload_config(config_roots)
    for root, rels in touched.items():
        if root in config_roots and root.scan_task is not None and not root.scan_task.done():
            continue  # the re-scan reads them anyway
        snap = await session.run(reindex_from_disk, root, root.generation, rels)
        if snap is not None:
            session.apply(root, snap)
