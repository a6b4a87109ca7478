"""`backcheck serve`: the pygls server object and its handlers, each a thin call into the module that
owns the concern. Run with `main()`; stdout carries only the protocol.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from backcheck import __version__
from backcheck.lsp import code_actions, commands, diagnostics, hover, scan
from backcheck.lsp.agent import CANCEL_TASK, RUN_TASK, AgentTasks
from backcheck.lsp.documents import BufferWorkspace
from backcheck.lsp.positions import Encoder
from backcheck.lsp.workspace import Root, Session, uri_to_path

log = logging.getLogger("backcheck.lsp")

STATUS = "backcheck/status"
# No identifier: VS Code's client names its pull collection after it, and "backcheck" is already the
# name of the push collection the extension creates.
DIAGNOSTIC_OPTIONS = types.DiagnosticOptions(inter_file_dependencies=True, workspace_diagnostics=False)
WATCHERS_ID = "backcheck-watched-files"


class BackcheckProtocol(LanguageServerProtocol):
    """pygls' protocol, also cancelling a running command when the client cancels its request.

    pygls runs `workspace/executeCommand` handlers as inner tasks that `$/cancelRequest` does not
    reach; commands register their task here so a cancelled test run or agent task really stops.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.command_tasks: dict[Any, asyncio.Task] = {}

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        task = self.command_tasks.pop(msg_id, None)
        if task is not None and not task.done():
            task.cancel()
        super()._handle_cancel_notification(msg_id)


def _cancellable(command: Any) -> Any:
    """Register a command's task under its request id so `$/cancelRequest` cancels it."""
    async def run(ls: BackcheckServer, *args: Any) -> Any:
        msg_id = ls.protocol.msg_id
        if msg_id is not None:
            ls.protocol.command_tasks[msg_id] = asyncio.current_task()
        try:
            return await command(ls, *args)
        finally:
            ls.protocol.command_tasks.pop(msg_id, None)

    return run


class BackcheckServer(LanguageServer):
    """The language server: LSP plumbing plus the few things every module needs to tell the client."""

    def __init__(self) -> None:
        super().__init__("backcheck", __version__, protocol_cls=BackcheckProtocol)
        self.session = Session(self)
        self.encoder = Encoder("utf-16")
        self.initialized_done = False
        # set once `initialized` has made the roots and started their scans
        self.ready = asyncio.Event()
        self.agent = AgentTasks(self)
        self._status: dict[str, Any] = {}
        self._shown: set[str] = set()

    # -- telling the client --------------------------------------------------------------------------

    def show_message(self, message: str, warning: bool = False) -> None:
        kind = types.MessageType.Warning if warning else types.MessageType.Info
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def show_once(self, message: str) -> None:
        """An error shown to the person once per server run (and always logged)."""
        log.warning("%s", message)
        if message not in self._shown:
            self._shown.add(message)
            self.show_message(message, warning=True)

    def set_status(self, state: str, message: str | None = None, phase: str | None | bool = False) -> None:
        """Send `backcheck/status` ({state, phase, message}) when it changes; `phase=False` keeps the phase."""
        status = dict(self._status)
        status["state"] = state
        if phase is not False:
            status["phase"] = phase
        status.setdefault("phase", None)
        if message is not None:
            status["message"] = message
        if status != self._status:
            self._status = status
            self.protocol.notify(STATUS, status)

    def summary(self) -> str:
        findings = 0
        files = 0
        for root in self.session.roots.values():
            if root.snapshot is not None:
                counts = [len(v) for v in root.snapshot.findings.values() if v]
                findings += sum(counts)
                files += len(counts)
        return f"{findings} finding{'s' * (findings != 1)} in {files} file{'s' * (files != 1)}"

    async def ask(self, request: Any, timeout: float = 10.0) -> Any:
        """Await a request to the client without ever cancelling it: pygls fails on a response to a
        request whose future was cancelled, so a caller that gives up leaves the request running."""
        pending = asyncio.ensure_future(request)
        return await asyncio.wait_for(asyncio.shield(pending), timeout)

    async def create_progress(self, title: str, prefix: str = "backcheck") -> str | None:
        """Begin a cancellable `$/progress`; its token, or None when the client shows no progress."""
        caps = self.client_capabilities
        if not (caps and caps.window and caps.window.work_done_progress):
            return None
        token = f"{prefix}-{uuid.uuid4().hex[:8]}"
        try:
            await self.ask(self.work_done_progress.create_async(token))
        except Exception as exc:  # noqa: BLE001 - the client refused or never answered: no progress
            log.info("no progress for %r: %s", title, exc)
            return None
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=True,
                                                                         percentage=0))
        return token

    def end_progress(self, token: str | None, message: str) -> None:
        if token is None:
            return
        self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        self.work_done_progress.tokens.pop(token, None)

    def push(self, root: Root, rel: str, items: list[types.Diagnostic] | None, version: int | None) -> None:
        diagnostics.push(self, root, rel, items, version)

    def refresh_pull_diagnostics(self) -> None:
        """Ask a pull client to pull again (another file's change altered an open buffer's findings)."""
        caps = self.client_capabilities
        support = caps.workspace.diagnostics if caps and caps.workspace else None
        if support and support.refresh_support:
            self.workspace_diagnostic_refresh(None)

    def start_scan(self, root: Root, title: str = "backcheck: checking the workspace", fresh: bool = False) -> asyncio.Task:
        """Start (or restart) the scan of a root; returns its task. `fresh`: the engine is new and
        empty, so buffer checks wait for the scan rather than see half a project."""
        if root.scan_task is not None and not root.scan_task.done():
            root.scan_task.cancel()
        if fresh:
            root.scanned.clear()
        root.scan_task = asyncio.ensure_future(self._scan(root, title))
        return root.scan_task

    async def _scan(self, root: Root, title: str) -> dict:
        try:
            result = await scan.scan_root(self, root, title)
            # the project's facts live as long as the session: keep them out of every later GC pass,
            # which otherwise re-walks them all and puts 100+ ms pauses into edits of big workspaces
            gc.collect()
            gc.freeze()
            return result
        except asyncio.CancelledError:
            return {"cancelled": True}
        except Exception as exc:  # the scan failing leaves buffers checked one by one; say why
            log.exception("the workspace scan of %s failed", root.path)
            self.show_once(f"backcheck could not check the whole workspace {root.path}: {type(exc).__name__}: {exc}")
            return {"cancelled": True, "error": str(exc)}

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Errors pygls catches in handlers: logged, and shown once per message, never fatal."""
        log.error("%s: %s", getattr(source, "__name__", source), error)
        from pygls.exceptions import FeatureRequestError

        if source is not FeatureRequestError:
            self.show_once(f"backcheck: internal error: {error}")


server = None  # the running server, for debugging from a REPL


def create_server() -> BackcheckServer:
    """A server with every handler registered."""
    ls = BackcheckServer()

    @ls.feature(types.INITIALIZE)
    def on_initialize(ls: BackcheckServer, params: types.InitializeParams) -> None:
        # pygls built its Workspace already; swap in one whose buffers follow LSP line endings.
        ls.protocol._workspace = BufferWorkspace.replacing(ls.protocol._workspace)
        ls.encoder = Encoder(ls.workspace.position_encoding)
        ls.session.config.set_init_options(params.initialization_options)
        caps = params.capabilities
        # Pull only for clients that can also be told to pull again when another file's change alters
        # an open buffer's findings (VS Code's client); others (Neovim 0.11) get everything pushed.
        pull = bool(caps.text_document and caps.text_document.diagnostic)
        refresh = bool(caps.workspace and caps.workspace.diagnostics and caps.workspace.diagnostics.refresh_support)
        ls.session.pull_mode = pull and refresh
        if ls.session.pull_mode:
            ls.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, DIAGNOSTIC_OPTIONS)(_document_diagnostic)
        folders = [f.uri for f in params.workspace_folders or []]
        if not folders and params.root_uri:
            folders = [params.root_uri]
        elif not folders and params.root_path:
            folders = [Path(params.root_path).resolve().as_uri()]
        for uri in folders:
            path = uri_to_path(uri)
            if path is not None and path.is_dir():
                ls.session.add_folder(path)

    @ls.feature(types.INITIALIZED)
    async def on_initialized(ls: BackcheckServer, params: types.InitializedParams) -> None:
        # Answered but not advertised: advertising them would make clients pull what push already shows
        # (a push client would show everything twice; VS Code would pull the whole workspace).
        if not ls.session.pull_mode:
            ls.feature(types.TEXT_DOCUMENT_DIAGNOSTIC)(_document_diagnostic)
        ls.feature(types.WORKSPACE_DIAGNOSTIC)(_workspace_diagnostic)
        ls.set_status("starting", "reading settings")
        await _register_watchers(ls)
        await _pull_configuration(ls)
        if ls.session.roots:
            await ls.session.reload_config()  # buffers opened meanwhile made roots with older settings
        ls.initialized_done = True
        for folder in ls.session.folders:
            if folder not in ls.session.roots:
                ls.session.make_root(folder, scannable=True)
        for root in list(ls.session.roots.values()):
            if root.scannable and root.scan_task is None:
                ls.start_scan(root)
        ls.ready.set()
        if not ls.session.folders:
            ls.set_status("ready", "no workspace folder: checking open files")

    @ls.feature(types.SHUTDOWN)
    def on_shutdown(ls: BackcheckServer, params: Any) -> None:
        ls.session.shutdown()
        if ls.agent.runner is not None:
            ls.agent.runner.cancel()

    @ls.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: BackcheckServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.session.open(params.text_document.uri, params.text_document.version)

    @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: BackcheckServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.session.change(params.text_document.uri, params.text_document.version)

    @ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: BackcheckServer, params: types.DidCloseTextDocumentParams) -> None:
        await ls.session.close(params.text_document.uri)

    @ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: BackcheckServer, params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        has_values = isinstance(settings, dict) and any(v not in (None, {}) for v in settings.values())
        if has_values:
            ls.session.config.set_client_settings(settings)
        else:
            await _pull_configuration(ls)
        await ls.session.reload_config()
        for root in ls.session.roots.values():
            ls.session.republish(root)

    @ls.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: BackcheckServer, params: types.DidChangeWatchedFilesParams) -> None:
        await scan.files_changed(ls, params)

    @ls.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: BackcheckServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        for folder in params.event.removed or []:
            path = uri_to_path(folder.uri)
            if path is not None and path.resolve() in ls.session.folders:
                ls.session.folders.remove(path.resolve())
        for folder in params.event.added or []:
            path = uri_to_path(folder.uri)
            if path is not None and path.is_dir():
                ls.session.add_folder(path)
                ls.session.roots.get(path.resolve()) or ls.session.make_root(path.resolve(), scannable=True)

    @ls.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=code_actions.KINDS, resolve_provider=True),
    )
    async def code_action(ls: BackcheckServer, params: types.CodeActionParams):
        return await code_actions.code_actions(ls, params)

    @ls.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: BackcheckServer, params: types.CodeAction):
        return await code_actions.resolve(ls, params)

    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: BackcheckServer, params: types.HoverParams):
        return await hover.hover(ls, params)

    ls.command(commands.CHECK_WORKSPACE)(_cancellable(commands.check_workspace))
    ls.command(commands.SHOW_ROUTES)(_cancellable(commands.show_routes))
    ls.command(commands.RUN_TESTS)(_cancellable(commands.run_tests_command))
    ls.command(RUN_TASK)(_cancellable(lambda ls, *args: ls.agent.run(*args)))

    @ls.command(CANCEL_TASK)
    def cancel_task(ls: BackcheckServer, *args: Any):
        return ls.agent.cancel(*args)

    return ls


async def _document_diagnostic(ls: BackcheckServer, params: types.DocumentDiagnosticParams):
    return await diagnostics.pull_document(ls, params)


async def _workspace_diagnostic(ls: BackcheckServer, params: types.WorkspaceDiagnosticParams):
    return await diagnostics.pull_workspace(ls, params)


async def _register_watchers(ls: BackcheckServer) -> None:
    """Watch Python files and pyproject.toml when the client can register watchers dynamically."""
    caps = ls.client_capabilities
    watched = caps.workspace.did_change_watched_files if caps and caps.workspace else None
    if not (watched and watched.dynamic_registration):
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[
        types.FileSystemWatcher(glob_pattern="**/*.py"),
        types.FileSystemWatcher(glob_pattern="**/pyproject.toml"),
    ])
    registration = types.Registration(id=WATCHERS_ID, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                      register_options=options)
    try:
        await ls.ask(ls.client_register_capability_async(types.RegistrationParams(registrations=[registration])))
    except Exception as exc:  # noqa: BLE001 - without watchers, outside changes wait for a re-check
        log.warning("the client did not register file watchers: %s", exc)


async def _pull_configuration(ls: BackcheckServer) -> None:
    """Ask the client for the `backcheck` settings section, when it answers workspace/configuration."""
    caps = ls.client_capabilities
    if not (caps and caps.workspace and caps.workspace.configuration):
        return
    try:
        result = await ls.ask(
            ls.workspace_configuration_async(types.ConfigurationParams(items=[types.ConfigurationItem(section="backcheck")]))
        )
    except Exception as exc:  # noqa: BLE001 - the client could not answer: keep the settings we have
        log.info("workspace/configuration failed: %s", exc)
        return
    if result and isinstance(result[0], dict):
        ls.session.config.set_client_settings(result[0])


def _configure_logging(log_file: Path | str | None) -> None:
    """backcheck logs at WARNING to stderr (editors show stderr in their logs); more with BACKCHECK_LOG_LEVEL."""
    level_name = os.environ.get("BACKCHECK_LOG_LEVEL") or ("DEBUG" if os.environ.get("BACKCHECK_DEBUG") else "WARNING")
    level = getattr(logging, level_name.upper(), logging.WARNING)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    root = logging.getLogger()
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)
    # pygls reports every cancelled or unknown request at WARNING; that is routine for an editor.
    logging.getLogger("pygls").setLevel(max(level, logging.ERROR))


def main(tcp: str | None = None, log_file: Path | str | None = None) -> int:
    """Run the language server over stdio (default) or TCP (`HOST:PORT`, for debugging)."""
    global server
    _configure_logging(log_file)
    # fewer, larger young collections: an edit allocates a file's worth of facts in one burst
    gc.set_threshold(50_000, 50, 1000)
    server = create_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
        return 0
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Anything a library prints lands in the log, never in the protocol stream.
    sys.stdout = sys.stderr
    server.start_io(stdin, stdout)
    return 0
