"""Findings as LSP diagnostics, pushed (`textDocument/publishDiagnostics`) or pulled
(`textDocument/diagnostic`, `workspace/diagnostic`).

A client that declares pull support (Neovim 0.10+, VS Code's language client) pulls the diagnostics
of its open buffers; everything else, and every file that is not open, is pushed, so findings from
the workspace scan appear for files nobody opened and nothing is shown twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from backcheck.diagnostics import Finding
from backcheck.index.source import SourceError, decode
from backcheck.lsp.positions import Encoder, finding_range, line_text, split_lines
from backcheck.lsp.workspace import Root, Snapshot, TestFailure, uri_to_path
from backcheck.rules import registry

if TYPE_CHECKING:
    from backcheck.lsp.server import BackcheckServer

log = logging.getLogger("backcheck.lsp.diagnostics")

SOURCE = "backcheck"
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
# LSP 3.17 ServerCancelled: the client should ask again (Neovim and VS Code both do).
SERVER_CANCELLED = -32802
_ERROR_LINE = re.compile(r"\bline (\d+)\b")


def docs_href(template: str, code: str) -> str | None:
    """The rule's documentation page from `docs_url` (`{code}` replaced), None when unset."""
    if not template:
        return None
    return template.replace("{code}", code).replace("{name}", getattr(registry().get(code), "name", code))


def to_diagnostic(encoder: Encoder, lines: Sequence[str], finding: Finding, docs_url: str,
                  uri: Callable[[str], str] | None = None) -> types.Diagnostic:
    """One finding as a diagnostic; given `uri` (project path -> URI), with its related places."""
    rule = registry().get(finding.code)
    href = docs_href(docs_url, finding.code)
    severity = finding.severity_or(rule.severity if rule else "warning")
    return types.Diagnostic(
        range=finding_range(encoder, lines, finding),
        message=finding.message,
        severity=SEVERITY.get(severity, types.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
        related_information=related_information(finding, uri) if uri is not None else None,
        data={"code": finding.code, "line": finding.line, "fix": bool(rule and rule.fix_title)},
    )


def related_information(
    finding: Finding, uri: Callable[[str], str]
) -> list[types.DiagnosticRelatedInformation] | None:
    """The finding's related places; each covers its whole line (no other file needs reading)."""
    out = []
    for related in finding.related:
        line = max(related.line - 1, 0)
        rng = types.Range(types.Position(line, 0), types.Position(line + 1, 0))
        out.append(types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri(related.path), range=rng), message=related.message))
    return out or None


def error_diagnostic(encoder: Encoder, lines: Sequence[str], message: str) -> types.Diagnostic:
    """A file that could not be checked: where it fails (a syntax error's line) and what to do."""
    match = _ERROR_LINE.search(message)
    line = max(int(match.group(1)) - 1, 0) if match else 0
    text = line_text(lines, line)
    syntax = message.startswith("syntax error")
    if syntax:
        shown = f"backcheck: {message}; checks resume once the file parses"
    else:
        shown = f"backcheck could not check this file: {message}"
    return types.Diagnostic(
        range=types.Range(types.Position(line, 0), types.Position(line, encoder.units(text))),
        message=shown,
        severity=types.DiagnosticSeverity.Information if syntax else types.DiagnosticSeverity.Warning,
        code="file-not-checked",
        source=SOURCE,
    )


def failure_diagnostic(encoder: Encoder, lines: Sequence[str], failure: TestFailure) -> types.Diagnostic:
    index = max(failure.line - 1, 0)
    text = line_text(lines, index)
    indent = len(text) - len(text.lstrip())
    return types.Diagnostic(
        range=types.Range(types.Position(index, encoder.units(text[:indent])),
                          types.Position(index, encoder.units(text))),
        message=f"test failed: {failure.nodeid}\n{failure.message}",
        severity=types.DiagnosticSeverity.Error,
        code="test-failed",
        source=SOURCE,
    )


def _disk_lines(root: Root, rel: str) -> list[str]:
    try:
        data = (root.path / rel).read_bytes()
    except OSError:
        return []
    try:
        text = decode(data, max(root.settings.max_file_bytes, len(data)))
    except SourceError:
        text = data.decode("utf-8", errors="replace")
    return split_lines(text)


def diagnostics_for(server: BackcheckServer, root: Root, rel: str, snap: Snapshot | None = None) -> list[types.Diagnostic]:
    """Every diagnostic of one file: its findings, why it could not be checked, its failing tests."""
    snap = snap or root.snapshot
    findings = snap.findings.get(rel, []) if snap else []
    errors = snap.errors.get(rel, []) if snap else []
    failures = root.test_failures.get(rel, [])
    if not findings and not errors and not failures:
        return []
    doc = root.docs.get(rel)
    lines = server.session.lines_of(doc) if doc is not None else _disk_lines(root, rel)
    encoder = server.encoder
    out: list[types.Diagnostic] = []
    docs_url = root.settings.docs_url
    for finding in findings:
        try:
            out.append(to_diagnostic(encoder, lines, finding, docs_url, root.uri))
        except Exception:  # one odd position must not hide the file's other findings
            log.exception("cannot place %s at %s:%s", finding.code, rel, finding.line)
    out.extend(error_diagnostic(encoder, lines, message) for message in errors)
    out.extend(failure_diagnostic(encoder, lines, failure) for failure in failures)
    return out


def push(server: BackcheckServer, root: Root, rel: str, diagnostics: list[types.Diagnostic] | None,
         version: int | None) -> None:
    """Send one file's diagnostics (computed from the root's snapshot when not given)."""
    if diagnostics is None:
        diagnostics = diagnostics_for(server, root, rel)
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=root.uri(rel), diagnostics=diagnostics, version=version)
    )


def _result_id(key: tuple) -> str:
    return f"{hash(key) & 0xFFFFFFFFFFFF:x}"


async def pull_document(server: BackcheckServer, params: types.DocumentDiagnosticParams):
    """`textDocument/diagnostic`: the buffer's diagnostics for its current version."""
    session = server.session
    uri = params.text_document.uri
    doc = session.docs.get(uri)
    if doc is not None:
        if not doc.checkable or doc.root is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        version = doc.version
        await session.ensure_current(doc)
        if doc.closed or doc.version != version:
            raise JsonRpcException(message="the document changed; ask again", code=SERVER_CANCELLED,
                                   data={"retriggerRequest": True})
        root, rel = doc.root, doc.rel
    else:
        path = uri_to_path(uri)
        root = session.root_for(path, create=False) if path is not None else None
        if root is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        await root.scanned.wait()
        rel = root.rel(path)
    snap = root.snapshot
    key = session.key(root, rel, snap) if snap else ()
    result_id = _result_id(key)
    if doc is not None:
        root.pulled[rel] = key
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(items=diagnostics_for(server, root, rel), result_id=result_id)


async def pull_workspace(server: BackcheckServer, params: types.WorkspaceDiagnosticParams):
    """`workspace/diagnostic`: every file with diagnostics, unchanged ones reported as such."""
    session = server.session
    previous = {p.uri: p.value for p in params.previous_result_ids or []}
    items: list = []
    for root in list(session.roots.values()):
        if root.scan_task is not None and not root.scan_task.done():
            await root.scanned.wait()
        snap = root.snapshot
        if snap is None:
            continue
        for rel in sorted(snap.paths() | set(root.test_failures)):
            doc = root.docs.get(rel)
            if doc is not None:
                await session.ensure_current(doc)
            uri = root.uri(rel)
            key = session.key(root, rel, root.snapshot)
            result_id = _result_id(key)
            version = doc.version if doc is not None else None
            if previous.get(uri) == result_id:
                items.append(types.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, version=version, result_id=result_id))
            else:
                items.append(types.WorkspaceFullDocumentDiagnosticReport(
                    uri=uri, version=version, items=diagnostics_for(server, root, rel), result_id=result_id))
        # Files reported before that have nothing now get an empty report, so the client clears them.
        for uri in previous:
            path = uri_to_path(uri)
            if path is None or not root.contains(path.resolve()):
                continue
            rel = root.rel(path)
            if rel not in snap.paths() and rel not in root.test_failures:
                items.append(types.WorkspaceFullDocumentDiagnosticReport(uri=uri, version=None, items=[]))
    return types.WorkspaceDiagnosticReport(items=items)
