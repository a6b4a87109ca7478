"""How the agent's file changes reach the workspace, and how a run is undone.

The agent never writes files itself: it hands a :class:`FileChange` to an :class:`EditApplier`.
The default, :class:`DiskEditApplier`, writes to disk. The language server supplies its own
applier that sends ``workspace/applyEdit`` so the editor shows the change and can undo it.

Contract for an applier (what the LSP implementation must honour):

- ``read_text(path)`` returns the text the agent should edit: the open buffer when the editor
  has one, else the file on disk; None when the file does not exist.
- ``await apply(change)`` makes ``change.after`` the content of ``change.path`` (creating the file
  when ``change.before`` is None). When it returns, the file ON DISK must hold ``change.after``,
  because tests, ruff and backcheck read the disk (an LSP applier sends applyEdit and then saves,
  or writes the file itself after the client accepted the edit).
- It raises :class:`EditRejected` with a readable reason when the change cannot be applied (the
  client refused, the buffer changed meanwhile); the agent gets that reason as a tool error.

Before a file is changed for the first time in a task, :class:`Checkpoint` keeps its original
under ``.backcheck/checkpoints/<task>/`` so ``backcheck agent undo`` restores everything at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable


class EditRejected(Exception):
    """An edit could not be applied; the message says why."""


@dataclass(frozen=True)
class FileChange:
    """One whole-file change the agent wants: ``before`` (None for a new file) becomes ``after``."""

    path: Path
    relpath: str
    before: str | None
    after: str
    tool: str

    def changed_range(self) -> tuple[int, int, str]:
        """The smallest replaced span of ``before``: (start offset, end offset, replacement text).

        An LSP applier can turn this into one TextEdit instead of replacing the whole document.
        """
        old = self.before or ""
        new = self.after
        start = 0
        limit = min(len(old), len(new))
        while start < limit and old[start] == new[start]:
            start += 1
        end_old, end_new = len(old), len(new)
        while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
            end_old -= 1
            end_new -= 1
        return start, end_old, new[start:end_new]


@runtime_checkable
class EditApplier(Protocol):
    """Reads and writes workspace files on the agent's behalf (see the module docstring)."""

    def read_text(self, path: Path) -> str | None:
        """The current text of ``path`` (open buffer first), or None if it does not exist."""
        ...

    async def apply(self, change: FileChange) -> None:
        """Make ``change.after`` the file's content on disk; raise EditRejected on refusal."""
        ...


def read_disk_text(path: Path) -> str | None:
    """A file's text with its newlines untouched, or None when it does not exist."""
    try:
        with path.open("r", encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise EditRejected(
            f"{path.name} is not UTF-8 text; the agent only edits text files"
        ) from None
    except IsADirectoryError:
        raise EditRejected(f"{path.name} is a directory") from None


def write_disk_text(path: Path, text: str) -> None:
    """Write ``text`` atomically (temporary file, then rename), newlines untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.backcheck-tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    try:
        mode = path.stat().st_mode & 0o777
        os.chmod(tmp, mode)
    except FileNotFoundError:
        pass
    os.replace(tmp, path)


class DiskEditApplier:
    """The default applier: the disk is the source of truth."""

    def read_text(self, path: Path) -> str | None:
        """The file's text from disk."""
        return read_disk_text(path)

    async def apply(self, change: FileChange) -> None:
        """Write the new content, refusing when the disk changed since the agent read it."""
        current = read_disk_text(change.path)
        if current != change.before:
            raise EditRejected(
                f"{change.relpath} changed on disk while the agent was working; read it again"
            )
        write_disk_text(change.path, change.after)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Checkpoint:
    """Originals of the files a task changed, kept so the whole run can be undone at once."""

    def __init__(self, workspace: Path, task_id: int | str) -> None:
        self.workspace = workspace.resolve()
        self.task_id = str(task_id)
        self.dir = self.workspace / ".backcheck" / "checkpoints" / self.task_id
        self.manifest_path = self.dir / "manifest.json"
        self._manifest: dict | None = None

    @staticmethod
    def root(workspace: Path) -> Path:
        """Where every task's checkpoint lives."""
        return workspace.resolve() / ".backcheck" / "checkpoints"

    @classmethod
    def latest(cls, workspace: Path) -> Checkpoint | None:
        """The checkpoint written most recently, or None."""
        root = cls.root(workspace)
        if not root.is_dir():
            return None
        found = [p for p in root.iterdir() if (p / "manifest.json").is_file()]
        if not found:
            return None
        newest = max(found, key=lambda p: (p / "manifest.json").stat().st_mtime)
        return cls(workspace, newest.name)

    def manifest(self) -> dict:
        """The manifest: which files the task touched, whether they existed, their final hash."""
        if self._manifest is None:
            try:
                self._manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._manifest = {"task_id": self.task_id, "created": time.time(), "files": {}}
        return self._manifest

    def _save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        ignore = self.workspace / ".backcheck" / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
        write_disk_text(self.manifest_path, json.dumps(self.manifest(), indent=2, sort_keys=True))

    def keep_original(self, relpath: str, before: str | None) -> None:
        """Save the file's content before its first change in this task (later calls do nothing)."""
        files = self.manifest()["files"]
        if relpath in files:
            return
        entry = {"existed": before is not None, "after_sha256": None}
        if before is not None:
            write_disk_text(self.dir / "files" / relpath, before)
        files[relpath] = entry
        self._save()

    def record_after(self, relpath: str, after: str) -> None:
        """Remember what the agent left in the file, to notice later hand edits before undoing."""
        files = self.manifest()["files"]
        if relpath in files:
            files[relpath]["after_sha256"] = _sha(after)
            self._save()

    def files(self) -> list[str]:
        """Workspace-relative paths this checkpoint covers."""
        return sorted(self.manifest()["files"])

    def modified_since(self) -> list[str]:
        """Files whose content is no longer what the agent left (changed by hand since)."""
        out = []
        for rel, entry in self.manifest()["files"].items():
            expected = entry.get("after_sha256")
            if expected is None:
                continue
            current = read_disk_text(self.workspace / rel)
            if current is None or _sha(current) != expected:
                out.append(rel)
        return sorted(out)

    def restore(self, *, force: bool = False) -> list[str]:
        """Put every file back as it was before the task; returns what was done, one line each.

        Refuses (EditRejected) when files were edited after the agent finished, unless ``force``.
        """
        if not self.manifest_path.is_file():
            raise EditRejected(f"no checkpoint for task {self.task_id}")
        changed = self.modified_since()
        if changed and not force:
            raise EditRejected(
                "these files changed after the agent's run: "
                + ", ".join(changed)
                + "; undoing would lose those edits (use --force to undo anyway)"
            )
        done: list[str] = []
        for rel, entry in sorted(self.manifest()["files"].items()):
            target = self.workspace / rel
            if entry.get("existed"):
                original = read_disk_text(self.dir / "files" / rel)
                write_disk_text(target, original or "")
                done.append(f"restored {rel}")
            elif target.exists():
                target.unlink()
                done.append(f"removed {rel} (created by the agent)")
        self.manifest()["restored"] = time.time()
        self._save()
        return done
