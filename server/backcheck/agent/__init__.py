"""Agent tasks: an Anthropic-API agent that implements a backend feature through the ten phases.

Entry points:

- :func:`cli_main` for ``backcheck agent run|undo``;
- :class:`AgentRunner` / :func:`run_task` for the language server and the TUI (pass an
  :class:`EditApplier` and an event callback; call ``runner.cancel()`` to stop);
- :class:`AgentSettings` and :func:`load_settings` for ``[tool.backcheck.agent]``.

Names are loaded on first use so ``import backcheck.agent`` stays cheap (no SDK import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backcheck.agent.cli import cli_main

if TYPE_CHECKING:
    from backcheck.agent.edits import (
        Checkpoint,
        DiskEditApplier,
        EditApplier,
        EditRejected,
        FileChange,
    )
    from backcheck.agent.runner import AgentRunner, RunResult, run_task
    from backcheck.agent.settings import AgentSettings, load_settings
    from backcheck.agent.workflow import AgentEvent

_LAZY = {
    "AgentRunner": "backcheck.agent.runner",
    "RunResult": "backcheck.agent.runner",
    "run_task": "backcheck.agent.runner",
    "AgentEvent": "backcheck.agent.workflow",
    "AgentSettings": "backcheck.agent.settings",
    "load_settings": "backcheck.agent.settings",
    "Checkpoint": "backcheck.agent.edits",
    "DiskEditApplier": "backcheck.agent.edits",
    "EditApplier": "backcheck.agent.edits",
    "EditRejected": "backcheck.agent.edits",
    "FileChange": "backcheck.agent.edits",
}

__all__ = [
    "AgentEvent",
    "AgentRunner",
    "AgentSettings",
    "Checkpoint",
    "DiskEditApplier",
    "EditApplier",
    "EditRejected",
    "FileChange",
    "RunResult",
    "cli_main",
    "load_settings",
    "run_task",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'backcheck.agent' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
