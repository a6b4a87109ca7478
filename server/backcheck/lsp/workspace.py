"""Workspace roots, open buffers, and the debounced checks that keep diagnostics current.

Each workspace folder (or, for a client without one, the project a file belongs to) is a `Root`
with its own `Engine`. Engines are not thread-safe, so every engine call runs on one dedicated
thread (`Session.run`); the event loop stays free to read the next change while a check runs.

A change to a buffer (re)starts that buffer's debounce timer; the check that follows indexes the
buffer's text, collects project findings (cross-file rules included) and publishes. A newer change
cancels a check that is still waiting or queued; one already running finishes, but its results are
thrown away because its version is no longer current. Nothing is published for a version other
than the one it was computed for.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pygls.uris import from_fs_path, to_fs_path

from backcheck.diagnostics import Finding
from backcheck.engine import Engine, FileResult
from backcheck.index.project import Project
from backcheck.lsp.configuration import Configuration, LoadedSettings, pyproject_changed

if TYPE_CHECKING:
    from backcheck.lsp.server import BackcheckServer

log = logging.getLogger("backcheck.lsp")

T = TypeVar("T")


@dataclass
class TestFailure:
    """A failing test shown as a diagnostic at the line where it failed."""

    __test__ = False

    line: int  # 1-based
    message: str
    nodeid: str


@dataclass
class Snapshot:
    """One collect() of a root: findings and file errors by file, and the buffer versions they used."""

    generation: int
    findings: dict[str, list[Finding]]
    errors: dict[str, list[str]]
    project: Project
    # the buffer version each open file had in the engine when this was collected
    versions: dict[str, int | None]
    elapsed: float = 0.0

    def paths(self) -> set[str]:
        return set(self.findings) | set(self.errors)


class DocState:
    """What the server tracks about one open buffer."""

    def __init__(self, uri: str, root: Root | None, rel: str, version: int, checkable: bool):
        self.uri = uri
        self.root = root
        self.rel = rel
        self.version = version
        self.checkable = checkable
        # the version whose findings the root's snapshot holds (what was or may be published)
        self.checked_version: int | None = None
        # the version whose text the engine holds; written only on the engine thread
        self.indexed_version: int | None = None
        self.task: asyncio.Task | None = None
        self.debouncing = False
        self.closed = False


class Root:
    """One project root: its engine, settings, latest snapshot and what the client was last sent."""

    def __init__(self, path: Path, loaded: LoadedSettings, scannable: bool):
        self.path = path
        self.loaded = loaded
        self.engine = Engine(path, loaded.settings)
        self.generation = 0
        self.scannable = scannable
        self.snapshot: Snapshot | None = None
        self.docs: dict[str, DocState] = {}  # by rel
        # a counter per file changed on disk, so a re-published file is never mistaken for unchanged
        self.revisions: dict[str, int] = {}
        # what was last pushed (or answered to a pull) for each file, to publish only differences
        self.pushed: dict[str, Any] = {}
        self.pulled: dict[str, Any] = {}
        self.test_failures: dict[str, list[TestFailure]] = {}
        self.scan_task: asyncio.Task | None = None
        self.reloading = False
        # set while no scan is due or running; a root that is never scanned is always "scanned"
        self.scanned = asyncio.Event()
        if not scannable:
            self.scanned.set()

    @property
    def settings(self):
        return self.loaded.settings

    def rel(self, path: Path) -> str:
        return self.engine.rel(path)

    def uri(self, rel: str) -> str:
        doc = self.docs.get(rel)
        return doc.uri if doc is not None else from_fs_path(str(self.path / rel))

    def contains(self, path: Path) -> bool:
        return path == self.path or self.path in path.parents


def uri_to_path(uri: str) -> Path | None:
    """The local file a `file:` URI names, or None for other schemes (untitled buffers, notebooks)."""
    if not uri.startswith("file:"):
        return None
    fs = to_fs_path(uri)
    return Path(fs) if fs else None


def is_python(path: Path) -> bool:
    return path.suffix in (".py", ".pyi")


class Session:
    """All server state: roots, open buffers, the engine thread, and the publish logic."""

    def __init__(self, server: BackcheckServer):
        self.server = server
        self.config = Configuration()
        self.roots: dict[Path, Root] = {}
        self.docs: dict[str, DocState] = {}
        self.folders: list[Path] = []
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backcheck-engine")
        self.pull_mode = False
        # set to stop long work in other threads (test runs) when the server shuts down
        self.stop_events: set[threading.Event] = set()

    # -- the engine thread ---------------------------------------------------------------------------

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on the engine thread; cancelling the caller drops it if it has not started."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, fn, *args)

    # -- roots ---------------------------------------------------------------------------------------

    def add_folder(self, path: Path) -> None:
        path = path.resolve()
        if path not in self.folders:
            self.folders.append(path)

    def root_for(self, path: Path, create: bool = True) -> Root | None:
        """The root a file belongs to: the deepest workspace folder holding it, else the project around it."""
        path = path.resolve()
        best = None
        for folder in self.folders:
            if (folder == path or folder in path.parents) and (best is None or len(str(folder)) > len(str(best))):
                best = folder
        if best is None:
            for root in self.roots.values():
                if root.contains(path) and (best is None or len(str(root.path)) > len(str(best))):
                    best = root.path
        if best is not None:
            root = self.roots.get(best)
            if root is None and create:
                root = self.make_root(best, scannable=True)
            return root
        if not create:
            return None
        # No workspace folder: use the folder of the nearest pyproject.toml, else the file's own folder.
        from backcheck.config import find_pyproject

        found = find_pyproject(path.parent)
        if found is not None:
            return self.roots.get(found.parent) or self.make_root(found.parent, scannable=True)
        return self.roots.get(path.parent) or self.make_root(path.parent, scannable=False)

    def make_root(self, path: Path, scannable: bool) -> Root:
        loaded = self.config.load(path)
        self.report_problems(loaded.problems)
        root = Root(path, loaded, scannable)
        self.roots[path] = root
        if scannable and self.server.initialized_done:
            self.server.start_scan(root)
        return root

    def report_problems(self, problems: list[str]) -> None:
        """Tell the person about bad settings, once each; the valid settings still apply."""
        fresh = self.config.unreported(problems)
        if not fresh:
            return
        for problem in fresh:
            log.warning("config: %s", problem)
        shown = "; ".join(fresh[:5]) + (f"; and {len(fresh) - 5} more" if len(fresh) > 5 else "")
        self.server.show_message(
            f"backcheck: some settings were not applied ({shown}). The other settings are in effect.",
            warning=True,
        )

    async def reload_config(self, roots: list[Root] | None = None) -> None:
        """Re-read settings for roots; a root whose settings changed gets a fresh engine and a re-scan."""
        for root in list(roots if roots is not None else self.roots.values()):
            loaded = await asyncio.to_thread(self.config.load, root.path)
            self.report_problems(loaded.problems)
            if loaded.settings == root.settings:
                root.loaded = loaded
                continue
            await self.rebuild(root, loaded)

    async def rebuild(self, root: Root, loaded: LoadedSettings) -> None:
        """Replace a root's engine after a settings change and check everything again."""
        if root.scan_task is not None and not root.scan_task.done():
            root.scan_task.cancel()

        def replace() -> None:
            root.engine = Engine(root.path, loaded.settings)
            root.generation += 1
            for doc in list(root.docs.values()):
                doc.indexed_version = None

        await self.run(replace)
        root.loaded = loaded
        for doc in root.docs.values():
            doc.checked_version = None
        self.server.start_scan(root, title="backcheck: settings changed, checking again", fresh=True)

    def check_pyproject(self, root: Root) -> None:
        """Notice an edited pyproject.toml even when the client does not watch files (Neovim on Linux)."""
        if root.reloading:
            return
        candidate = root.path / "pyproject.toml"
        if pyproject_changed(root.loaded) or (root.loaded.pyproject is None and candidate.exists()):
            root.reloading = True
            asyncio.ensure_future(self._reload_root(root))

    async def _reload_root(self, root: Root) -> None:
        try:
            await self.reload_config([root])
        finally:
            root.reloading = False

    # -- buffers -------------------------------------------------------------------------------------

    def open(self, uri: str, version: int) -> DocState:
        path = uri_to_path(uri)
        root = None
        rel = uri
        checkable = False
        if path is not None and is_python(path):
            root = self.root_for(path)
            if root is not None:
                rel = root.rel(path)
                checkable = not rel.startswith("/") and not root.engine.excluded(rel)
        doc = DocState(uri, root, rel, version, checkable)
        previous = self.docs.pop(uri, None)
        if previous is not None:
            self._forget(previous)
        self.docs[uri] = doc
        if root is not None and checkable:
            root.docs[rel] = doc
            if self.pull_mode and root.pushed.get(rel):
                # The buffer is now served by pull; clear what push showed for it so nothing is doubled.
                self.server.push(root, rel, [], None)
                root.pushed[rel] = None
        if checkable:
            self.schedule(doc, 0)
        else:
            doc.checked_version = version
        return doc

    def change(self, uri: str, version: int) -> None:
        doc = self.docs.get(uri)
        if doc is None:
            return
        doc.version = version
        if doc.checkable:
            self.schedule(doc, doc.root.settings.debounce_ms / 1000)
        else:
            doc.checked_version = version

    async def close(self, uri: str) -> None:
        doc = self.docs.pop(uri, None)
        if doc is None:
            return
        self._forget(doc)
        root = doc.root
        if root is None or not doc.checkable:
            return
        # The buffer may have held unsaved text: the file on disk is what counts from now on.
        root.revisions[doc.rel] = root.revisions.get(doc.rel, 0) + 1
        generation = root.generation
        snap = await self.run(reindex_from_disk, root, generation, [doc.rel])
        if snap is not None:
            self.apply(root, snap)
        if not root.scannable and doc.rel not in root.docs:
            # A file outside any project: nothing keeps it current once closed.
            self.server.push(root, doc.rel, [], None)
            root.pushed.pop(doc.rel, None)

    def _forget(self, doc: DocState) -> None:
        doc.closed = True
        if doc.task is not None:
            doc.task.cancel()
        if doc.root is not None and doc.root.docs.get(doc.rel) is doc:
            del doc.root.docs[doc.rel]
            doc.root.pulled.pop(doc.rel, None)

    def text_of(self, doc: DocState) -> str:
        return self.server.workspace.get_text_document(doc.uri).source

    def lines_of(self, doc: DocState):
        return self.server.workspace.get_text_document(doc.uri).lines

    # -- checks --------------------------------------------------------------------------------------

    def schedule(self, doc: DocState, delay: float) -> asyncio.Task:
        """(Re)start a buffer's check after `delay` seconds, cancelling the one pending."""
        if doc.task is not None and not doc.task.done():
            doc.task.cancel()
        doc.task = asyncio.ensure_future(self._check(doc, doc.version, delay))
        return doc.task

    async def _check(self, doc: DocState, version: int, delay: float) -> None:
        if delay > 0:
            doc.debouncing = True
            try:
                await asyncio.sleep(delay)
            finally:
                doc.debouncing = False
        if doc.closed or doc.version != version:
            return
        root = doc.root
        assert root is not None
        if not root.scanned.is_set():
            # Before the first scan has indexed the project, cross-file rules would see half of it
            # (an auth dependency defined in a file not read yet): wait; the scan checks this buffer.
            await root.scanned.wait()
            if doc.closed or doc.version != version or doc.checked_version == version:
                return
        self.check_pyproject(root)
        text = self.text_of(doc)
        started = time.perf_counter()
        try:
            snap = await self.run(index_and_collect, root, root.generation, doc, version, text)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an engine bug must not stop the server or leave the buffer waiting
            log.exception("checking %s failed", doc.rel)
            self.server.show_once(f"backcheck could not check {doc.rel}: {type(exc).__name__}: {exc}")
            doc.checked_version = version
            return
        if doc.closed or doc.version != version or snap is None:
            return  # a newer version (or a rebuilt engine) will publish instead
        snap.elapsed = time.perf_counter() - started
        self.apply(root, snap, origin=doc)

    async def ensure_current(self, doc: DocState) -> None:
        """Wait until the buffer's current version is checked, skipping what is left of its debounce."""
        while doc.checked_version != doc.version:
            if doc.closed or not doc.checkable:
                return
            task = doc.task
            if task is None or task.done() or doc.debouncing:
                task = self.schedule(doc, 0)
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
                # The check was replaced by a newer one: wait for that instead.

    # -- publishing ----------------------------------------------------------------------------------

    def key(self, root: Root, rel: str, snap: Snapshot) -> tuple:
        """Everything a file's diagnostics depend on; equal keys mean equal diagnostics."""
        findings = tuple(
            (f.code, f.line, f.col, f.end_line, f.end_col, f.message) for f in snap.findings.get(rel, ())
        )
        failures = tuple((t.line, t.message) for t in root.test_failures.get(rel, ()))
        doc = root.docs.get(rel)
        revision = doc.version if doc is not None else root.revisions.get(rel, 0)
        return (findings, tuple(snap.errors.get(rel, ())), failures, revision, root.settings.docs_url)

    def apply(self, root: Root, snap: Snapshot, origin: DocState | None = None) -> None:
        """Adopt a snapshot and publish every file whose diagnostics changed (cross-file included)."""
        if snap.generation != root.generation:
            return
        root.snapshot = snap
        rels = snap.paths() | {r for r, k in root.pushed.items() if k} | set(root.test_failures)
        rels |= {r for r in root.pulled}
        if origin is not None:
            rels.add(origin.rel)
        refresh = False
        for rel in sorted(rels):
            doc = root.docs.get(rel)
            if doc is not None:
                if snap.versions.get(rel) != doc.version:
                    continue  # its buffer changed since; that buffer's own check publishes it
                doc.checked_version = doc.version
            key = self.key(root, rel, snap)
            if self.pull_mode and doc is not None:
                if doc is not origin and root.pulled.get(rel) not in (None, key):
                    refresh = True
                continue
            if doc is origin or root.pushed.get(rel) != key:
                if not root.pushed.get(rel) and not snap.findings.get(rel) and not snap.errors.get(rel) \
                        and not root.test_failures.get(rel) and doc is not origin:
                    root.pushed[rel] = key
                    continue  # nothing was shown and nothing is to show
                self.server.push(root, rel, None, doc.version if doc is not None else None)
                root.pushed[rel] = key
        if refresh:
            self.server.refresh_pull_diagnostics()

    def republish(self, root: Root) -> None:
        """Publish a root again from its latest snapshot (after test failures or docs_url changed)."""
        if root.snapshot is not None:
            self.apply(root, root.snapshot)

    def shutdown(self) -> None:
        """Stop everything in flight, so the process can exit promptly."""
        for event in list(self.stop_events):
            event.set()
        for doc in self.docs.values():
            if doc.task is not None:
                doc.task.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)


# -- jobs that run on the engine thread ---------------------------------------------------------------


def collect(root: Root, generation: int) -> Snapshot:
    """The root's findings now, grouped by file, with the buffer versions they were computed from."""
    result = root.engine.collect()
    findings: dict[str, list[Finding]] = {}
    for finding in result.findings:
        findings.setdefault(finding.path, []).append(finding)
    errors: dict[str, list[str]] = {}
    for error in result.errors:
        if error.path == ".":
            log.warning("%s", error.message)
            continue
        errors.setdefault(error.path, []).append(error.message)
    versions = {doc.rel: doc.indexed_version for doc in list(root.docs.values())}
    return Snapshot(generation, findings, errors, result.project, versions)


def index_buffer(root: Root, doc: DocState, version: int, text: str) -> None:
    """Put a buffer's text into the engine. A buffer a file would be refused for (too large, binary,
    not encodable as UTF-8) goes through the file path, so it gets the same message a file would."""
    try:
        data = text.encode("utf-8")
        refused = len(data) > root.settings.max_file_bytes or "\x00" in text[:8192]
    except UnicodeEncodeError:  # lone surrogates: the client sent undecodable bytes through
        data = text.encode("utf-8", errors="surrogatepass")
        refused = True
    if refused:
        root.engine.update(doc.rel, data)
    else:
        root.engine.update_text(doc.rel, text)
    doc.indexed_version = version


def index_and_collect(root: Root, generation: int, doc: DocState, version: int, text: str) -> Snapshot | None:
    """A buffer's check: index its text, then collect (None when the engine was replaced meanwhile)."""
    if root.generation != generation:
        return None
    index_buffer(root, doc, version, text)
    return collect(root, generation)


def read_file(root: Root, rel: str) -> None:
    """Re-index one file from disk (gone: dropped; unreadable: an error the person sees)."""
    path = root.path / rel
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        root.engine.update(rel, None)
        return
    except OSError as exc:
        root.engine.results[rel] = FileResult(None, [], f"cannot read: {exc.strerror or exc}")
        return
    root.engine.update(rel, data)


def reindex_from_disk(root: Root, generation: int, rels: list[str]) -> Snapshot | None:
    """Re-read files that are not open (changed on disk, or a buffer just closed), then collect."""
    if root.generation != generation:
        return None
    for rel in rels:
        if rel in root.docs:
            continue  # an open buffer is authoritative
        if root.engine.excluded(rel):
            root.engine.update(rel, None)
            continue
        read_file(root, rel)
    return collect(root, generation)


@dataclass
class Progress:
    """A running `$/progress` report; `cancelled` turns true when the person presses cancel."""

    token: str | None
    cancel_future: Any = None
    last_percent: int = -1
    started: float = field(default_factory=time.monotonic)

    @property
    def cancelled(self) -> bool:
        return self.cancel_future is not None and self.cancel_future.cancelled()
