"""Helpers for the language-server tests: `backcheck serve` in a subprocess, driven by pytest-lsp's
client impersonating VS Code or Neovim (their captured capabilities), on a small FastAPI project.

The client records every notification in order, so tests can assert on what was published and
when; `client.wait_for(predicate)` waits for notifications instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import textwrap
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

# The two editors every end-to-end test runs against (pytest-lsp's captured capability profiles).
PROFILES = ["visual-studio-code", "neovim"]
# VS Code's capabilities plus the pull-diagnostics ones today's vscode-languageclient declares; the
# server serves such a client's open buffers by pull.
PULL = "visual-studio-code+pull"
WAIT = 20.0

PROJECT = {
    "pyproject.toml": """\
        [project]
        name = "inventory"
        version = "0.1.0"

        [tool.backcheck]
        public = ["/health"]
        """,
    "app/__init__.py": "",
    "app/deps.py": """\
        from fastapi import Depends, HTTPException
        from fastapi.security import OAuth2PasswordBearer

        oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token")


        def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
            if not token:
                raise HTTPException(status_code=401)
            return token
        """,
    "app/main.py": """\
        from fastapi import Depends, FastAPI

        from app import items, reports
        from app.deps import get_current_user

        app = FastAPI()
        app.include_router(items.router, dependencies=[Depends(get_current_user)])
        app.include_router(reports.router)


        @app.get("/health")
        def health() -> dict:
            return {"ok": True}


        @app.get("/stats")
        def stats() -> dict:
            return {"orders": 1}
        """,
    "app/items.py": """\
        from fastapi import APIRouter

        router = APIRouter(prefix="/items")


        @router.get("/")
        def list_items() -> list[str]:
            return []


        @router.delete("/{item_id}")
        def delete_item(item_id: int) -> None:
            return None
        """,
    "app/reports.py": """\
        from fastapi import APIRouter

        router = APIRouter(prefix="/reports")


        @router.get("/daily")
        def daily_report() -> dict:
            return {}
        """,
}


def write_project(root: Path, files: dict[str, str] | None = None) -> Path:
    """Write the fixture project (or `files`) under `root`; returns `root`."""
    for rel, text in (files if files is not None else PROJECT).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


class Client(LanguageClient):
    """pytest-lsp's client, also keeping every publish, progress, message and status in order."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.statuses: list[dict] = []
        self.applied_edits: list[types.ApplyWorkspaceEditParams] = []
        self.registrations: list[types.Registration] = []
        self.events: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()

    def note(self, kind: str, value: Any) -> None:
        self.events.append((kind, value))
        self._changed.set()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
        """Wait until `predicate()` is truthy, re-checking after every notification from the server."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for the server; last events: "
                                     f"{[k for k, _ in self.events[-10:]]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    def diagnostics_for(self, uri: str) -> list[types.Diagnostic]:
        return list(self.diagnostics.get(uri, []))

    def codes(self, uri: str, code: str = "BC101") -> list[types.Diagnostic]:
        return [d for d in self.diagnostics.get(uri, []) if d.code == code]


def _record_publish(client: Client, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)
    client.note("publish", params)


def _record_progress(client: Client, params: types.ProgressParams) -> None:
    DEFAULT_CLIENT_FEATURES[types.PROGRESS](client, params)
    client.note("progress", params)


def _record_message(client: Client, params: types.ShowMessageParams) -> None:
    client.messages.append(params)
    client.note("message", params)


def _record_status(client: Client, params: Any) -> None:
    value = params if isinstance(params, dict) else params._asdict()
    client.statuses.append(value)
    client.note("status", value)


def _apply_edit(client: Client, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
    client.applied_edits.append(params)
    client.note("applyEdit", params)
    return types.ApplyWorkspaceEditResult(applied=True)


def _register(client: Client, params: types.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)
    client.note("register", params)


def _refresh(client: Client, params: None) -> None:
    client.diagnostic_refresh_count += 1
    client.note("refresh", None)


def _code_action_or_command(converter):
    """lsprotocol reads any code action that carries a `command` as a bare Command; editors look at
    whether `command` is a string. Teach the test client to do the same."""
    def hook(value: Any, _: type) -> Any:
        if isinstance(value.get("command"), str):
            return converter.structure(value, types.Command)
        return converter.structure(value, types.CodeAction)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], hook)  # noqa: UP007


def make_client() -> Client:
    client = Client(converter_factory=default_converter)
    _code_action_or_command(client.protocol._converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record_publish
    features[types.PROGRESS] = _record_progress
    features[types.WINDOW_SHOW_MESSAGE] = _record_message
    features[types.WORKSPACE_APPLY_EDIT] = _apply_edit
    features[types.CLIENT_REGISTER_CAPABILITY] = _register
    features[types.WORKSPACE_DIAGNOSTIC_REFRESH] = _refresh
    features["backcheck/status"] = _record_status
    register_lsp_features(client, features)
    return client


def capabilities(profile: str) -> types.ClientCapabilities:
    """A captured profile's capabilities; `+pull` adds pull diagnostics with refresh support."""
    name, _, extra = profile.partition("+")
    caps = client_capabilities(name)
    if extra == "pull":
        caps.text_document.diagnostic = types.DiagnosticClientCapabilities(dynamic_registration=True)
        caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


def is_pull(profile: str) -> bool:
    """Whether the server serves this client's open buffers by pull (it needs refresh support too)."""
    caps = capabilities(profile)
    return bool(caps.text_document.diagnostic and caps.workspace.diagnostics
                and caps.workspace.diagnostics.refresh_support)


_standby: Client | None = None


def server_env(**extra: str) -> dict[str, str]:
    """The server's environment: never a real Anthropic key or endpoint, never debug logging."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("BACKCHECK_DEBUG", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL")}
    env.update(extra)
    return env


async def _spawn(env: dict[str, str] | None = None, args: list[str] | None = None) -> Client:
    client = make_client()
    await client.start_io(sys.executable, *(args or ["-m", "backcheck", "serve"]), env=env or server_env())
    return client


async def _server_client() -> Client:
    """A client whose server process is already started, and a fresh one started for the next test.

    The server spends most of its start-up importing lsprotocol; a spare started ahead of time does
    that while the current test runs (the tests share one event loop, see conftest.py)."""
    global _standby
    client, _standby = _standby, None
    loop = asyncio.get_running_loop()
    alive = client is not None and client._server is not None and client._server.returncode is None
    if not alive or getattr(client, "loop", None) is not loop:
        if client is not None:
            await stop_standby(client)
        client = await _spawn()
        client.loop = loop  # type: ignore[attr-defined]
    _standby = await _spawn()
    _standby.loop = loop  # type: ignore[attr-defined]
    return client


async def stop_standby(client: Client | None = None) -> None:
    """Stop the spare server (at the end of the session)."""
    global _standby
    if client is None:
        client, _standby = _standby, None
    if client is None:
        return
    # A spare that died or belongs to a closed loop needs no stopping.
    with contextlib.suppress(Exception):
        await client.stop()


@asynccontextmanager
async def lsp_session(profile: str, root: Path | None, init_options: dict | None = None,
                      configuration: dict | None = None, env: dict[str, str] | None = None,
                      server_args: list[str] | None = None):
    """A started and initialized server for `root` (None: no workspace folder), shut down afterwards;
    `env` (from `server_env`) or `server_args` (the interpreter's arguments instead of
    `-m backcheck serve`) start a server of its own instead of the spare."""
    own = env is not None or server_args is not None
    client = await _spawn(env, server_args) if own else await _server_client()
    if configuration is not None:
        client.set_configuration(configuration)
    try:
        folders = [types.WorkspaceFolder(uri=root.as_uri(), name=root.name)] if root is not None else None
        await client.initialize_session(types.InitializeParams(
            capabilities=capabilities(profile),
            root_uri=root.as_uri() if root is not None else None,
            workspace_folders=folders,
            initialization_options={"debounce_ms": 30, **(init_options or {})},
        ))
        client.profile = profile  # type: ignore[attr-defined]
        yield client
    finally:
        try:
            await asyncio.wait_for(client.shutdown_session(), 15)
        finally:
            await client.stop()


def uri(path: Path) -> str:
    return path.as_uri()


def open_file(client: Client, path: Path, text: str | None = None, version: int = 1) -> str:
    text = path.read_text("utf-8") if text is None else text
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=path.as_uri(), language_id="python", version=version, text=text)
    ))
    return path.as_uri()


def change_file(client: Client, doc_uri: str, version: int, changes: list) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=doc_uri, version=version),
        content_changes=changes,
    ))


def replace_all(text: str) -> types.TextDocumentContentChangeWholeDocument:
    return types.TextDocumentContentChangeWholeDocument(text=text)


def insert_at(line: int, character: int, text: str) -> types.TextDocumentContentChangePartial:
    position = types.Position(line, character)
    return types.TextDocumentContentChangePartial(range=types.Range(position, position), text=text)


def replace_range(start: tuple[int, int], end: tuple[int, int], text: str) -> types.TextDocumentContentChangePartial:
    return types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(*start), types.Position(*end)), text=text
    )


async def pull(client: Client, doc_uri: str) -> list[types.Diagnostic]:
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=doc_uri))
    )
    return list(report.items)


async def current_diagnostics(client: Client, doc_uri: str) -> list[types.Diagnostic]:
    """What the editor would show for an open buffer: pulled for pull clients, else the last push."""
    if is_pull(client.profile):  # type: ignore[attr-defined]
        return await pull(client, doc_uri)
    return client.diagnostics_for(doc_uri)


async def diagnostics_at(client: Client, doc_uri: str, version: int) -> list[types.Diagnostic]:
    """The diagnostics the editor shows for a buffer at `version`: pulled, or the push for that version."""
    if is_pull(client.profile):  # type: ignore[attr-defined]
        return await pull(client, doc_uri)
    params = await client.wait_for(
        lambda: next((p for p in reversed(client.published) if p.uri == doc_uri and p.version == version), None)
    )
    return list(params.diagnostics)


def pushed(client: Client, doc_uri: str, predicate: Callable[[list[types.Diagnostic]], bool] = bool):
    """A waiter for the latest push to a file satisfying `predicate` (for files that are not open)."""
    def check():
        for params in reversed(client.published):
            if params.uri == doc_uri:
                return predicate(list(params.diagnostics)) and params
        return None
    return check


async def barrier(client: Client) -> None:
    """Returns once every check queued before it on the server has finished and published."""
    await client.workspace_execute_command_async(types.ExecuteCommandParams(command="backcheck.showRoutes"))


def _units(char: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(char.encode("utf-8", errors="surrogatepass"))
    if encoding == "utf-16":
        return 2 if ord(char) > 0xFFFF else 1
    return 1


def offset_of(text: str, position: types.Position, encoding: str) -> int:
    """The string offset of an LSP position, computed independently of the server's own code."""
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
    offset = sum(len(line) for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    seen = 0
    for char in line.rstrip("\r\n"):
        if seen >= position.character:
            break
        seen += _units(char, encoding)
        offset += 1
    return offset


def text_edits(edit: types.WorkspaceEdit, doc_uri: str) -> list[types.TextEdit]:
    """The text edits a workspace edit makes to one document (either form the server may use)."""
    found: list[types.TextEdit] = []
    for change in edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == doc_uri:
            found.extend(change.edits)
    found.extend((edit.changes or {}).get(doc_uri, []))
    return found


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = offset_of(text, edit.range.start, encoding)
        end = offset_of(text, edit.range.end, encoding)
        text = text[:start] + edit.new_text + text[end:]
    return text


def as_changes(edits: list[types.TextEdit]) -> list[types.TextDocumentContentChangePartial]:
    """Edits as the incremental changes an editor sends after applying them (last edit first)."""
    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
    return [types.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in ordered]


def encoding_of(profile: str) -> str:
    """The position encoding the server settles on with this client (Neovim offers UTF-8 first)."""
    return "utf-8" if profile.startswith("neovim") else "utf-16"
