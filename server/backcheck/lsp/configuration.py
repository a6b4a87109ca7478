"""Settings for each workspace root, layered: `[tool.backcheck]` in the root's pyproject.toml, then the
editor's `initializationOptions`, then what `workspace/didChangeConfiguration` (or a
`workspace/configuration` pull) says. A bad value is reported to the person once and its default
kept; every valid value still applies.
"""

from __future__ import annotations

import copy
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backcheck import config
from backcheck.config import Settings

log = logging.getLogger("backcheck.lsp.configuration")

SECTION = "backcheck"


def unwrap(raw: Any) -> dict[str, Any]:
    """The backcheck table from what an editor sends: `{"backcheck": {...}}` or the table itself."""
    if not isinstance(raw, dict):
        return {}
    inner = raw.get(SECTION)
    if isinstance(inner, dict):
        return inner
    return raw


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` laid over `base`, nested tables merged key by key."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass
class LoadedSettings:
    """Settings for one root, where they came from and what was wrong with them."""

    settings: Settings
    problems: list[str]
    pyproject: Path | None
    pyproject_mtime: int | None


def _mtime(path: Path | None) -> int | None:
    if path is None:
        return None
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class Configuration:
    """The editor-side settings layers, and which problems the person has already been told about."""

    def __init__(self) -> None:
        self.init_options: dict[str, Any] = {}
        self.client_settings: dict[str, Any] = {}
        self._reported: set[str] = set()

    def set_init_options(self, raw: Any) -> None:
        self.init_options = unwrap(raw)

    def set_client_settings(self, raw: Any) -> bool:
        """Replace the didChangeConfiguration layer; True when it differs from before."""
        table = unwrap(raw)
        changed = table != self.client_settings
        self.client_settings = table
        return changed

    def editor_layer(self) -> dict[str, Any]:
        return merge(self.init_options, self.client_settings)

    def load(self, root: Path) -> LoadedSettings:
        """Settings for a root: pyproject first, then the editor's layers."""
        pyproject = config.find_pyproject(root)
        raw, problems = config.read_pyproject(pyproject)
        settings, more = config.resolve(raw, self.editor_layer())
        return LoadedSettings(settings, problems + _real_problems(more), pyproject, _mtime(pyproject))

    def unreported(self, problems: list[str]) -> list[str]:
        """The problems not yet shown to the person (each is shown once per server run)."""
        fresh = [p for p in problems if p not in self._reported]
        self._reported.update(fresh)
        return fresh


def _real_problems(problems: list[str]) -> list[str]:
    """Drop "unknown setting" for `agent.*` keys the agent runner reads itself (retries, streaming...)."""
    try:
        from dataclasses import fields

        from backcheck.agent.settings import AgentSettings as RunnerSettings
    except ImportError:
        return problems
    own = {f.name for f in fields(RunnerSettings)}

    def agent_only(problem: str) -> bool:
        key = problem.split(":", 1)[0]
        return key.startswith("agent.") and key[6:].replace("-", "_") in own and "unknown setting" in problem

    return [p for p in problems if not agent_only(p)]


def pyproject_changed(loaded: LoadedSettings) -> bool:
    """Whether the pyproject.toml the settings came from was edited, created or removed since."""
    return _mtime(loaded.pyproject) != loaded.pyproject_mtime
