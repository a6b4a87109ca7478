"""Agent tasks from the editor: `backcheck.runTask` starts one (cancellable through its `$/progress`),
`backcheck.cancelTask` stops it. The agent's file changes go through the editor: an open buffer gets
a `workspace/applyEdit` (so the person sees the change and can undo it) and the file on disk is
written too, because the agent's verify step runs tests and checks on the disk.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path

from backcheck.lsp.positions import Encoder, split_lines_keepends

if TYPE_CHECKING:
    from backcheck.lsp.server import BackcheckServer

log = logging.getLogger("backcheck.lsp.agent")

RUN_TASK = "backcheck.runTask"
CANCEL_TASK = "backcheck.cancelTask"


def position_at(text: str, offset: int, encoder: Encoder) -> types.Position:
    """The LSP position of a code-point offset into `text`."""
    line = 0
    consumed = 0
    for chunk in split_lines_keepends(text):
        if consumed + len(chunk) > offset:
            break
        consumed += len(chunk)
        line += 1
    within = text[consumed:offset]
    return types.Position(line, encoder.units(within))


class EditorApplier:
    """Applies the agent's changes through the editor (see `backcheck.agent.edits.EditApplier`)."""

    def __init__(self, server: BackcheckServer):
        self.server = server

    def _doc(self, path: Path):
        return self.server.session.docs.get(from_fs_path(str(path)))

    def read_text(self, path: Path) -> str | None:
        from backcheck.agent.edits import read_disk_text

        doc = self._doc(path)
        if doc is not None:
            return self.server.session.text_of(doc)
        return read_disk_text(path)

    async def apply(self, change: Any) -> None:
        from backcheck.agent.edits import EditRejected, read_disk_text, write_disk_text

        doc = self._doc(change.path)
        if doc is None:
            if read_disk_text(change.path) != change.before:
                raise EditRejected(f"{change.relpath} changed on disk while the agent was working; read it again")
            await asyncio.to_thread(write_disk_text, change.path, change.after)
            return
        current = self.server.session.text_of(doc)
        if current != change.before:
            raise EditRejected(f"{change.relpath} was edited in the editor while the agent worked; read it again")
        start, end, replacement = change.changed_range()
        encoder = self.server.encoder
        edit = types.TextEdit(
            range=types.Range(position_at(current, start, encoder), position_at(current, end, encoder)),
            new_text=replacement,
        )
        result = await self.server.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
            edit=types.WorkspaceEdit(changes={doc.uri: [edit]}),
            label=f"backcheck agent: {change.tool} {change.relpath}",
        ))
        if not result.applied:
            raise EditRejected(
                f"the editor did not apply the change to {change.relpath}: {result.failure_reason or 'no reason given'}"
            )
        await asyncio.to_thread(write_disk_text, change.path, change.after)


class AgentTasks:
    """At most one agent task per server at a time."""

    def __init__(self, server: BackcheckServer):
        self.server = server
        self.runner: Any = None

    async def run(self, *args: Any) -> dict[str, Any]:
        from backcheck.agent import AgentRunner

        argument = args[0] if args else {}
        task = argument.get("task") if isinstance(argument, dict) else str(argument)
        if not task or not str(task).strip():
            return {"status": "error", "message": "Describe the task for the agent."}
        if self.runner is not None:
            return {"status": "busy", "message": "An agent task is already running; cancel it first."}
        roots = list(self.server.session.roots.values())
        if isinstance(argument, dict) and argument.get("root"):
            root_path = Path(argument["root"]).resolve()
        elif self.server.session.folders:
            root_path = self.server.session.folders[0]
        elif roots:
            root_path = roots[0].path
        else:
            return {"status": "error", "message": "Open a workspace folder first: the agent works inside one."}
        focus = argument.get("file") if isinstance(argument, dict) else None
        token = await self._progress(f"backcheck agent: {str(task).strip()[:60]}")
        self.runner = AgentRunner(root_path, applier=EditorApplier(self.server), on_event=self._event(token))
        self.server.set_status("agent", "agent task running", phase="analyze")
        ended = "the agent task stopped"
        try:
            result = await self.runner.run(str(task), focus=focus)
            ended = result.message[:200]
        except asyncio.CancelledError:
            self.runner.cancel()  # the request was cancelled: the run stops at its next safe point
            raise
        finally:
            self.runner = None
            self.server.end_progress(token, ended)
            self.server.set_status("ready", self.server.summary(), phase=None)
        return {"status": result.status, "message": result.message, "task_id": result.task_id,
                "phase": result.phase, "changed_files": result.changed_files, "document": result.document}

    def cancel(self, *args: Any) -> dict[str, Any]:
        if self.runner is None:
            return {"cancelled": False, "message": "No agent task is running."}
        self.runner.cancel()
        return {"cancelled": True, "message": "The agent task stops at its next safe point."}

    async def _progress(self, title: str) -> str | None:
        token = await self.server.create_progress(title, prefix="backcheck-agent")
        future = self.server.work_done_progress.tokens.get(token) if token else None
        if future is not None:
            future.add_done_callback(lambda f: self.cancel() if f.cancelled() else None)
        return token

    def _event(self, token: str | None):
        def on_event(event: Any) -> None:
            data = event.data if isinstance(event.data, dict) else {}
            if event.kind == "phase":
                phase = data.get("phase")
                self.server.set_status("agent", "agent task running", phase=phase)
                if token is not None:
                    self.server.work_done_progress.report(token, types.WorkDoneProgressReport(message=f"phase: {phase}"))
            elif event.kind in ("status", "error") and token is not None:
                message = str(data.get("reason") or data.get("status") or data.get("message") or event.kind)[:200]
                self.server.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))

        return on_event
