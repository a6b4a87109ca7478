"""``backcheck agent run [--workspace DIR] "TASK"`` and ``backcheck agent undo``.

``run`` prints each phase as the agent enters it, its tool calls and messages, then a summary
(status, files changed, the task document, tokens and cost). Exit status: 0 when the workflow
completed and verify passed, 1 when the run ended otherwise (failed, stopped, budget, API error),
2 for usage problems and a missing API key, 130 when interrupted twice with Ctrl-C.
The first Ctrl-C asks the agent to stop cleanly; the state is kept and can be undone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from backcheck.workflow import PHASES

if TYPE_CHECKING:
    from backcheck.agent.workflow import AgentEvent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backcheck agent",
        description="Run an Anthropic-API agent that implements a backend task through the "
        "ten-phase workflow, or undo its last run.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help='run a task, e.g. backcheck agent run "add GET /orders"')
    run.add_argument("task", nargs="+", help="what to build, in plain words")
    run.add_argument("--workspace", "-w", default=".", help="project root (default: .)")
    run.add_argument("--model", help="Claude model id (default: [tool.backcheck.agent] model)")
    run.add_argument("--max-turns", type=int, help="most model calls for this run")
    run.add_argument("--max-wall-seconds", type=float, help="wall-clock budget in seconds")
    run.add_argument("--quiet", "-q", action="store_true", help="print only phases and the summary")
    undo = sub.add_parser("undo", help="restore the files the agent's last run changed")
    undo.add_argument("--workspace", "-w", default=".", help="project root (default: .)")
    undo.add_argument("--task", type=int, help="task id to undo (default: the latest run)")
    undo.add_argument("--force", action="store_true", help="undo even over later hand edits")
    return parser


class _Printer:
    """Turns agent events into terminal lines."""

    def __init__(self, out: TextIO, quiet: bool) -> None:
        self.out = out
        self.quiet = quiet
        self.cost: float | None = 0.0

    def line(self, text: str = "") -> None:
        """Print one line and flush, so progress shows as it happens."""
        print(text, file=self.out, flush=True)

    def __call__(self, event: AgentEvent) -> None:
        kind, data = event.kind, event.data
        if kind == "phase":
            phase = data["phase"]
            number = PHASES.index(phase) + 1 if phase in PHASES else 0
            again = " (rework)" if data.get("reopened") else ""
            summary = f": {data['summary']}" if data.get("summary") else ""
            spent = f" (${self.cost:.3f} so far)" if self.cost else ""
            self.line(f"[{number}/{len(PHASES)}] {phase}{again}{summary}{spent}")
        elif kind == "usage":
            self.cost = data.get("total_cost_usd")
        elif kind == "verify":
            self.line(textwrap.indent(data["report"], "    "))
        elif kind == "note" and data.get("reused_from"):
            self.line(f"    reused research note #{data['reused_from']} ({data['topic']})")
        elif kind == "note" and data.get("sources"):
            self.line(f"    research note on '{data['topic']}': {', '.join(data['sources'])}")
        elif kind == "checkpoint":
            self.line(f"    checkpoint: {data['dir']}")
        elif kind == "error":
            self.line(f"    ! {data['message']}")
        elif self.quiet:
            return
        elif kind == "message" and data.get("role") == "assistant":
            for para in data["text"].strip().splitlines():
                self.line(
                    textwrap.fill(para, width=100, initial_indent="    ", subsequent_indent="    ")
                )
        elif kind == "tool_call" and data["name"] != "set_phase":
            self.line(f"    > {data['name']} {_brief(data['input'])}")
        elif kind == "tool_result" and data.get("is_error"):
            first = str(data["content"]).strip().splitlines()[0] if data["content"] else ""
            self.line(f"    ! {data['name']}: {first[:300]}")
        elif kind == "test_run":
            self.line(f"    {data['summary']}")


def _brief(args: object) -> str:
    if not isinstance(args, dict):
        return ""
    for key in ("path", "url", "pattern", "topic"):
        if isinstance(args.get(key), str):
            return args[key][:120]
    if isinstance(args.get("paths"), list):
        return " ".join(str(p) for p in args["paths"])[:120]
    return ""


async def _run(args: argparse.Namespace, out: TextIO) -> int:
    from backcheck.agent.runner import AgentRunner
    from backcheck.agent.settings import load_settings

    workspace = Path(args.workspace).resolve()
    settings, problems = load_settings(workspace)
    for problem in problems:
        print(f"backcheck agent: {problem}", file=sys.stderr)
    settings = settings.with_overrides(
        model=args.model, max_turns=args.max_turns, max_wall_seconds=args.max_wall_seconds
    )
    printer = _Printer(out, args.quiet)
    runner = AgentRunner(workspace, settings, on_event=printer)
    loop = asyncio.get_running_loop()
    interrupts = 0
    main_task = asyncio.current_task()

    def on_sigint() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            print("\nstopping after the current step (Ctrl-C again to abort)", file=sys.stderr)
            runner.cancel()
        elif main_task is not None:
            main_task.cancel()

    installed = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, on_sigint)
        installed = True
    task_text = " ".join(args.task)
    printer.line(f"backcheck agent: {task_text}")
    printer.line(f"model {settings.model}, workspace {workspace}")
    try:
        result = await runner.run(task_text)
    except asyncio.CancelledError:
        print("backcheck agent: aborted; undo with `backcheck agent undo`", file=sys.stderr)
        return 130
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGINT)
    if result.status == "no-key":
        print(result.message, file=sys.stderr)
        return 2
    printer.line()
    printer.line(f"status: {result.status}: {result.message}")
    if result.task_id is not None:
        printer.line(
            f"task #{result.task_id}, last phase: {result.phase}, {result.turns} model calls, "
            f"{result.elapsed:.0f} s"
        )
    if result.changed_files:
        printer.line("files changed: " + ", ".join(result.changed_files))
    if result.document:
        printer.line(f"task document: {result.document}")
    printer.line(f"usage: {result.usage.describe()}")
    if result.checkpoint:
        printer.line(
            "undo all changes with: backcheck agent undo"
            + (f" --workspace {args.workspace}" if args.workspace != "." else "")
        )
    return 0 if result.ok else 1


def _undo(args: argparse.Namespace, out: TextIO) -> int:
    from backcheck.agent.edits import Checkpoint, EditRejected

    workspace = Path(args.workspace).resolve()
    checkpoint = Checkpoint(workspace, args.task) if args.task else Checkpoint.latest(workspace)
    if checkpoint is None or not checkpoint.manifest_path.is_file():
        which = f"task {args.task}" if args.task else "any agent run"
        print(f"backcheck agent: no checkpoint for {which} in {workspace}", file=sys.stderr)
        return 1
    if checkpoint.manifest().get("restored"):
        print(f"backcheck agent: task {checkpoint.task_id} was already undone", file=sys.stderr)
        return 1
    try:
        done = checkpoint.restore(force=args.force)
    except EditRejected as exc:
        print(f"backcheck agent: {exc}", file=sys.stderr)
        return 1
    for line in done:
        print(line, file=out)
    print(f"undid task {checkpoint.task_id}: {len(done)} file(s)", file=out)
    _note_undo(workspace, checkpoint.task_id, done)
    return 0


def _note_undo(workspace: Path, task_id: str, done: list[str]) -> None:
    """Record the undo in the task's transcript so the TUI shows it."""
    try:
        from backcheck.store import Store

        if not Store.exists(workspace):
            return
        with Store.open(workspace) as store:
            tid = int(task_id)
            if store.get_task(tid) is not None:
                store.add_agent_message(tid, "system", {"event": "undo", "files": done})
    except Exception:  # noqa: BLE001 - the files are restored either way
        return


def cli_main(argv: list[str] | None = None, *, out: TextIO | None = None) -> int:
    """Entry point for ``backcheck agent ...``; returns the process exit status."""
    out = out or sys.stdout
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else 2
    if args.command == "undo":
        return _undo(args, out)
    workspace = Path(args.workspace)
    if not workspace.is_dir():
        print(
            f"backcheck agent: {workspace} is not a directory; pass --workspace DIR",
            file=sys.stderr,
        )
        return 2
    from backcheck.agent.runner import api_key_from_env

    if not api_key_from_env():
        from backcheck.agent.errors import NO_KEY_MESSAGE

        print(NO_KEY_MESSAGE, file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args, out))
    except KeyboardInterrupt:
        print("backcheck agent: interrupted; undo with `backcheck agent undo`", file=sys.stderr)
        return 130
