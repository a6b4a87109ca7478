"""Code actions: each rule's quick fix (built with libcst only when asked, preferred when safe),
"suppress on this line", "fix all safe fixes in the file" (`source.fixAll.backcheck`), and "Ask the
agent to fix this" when the agent can run. Edits are returned in the client's position encoding.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path

from backcheck.diagnostics import Finding
from backcheck.fixes import Edit, Fix
from backcheck.lsp.diagnostics import to_diagnostic
from backcheck.lsp.positions import Encoder, edit_range, line_text
from backcheck.lsp.workspace import DocState, Root
from backcheck.rules import registry

if TYPE_CHECKING:
    from backcheck.lsp.server import BackcheckServer

log = logging.getLogger("backcheck.lsp.code_actions")

FIX_ALL = "source.fixAll.backcheck"
KINDS = [types.CodeActionKind.QuickFix, FIX_ALL]
_SUPPRESSION = re.compile(r"#\s*backcheck:\s*(?:ignore|noqa)\[([^\]]*)\]", re.IGNORECASE)


def _wanted(only: Sequence[str] | None, kind: str) -> bool:
    """Whether a kind passes the request's `only` filter (a filter entry matches its sub-kinds too)."""
    if not only:
        return True
    return any(kind == o or kind.startswith(o + ".") for o in only)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)


def suppression_edit(lines: Sequence[str], finding: Finding) -> Edit | None:
    """The edit adding `# backcheck: ignore[CODE]` to the finding's line (extending one already there)."""
    index = finding.line - 1
    text = line_text(lines, index)
    match = _SUPPRESSION.search(text)
    if match:
        codes = [c.strip() for c in match.group(1).split(",") if c.strip()]
        if finding.code in codes:
            return None
        at = match.end(1)
        return Edit(finding.line, at, finding.line, at, f", {finding.code}" if codes else finding.code)
    stripped = text.rstrip()
    if stripped.endswith("\\"):
        return None  # a comment cannot follow a line continuation
    return Edit(finding.line, len(stripped), finding.line, len(text), f"  # backcheck: ignore[{finding.code}]")


def _apply(text: str, edits: list[Edit]) -> str:
    from backcheck.fixes import apply_edits

    return apply_edits(text, edits)


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _text_edits(encoder: Encoder, lines: Sequence[str], edits: list[Edit]) -> list[types.TextEdit]:
    return [types.TextEdit(range=edit_range(encoder, lines, e), new_text=e.text) for e in edits]


def _supports_document_changes(server: BackcheckServer) -> bool:
    caps = server.client_capabilities
    edit = caps.workspace.workspace_edit if caps and caps.workspace else None
    return bool(edit and edit.document_changes)


def _supports_create(server: BackcheckServer) -> bool:
    caps = server.client_capabilities
    edit = caps.workspace.workspace_edit if caps and caps.workspace else None
    return bool(edit and edit.document_changes and edit.resource_operations
                and types.ResourceOperationKind.Create in edit.resource_operations)


def workspace_edit(server: BackcheckServer, doc: DocState, edits: list[types.TextEdit],
                   new_files: dict[str, str] | None = None) -> types.WorkspaceEdit | None:
    """A workspace edit for one buffer (versioned when the client supports it), plus any new files."""
    if new_files and not _supports_create(server):
        return None
    if _supports_document_changes(server):
        changes: list[Any] = [types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
            edits=edits,
        )]
        for rel, content in (new_files or {}).items():
            uri = from_fs_path(str(doc.root.path / rel)) if doc.root else rel
            changes.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True)))
            changes.append(types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[types.TextEdit(range=types.Range(types.Position(0, 0), types.Position(0, 0)), new_text=content)],
            ))
        return types.WorkspaceEdit(document_changes=changes)
    return types.WorkspaceEdit(changes={doc.uri: edits})


def _build_fix(root: Root, finding: Finding, text: str) -> Fix | None:
    """A rule's quick fix, on the engine thread (it reads the project model); None when none applies."""
    rule = registry().get(finding.code)
    if rule is None or not rule.fix_title:
        return None
    project = root.snapshot.project if root.snapshot else None
    try:
        fix = rule.fix(finding, text, project)
    except Exception:  # a broken fix builder hides that fix only
        log.exception("the quick fix of %s failed at %s:%s", finding.code, finding.path, finding.line)
        return None
    if fix is None or not fix.edits and not fix.new_files:
        return None
    return fix


def _suppression_parses(text: str, edit: Edit) -> bool:
    return _parses(_apply(text, [edit]))


def _fix_all(root: Root, findings: list[Finding], text: str) -> list[Edit]:
    """Every safe fix of a file, dropping any that overlaps one already taken; the result must parse."""
    taken: list[Edit] = []
    for finding in findings:
        fix = _build_fix(root, finding, text)
        if fix is None or fix.applicability != "safe" or fix.new_files:
            continue
        candidate = sorted(fix.edits, key=lambda e: (e.line, e.col))
        clash = any(
            (e.line, e.col) < (t.end_line, t.end_col) and (t.line, t.col) < (e.end_line, e.end_col)
            or (e.line, e.col) == (t.line, t.col)
            for e in candidate for t in taken
        )
        if clash:
            continue
        if _parses(_apply(text, taken + candidate)):
            taken.extend(candidate)
    return taken


def _has_safe_fix(findings: list[Finding]) -> bool:
    rules = registry()
    return any(
        (rule := rules.get(f.code)) is not None and rule.fix_title and rule.fix_applicability == "safe"
        for f in findings
    )


def agent_available() -> bool:
    """Whether the agent runner can be imported (the "Ask the agent" action needs it)."""
    import importlib.util

    try:
        return importlib.util.find_spec("backcheck.agent.runner") is not None
    except ImportError:
        return False


async def code_actions(server: BackcheckServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    session = server.session
    doc = session.docs.get(params.text_document.uri)
    if doc is None or not doc.checkable or doc.root is None:
        return []
    await session.ensure_current(doc)
    root = doc.root
    snap = root.snapshot
    if snap is None or doc.closed:
        return []
    only = params.context.only
    lines = session.lines_of(doc)
    text = session.text_of(doc)
    encoder = server.encoder
    file_findings = snap.findings.get(doc.rel, [])
    asked = {(d.code, d.range.start.line) for d in params.context.diagnostics or [] if d.source == "backcheck"}
    chosen: list[tuple[Finding, types.Diagnostic]] = []
    for finding in file_findings:
        diagnostic = to_diagnostic(encoder, lines, finding, root.settings.docs_url, root.uri)
        if _overlaps(diagnostic.range, params.range) or (finding.code, diagnostic.range.start.line) in asked:
            chosen.append((finding, diagnostic))

    actions: list[types.CodeAction] = []
    if _wanted(only, types.CodeActionKind.QuickFix):
        for finding, diagnostic in chosen:
            fix = await session.run(_build_fix, root, finding, text)
            if fix is not None:
                edit = workspace_edit(server, doc, _text_edits(encoder, lines, fix.edits), fix.new_files)
                if edit is not None:
                    actions.append(types.CodeAction(
                        title=f"{fix.title} ({finding.code})",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=fix.applicability == "safe",
                        edit=edit,
                    ))
        for finding, diagnostic in chosen:
            edit = suppression_edit(lines, finding)
            if edit is None or not await session.run(_suppression_parses, text, edit):
                continue
            actions.append(types.CodeAction(
                title=f"Suppress {finding.code} on this line",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                edit=workspace_edit(server, doc, _text_edits(encoder, lines, [edit])),
            ))
        if agent_available():
            for finding, diagnostic in chosen:
                actions.append(types.CodeAction(
                    title=f"Ask the agent to fix this ({finding.code})",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    command=types.Command(
                        title="Ask the agent to fix this",
                        command="backcheck.runTask",
                        arguments=[{
                            "task": f"Fix {finding.code} in {doc.rel} at line {finding.line}: {finding.message}",
                            "file": doc.rel,
                            "line": finding.line,
                            "code": finding.code,
                        }],
                    ),
                ))
    if _wanted(only, FIX_ALL) and _has_safe_fix(file_findings):
        explicit = bool(only)
        action = types.CodeAction(
            title="backcheck: fix all safe fixes in this file",
            kind=FIX_ALL,
            data={"uri": doc.uri, "version": doc.version},
        )
        if explicit or not _resolve_supported(server):
            edit = await _fix_all_edit(server, doc)
            if edit is None:
                return actions
            action.edit = edit
            action.data = None
        actions.append(action)
    return actions


def _resolve_supported(server: BackcheckServer) -> bool:
    caps = server.client_capabilities
    action = caps.text_document.code_action if caps and caps.text_document else None
    support = action.resolve_support if action else None
    return bool(support and "edit" in support.properties)


async def _fix_all_edit(server: BackcheckServer, doc: DocState) -> types.WorkspaceEdit | None:
    session = server.session
    root = doc.root
    snap = root.snapshot
    text = session.text_of(doc)
    edits = await session.run(_fix_all, root, list(snap.findings.get(doc.rel, [])), text)
    if not edits:
        return None
    return workspace_edit(server, doc, _text_edits(server.encoder, session.lines_of(doc), edits))


async def resolve(server: BackcheckServer, action: types.CodeAction) -> types.CodeAction:
    """`codeAction/resolve`: compute the fix-all edit only when the person picks it."""
    data = action.data if isinstance(action.data, dict) else {}
    doc = server.session.docs.get(data.get("uri", ""))
    if doc is None or action.kind != FIX_ALL:
        return action
    await server.session.ensure_current(doc)
    action.edit = await _fix_all_edit(server, doc) or types.WorkspaceEdit(changes={})
    return action
