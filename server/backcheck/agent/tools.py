"""The tools offered to the model: their JSON schemas and what each one does.

Names are fixed by the design: read_file, list_files, search_code, edit_file, write_file,
run_tests, run_checks, fetch_url, record_note, set_phase. Every path goes through the
:class:`~backcheck.agent.sandbox.Sandbox`; every edit through the workflow's gates and the
:class:`~backcheck.agent.edits.EditApplier`. A refused or failed call comes back to the model as
a tool error whose text says what to do instead.
"""

from __future__ import annotations

import asyncio
import copy
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backcheck.agent import checks
from backcheck.agent.edits import EditRejected, FileChange
from backcheck.agent.fetch import FetchError, fetch_text
from backcheck.agent.sandbox import (
    PRIVATE_DIRS,
    REDACTED,
    SECRET_DIRS,
    SKIPPED_DIRS,
    Sandbox,
    SandboxError,
    environment_secrets,
    is_secret_name,
    redact,
)
from backcheck.agent.settings import AgentSettings
from backcheck.agent.workflow import AgentEvent, GateError, TaskWorkflow
from backcheck.workflow import PHASES

MAX_READ_CHARS = 100_000
MAX_LIST_ENTRIES = 400
MAX_SEARCH_RESULTS = 200
MAX_SEARCH_FILE_BYTES = 1_000_000

TOOL_NAMES: tuple[str, ...] = (
    "read_file",
    "list_files",
    "search_code",
    "edit_file",
    "write_file",
    "run_tests",
    "run_checks",
    "fetch_url",
    "record_note",
    "set_phase",
)


def _path_prop(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


TOOL_SCHEMAS: list[dict[str, Any]] = [
    {
        "name": "read_file",
        "description": "Read a text file of the workspace. Optionally only lines start_line..end_line "
        "(1-based, inclusive). Environment files, keys and credential files cannot be read.",
        "input_schema": {
            "type": "object",
            "properties": {
                "path": _path_prop(
                    "Path relative to the workspace root, e.g. app/routes/orders.py"
                ),
                "start_line": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1},
            },
            "required": ["path"],
        },
    },
    {
        "name": "list_files",
        "description": "List files under a workspace directory (recursive), with sizes. Skips .git, "
        "virtualenvs, caches and secret files. Optional glob pattern on the relative path.",
        "input_schema": {
            "type": "object",
            "properties": {
                "path": _path_prop("Directory relative to the workspace root; default '.'"),
                "pattern": {
                    "type": "string",
                    "description": "Glob such as '*.py' or 'app/*/models.py'",
                },
            },
        },
    },
    {
        "name": "search_code",
        "description": "Search workspace files with a Python regular expression; returns "
        "path:line: text for each match.",
        "input_schema": {
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "description": "Python regular expression"},
                "path": _path_prop("Directory or file to search; default '.'"),
                "glob": {
                    "type": "string",
                    "description": "Only files matching this glob, e.g. '*.py'",
                },
                "ignore_case": {"type": "boolean"},
            },
            "required": ["pattern"],
        },
    },
    {
        "name": "edit_file",
        "description": "Replace exactly one occurrence of old_text with new_text in an existing file. "
        "old_text must match the file exactly (whitespace included) and occur once; add "
        "surrounding lines to make it unique. Refused before the task has a research note.",
        "input_schema": {
            "type": "object",
            "properties": {
                "path": _path_prop("File relative to the workspace root"),
                "old_text": {
                    "type": "string",
                    "description": "Exact text to replace (unique in the file)",
                },
                "new_text": {"type": "string", "description": "Replacement text"},
            },
            "required": ["path", "old_text", "new_text"],
        },
    },
    {
        "name": "write_file",
        "description": "Create a file, or replace a file's whole content. Prefer edit_file for "
        "changes to existing files. Refused before the task has a research note.",
        "input_schema": {
            "type": "object",
            "properties": {
                "path": _path_prop("File relative to the workspace root"),
                "content": {"type": "string", "description": "The complete new content"},
            },
            "required": ["path", "content"],
        },
    },
    {
        "name": "run_tests",
        "description": "Run the project's tests (pytest), optionally only some files or node ids; "
        "results are recorded and shown live in the backcheck TUI.",
        "input_schema": {
            "type": "object",
            "properties": {
                "paths": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Test files or node ids relative to the workspace; empty runs all",
                },
            },
        },
    },
    {
        "name": "run_checks",
        "description": "backcheck's checklist findings (auth, validation, transactions, audit "
        "logging, leaks, pagination, SQL, migrations, tests) for the given files or directories.",
        "input_schema": {
            "type": "object",
            "properties": {
                "paths": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
            "required": ["paths"],
        },
    },
    {
        "name": "fetch_url",
        "description": "Fetch a public documentation page (http/https) and return it as text, for "
        "research. Private and loopback addresses are refused; size and time are capped.",
        "input_schema": {
            "type": "object",
            "properties": {"url": {"type": "string", "description": "http(s) URL"}},
            "required": ["url"],
        },
    },
    {
        "name": "record_note",
        "description": "Record a note. kind='research' (default): what you learned, with the source "
        "URLs you read; this opens the edit gate. kind='decision': a design decision for the task "
        "document. To reuse a recent research note listed in the task message instead of "
        "researching again, pass reuse_note_id and the same topic.",
        "input_schema": {
            "type": "object",
            "properties": {
                "topic": {
                    "type": "string",
                    "description": "Short topic, e.g. 'fastapi pagination'",
                },
                "title": {"type": "string"},
                "content": {"type": "string", "description": "Markdown body: findings or decision"},
                "sources": {"type": "array", "items": {"type": "string"}},
                "kind": {"type": "string", "enum": ["research", "decision"]},
                "reuse_note_id": {"type": "integer"},
            },
            "required": ["topic"],
        },
    },
    {
        "name": "set_phase",
        "description": "Move the task to a workflow phase (in order). summary: one or two sentences "
        "on what this phase did or why it needs no work. Entering 'document' writes the task "
        "document; entering 'verify' runs tests, ruff and backcheck on the changed files.",
        "input_schema": {
            "type": "object",
            "properties": {
                "phase": {"type": "string", "enum": list(PHASES)},
                "summary": {"type": "string"},
            },
            "required": ["phase"],
        },
    },
]


@dataclass
class ToolResult:
    """What goes back to the model as a tool_result block."""

    content: str
    is_error: bool = False


class ToolError(Exception):
    """A tool call failed in a way the model can correct."""


def _str_arg(args: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = args.get(name)
    if value is None:
        if required:
            raise ToolError(f"missing required argument `{name}`")
        return ""
    if not isinstance(value, str):
        raise ToolError(f"`{name}` must be a string")
    return value


class ToolBox:
    """Runs tool calls for one task."""

    def __init__(self, workflow: TaskWorkflow, settings: AgentSettings) -> None:
        self.workflow = workflow
        self.settings = settings
        self.sandbox = Sandbox(workflow.workspace)
        self._secrets = environment_secrets()

    def schemas(self) -> list[dict[str, Any]]:
        """The tool definitions for the Messages API (fresh copies, safe to annotate)."""
        return copy.deepcopy(TOOL_SCHEMAS)

    def for_model(self, text: str) -> str:
        """Mask credentials in text sent to the model (assignments are kept, see redact)."""
        return redact(text, self._secrets, assignments=False)

    async def run(self, name: str, args: Any) -> ToolResult:
        """Execute one tool call; errors become tool errors, never exceptions."""
        if not isinstance(args, dict):
            return ToolResult("error: tool input must be a JSON object", True)
        handler = getattr(self, f"_tool_{name}", None)
        if name not in TOOL_NAMES or handler is None:
            return ToolResult(
                f"error: unknown tool {name!r}; available: {', '.join(TOOL_NAMES)}", True
            )
        try:
            text = await handler(args)
        except (ToolError, SandboxError, GateError, FetchError, EditRejected) as exc:
            return ToolResult(f"error: {exc}", True)
        except re.error as exc:
            return ToolResult(f"error: invalid regular expression: {exc}", True)
        except OSError as exc:
            return ToolResult(f"error: {exc.strerror or exc}", True)
        return ToolResult(self.for_model(text))

    # --- reading ----------------------------------------------------------------------------

    async def _tool_read_file(self, args: dict[str, Any]) -> str:
        path = self.sandbox.resolve(_str_arg(args, "path"))
        rel = self.sandbox.relative(path)
        if path.is_dir():
            raise ToolError(f"{rel} is a directory; use list_files")
        text = self.workflow.applier.read_text(path)
        if text is None:
            raise ToolError(f"{rel} does not exist; use list_files to see what is there")
        lines = text.splitlines(keepends=True)
        start, end = args.get("start_line"), args.get("end_line")
        if start is not None or end is not None:
            s = max(1, int(start or 1))
            e = min(len(lines), int(end or len(lines)))
            body = "".join(lines[s - 1 : e])
            header = f"{rel} lines {s}-{e} of {len(lines)}"
        else:
            body = text
            header = f"{rel} ({len(lines)} lines)"
        if len(body) > MAX_READ_CHARS:
            body = body[:MAX_READ_CHARS]
            header += f"; cut at {MAX_READ_CHARS:,} characters, read the rest with start_line"
        return f"{header}\n{body}"

    async def _tool_list_files(self, args: dict[str, Any]) -> str:
        raw = _str_arg(args, "path", required=False) or "."
        start = self.sandbox.root if raw in (".", "./") else self.sandbox.resolve(raw)
        if not start.is_dir():
            raise ToolError(f"{raw} is not a directory")
        pattern = _str_arg(args, "pattern", required=False)
        out: list[str] = []
        total = 0
        for path in self.sandbox.walk_files(start):
            rel = self.sandbox.relative(path)
            if pattern and not (
                fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(path.name, pattern)
            ):
                continue
            total += 1
            if len(out) < MAX_LIST_ENTRIES:
                try:
                    size = path.stat().st_size
                except OSError:
                    size = 0
                out.append(f"{rel} ({size:,} bytes)")
        if not out:
            return "no files found"
        more = (
            f"\n... and {total - len(out)} more; narrow with path or pattern"
            if total > len(out)
            else ""
        )
        return "\n".join(out) + more

    async def _tool_search_code(self, args: dict[str, Any]) -> str:
        pattern = _str_arg(args, "pattern")
        flags = re.IGNORECASE if args.get("ignore_case") else 0
        regex = re.compile(pattern, flags)
        raw = _str_arg(args, "path", required=False) or "."
        start = self.sandbox.root if raw in (".", "./") else self.sandbox.resolve(raw)
        glob = _str_arg(args, "glob", required=False)
        files = [start] if start.is_file() else list(self.sandbox.walk_files(start))
        hits: list[str] = []
        for path in files:
            rel = self.sandbox.relative(path)
            if glob and not (fnmatch.fnmatch(path.name, glob) or fnmatch.fnmatch(rel, glob)):
                continue
            try:
                if path.stat().st_size > MAX_SEARCH_FILE_BYTES:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if b"\x00" in data[:4096]:
                continue
            for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
                if regex.search(line):
                    hits.append(f"{rel}:{number}: {line.strip()[:240]}")
                    if len(hits) >= MAX_SEARCH_RESULTS:
                        return "\n".join(hits) + "\n... more matches; narrow the search"
        return "\n".join(hits) if hits else "no matches"

    # --- writing ----------------------------------------------------------------------------

    def _gate(self) -> None:
        refusal = self.workflow.edit_refusal()
        if refusal:
            raise GateError(refusal)

    async def _tool_edit_file(self, args: dict[str, Any]) -> str:
        self._gate()
        path = self.sandbox.resolve(_str_arg(args, "path"), for_write=True)
        rel = self.sandbox.relative(path)
        old = _str_arg(args, "old_text")
        new = _str_arg(args, "new_text")
        if not old:
            raise ToolError("old_text is empty; to create or replace a whole file use write_file")
        before = self.workflow.applier.read_text(path)
        if before is None:
            raise ToolError(f"{rel} does not exist; create it with write_file")
        count = before.count(old)
        if count == 0:
            hint = ""
            if REDACTED in old:
                hint = " (old_text contains a masked secret; match text that avoids that line)"
            elif old.strip() and before.count(old.strip()) == 1:
                hint = " (it matches once if leading/trailing whitespace is dropped)"
            raise ToolError(
                f"old_text was not found in {rel}{hint}; read the file and copy the text exactly"
            )
        if count > 1:
            raise ToolError(
                f"old_text occurs {count} times in {rel}; include more surrounding lines so it "
                "matches exactly one place"
            )
        if REDACTED in new and REDACTED not in before:
            raise ToolError(
                "new_text contains [REDACTED]; never write secrets or their masks into code"
            )
        after = before.replace(old, new, 1)
        await self.workflow.apply_change(FileChange(path, rel, before, after, "edit_file"))
        line = before[: before.index(old)].count("\n") + 1
        return f"edited {rel} at line {line}: replaced {old.count(chr(10)) + 1} line(s) with {new.count(chr(10)) + 1}"

    async def _tool_write_file(self, args: dict[str, Any]) -> str:
        self._gate()
        path = self.sandbox.resolve(_str_arg(args, "path"), for_write=True)
        rel = self.sandbox.relative(path)
        content = _str_arg(args, "content")
        before = self.workflow.applier.read_text(path)
        if REDACTED in content and (before is None or REDACTED not in before):
            raise ToolError(
                "content contains [REDACTED]; never write secrets or their masks into files"
            )
        if before == content:
            return f"{rel} already has this content; nothing written"
        await self.workflow.apply_change(FileChange(path, rel, before, content, "write_file"))
        verb = "created" if before is None else "rewrote"
        return f"{verb} {rel} ({content.count(chr(10)) + 1} lines)"

    # --- running ----------------------------------------------------------------------------

    async def _tool_run_tests(self, args: dict[str, Any]) -> str:
        raw = args.get("paths") or []
        if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
            raise ToolError("`paths` must be a list of strings")
        paths = []
        for item in raw:
            file_part, sep, rest = item.partition("::")
            resolved = self.sandbox.resolve(file_part)
            paths.append(self.sandbox.relative(resolved) + (sep + rest if sep else ""))
        wf = self.workflow
        outcome = await checks.run_project_tests(
            wf.workspace,
            paths,
            store=wf.store,
            task_id=wf.task_id,
            timeout=self.settings.test_timeout,
            command=self.settings.test_command,
        )
        await wf.emit(
            AgentEvent(
                "test_run", {"ok": outcome.ok, "summary": outcome.summary, "run_id": outcome.run_id}
            )
        )
        lines = [outcome.summary]
        lines.extend(f"failing: {n}" for n in outcome.failures[:30])
        if not outcome.ok and outcome.output_tail:
            lines.append("output (tail):")
            lines.append(outcome.output_tail[-6000:])
        return "\n".join(lines)

    async def _tool_run_checks(self, args: dict[str, Any]) -> str:
        raw = args.get("paths")
        if not isinstance(raw, list) or not raw or not all(isinstance(p, str) for p in raw):
            raise ToolError("`paths` must be a non-empty list of workspace paths")
        files: list[str] = []
        for item in raw:
            path = self.sandbox.resolve(item)
            if path.is_dir():
                files.extend(
                    self.sandbox.relative(p)
                    for p in self.sandbox.walk_files(path)
                    if p.suffix == ".py"
                )
            else:
                files.append(self.sandbox.relative(path))
        outcome = await asyncio.to_thread(checks.backcheck_findings, self.workflow.workspace, files)
        if not outcome.available:
            return "backcheck's engine is not available in this installation; no findings computed"
        lines = [f.render() for f in outcome.findings]
        lines.extend(f"could not check {e}" for e in outcome.errors)
        if not lines:
            return f"no findings in {len(files)} file(s)"
        return f"{len(outcome.findings)} finding(s):\n" + "\n".join(lines)

    async def _tool_fetch_url(self, args: dict[str, Any]) -> str:
        url = _str_arg(args, "url").strip()
        result = await fetch_text(
            url,
            allow=self.settings.research_allow,
            max_bytes=self.settings.fetch_max_bytes,
            timeout=self.settings.fetch_timeout,
        )
        for seen in (url, result.final_url):
            if seen not in self.workflow.fetched:
                self.workflow.fetched.append(seen)
        header = [f"URL: {result.final_url}", f"Status: {result.status}"]
        if result.title:
            header.append(f"Title: {result.title}")
        if result.truncated:
            header.append("(content truncated at the size cap)")
        return "\n".join(header) + "\n\n" + result.text

    # --- workflow ---------------------------------------------------------------------------

    async def _tool_record_note(self, args: dict[str, Any]) -> str:
        topic = _str_arg(args, "topic").strip()
        if not topic:
            raise ToolError("topic is empty")
        kind = _str_arg(args, "kind", required=False) or "research"
        content = _str_arg(args, "content", required=False)
        title = _str_arg(args, "title", required=False).strip() or topic
        reuse = args.get("reuse_note_id")
        if reuse is not None:
            if isinstance(reuse, bool) or not isinstance(reuse, int):
                raise ToolError("reuse_note_id must be an integer note id")
            note, original = await self.workflow.reuse_research(reuse, topic, content)
            return (
                f"reusing research note #{original.id} ('{original.title}', "
                f"{original.age() / 3600:.1f} h old) as note #{note.id}; the edit gate is open"
            )
        if kind == "decision":
            if not content.strip():
                raise ToolError("a decision note needs content")
            await self.workflow.record_decision(title, content)
            return f"decision recorded: {title}"
        if kind != "research":
            raise ToolError("kind must be 'research' or 'decision'")
        if not content.strip():
            raise ToolError(
                "a research note needs content: what you learned and what it means here"
            )
        sources = args.get("sources") or []
        if not isinstance(sources, list):
            raise ToolError("`sources` must be a list of URLs")
        note, unread = await self.workflow.record_research(topic, title, content, sources)
        warn = ""
        if unread:
            warn = f" (not fetched in this task: {', '.join(unread)}; cite what you actually read)"
        return f"research note #{note.id} recorded on '{note.topic}' with {len(note.sources)} source(s){warn}"

    async def _tool_set_phase(self, args: dict[str, Any]) -> str:
        phase = _str_arg(args, "phase").strip()
        summary = _str_arg(args, "summary", required=False)
        return await self.workflow.set_phase(phase, summary)


def workspace_summary(root: Path, limit: int = 60) -> str:
    """A short listing of the workspace's top level (hidden and secret entries left out)."""
    entries: list[str] = []
    for child in sorted(root.resolve().iterdir(), key=lambda p: (not p.is_dir(), p.name)):
        name = child.name
        if child.is_dir():
            if name in PRIVATE_DIRS or name.lower() in SECRET_DIRS or name in SKIPPED_DIRS:
                continue
            entries.append(name + "/")
        elif not is_secret_name(name):
            entries.append(name)
        if len(entries) >= limit:
            entries.append("...")
            break
    return "\n".join(f"- {e}" for e in entries) or "- (empty)"
