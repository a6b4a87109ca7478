"""Agent settings: the ``[tool.backcheck.agent]`` table, with defaults that are safe to run.

When ``backcheck.config`` provides typed agent settings they are used; otherwise the table is
read straight from the workspace's ``pyproject.toml`` (see :func:`load_settings`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Used when the SDK's model list cannot be read; the newest Sonnet id in anthropic 2.10.0.
FALLBACK_MODEL = "claude-sonnet-5-5"

_SONNET_ID = re.compile(r"^claude-sonnet-(\d+)(?:-(\d+))?$")


@lru_cache(maxsize=1)
def default_model() -> str:
    """Return the newest Sonnet alias in the installed SDK's model list (dated ids skipped)."""
    try:
        from typing import get_args

        from anthropic.types.model_param import ModelParam

        literal = get_args(ModelParam)[0]
        ids = [x for x in get_args(literal) if isinstance(x, str)]
    except (ImportError, IndexError, TypeError):
        return FALLBACK_MODEL
    best: tuple[tuple[int, int], str] | None = None
    for model_id in ids:
        m = _SONNET_ID.match(model_id)
        if m is None:
            continue
        version = (int(m.group(1)), int(m.group(2) or 0))
        if best is None or version > best[0]:
            best = (version, model_id)
    return best[1] if best else FALLBACK_MODEL


@dataclass(frozen=True)
class AgentSettings:
    """How an agent task runs. Every field can be set in ``[tool.backcheck.agent]``."""

    model: str = field(default_factory=default_model)
    """Claude model id; defaults to the newest Sonnet the installed SDK lists."""
    max_turns: int = 40
    """Most model requests one task may make before it stops with its state kept."""
    max_tokens: int = 400_000
    """Budget of input, output and cache-write tokens for the whole task (cache reads, billed at a
    tenth of the input price, count toward ``max_cost_usd`` only)."""
    max_output_tokens: int = 8192
    """``max_tokens`` sent with each Messages API request."""
    max_wall_seconds: float = 1800.0
    """Wall-clock budget for the whole task, in seconds."""
    max_cost_usd: float | None = None
    """Optional spending cap in US dollars, estimated from the price table."""
    max_retries: int = 4
    """How often the SDK retries 408/409/429/5xx responses and connection errors."""
    request_timeout: float = 300.0
    """Seconds before one API request times out (the SDK retries it)."""
    stream: bool = True
    """Stream responses (text and tool calls arrive as they are generated)."""
    research_allow: tuple[str, ...] = ()
    """Hosts (``host`` or ``host:port``, ``*.domain`` allowed) fetch_url may reach even when they
    resolve to loopback or private addresses, e.g. an internal docs server."""
    fetch_max_bytes: int = 2_000_000
    """Most bytes fetch_url downloads from one URL."""
    fetch_timeout: float = 15.0
    """Seconds fetch_url waits for one URL, redirects included."""
    note_max_age_hours: float = 24.0
    """A research note on the same topic younger than this may stand in for new research."""
    verify_attempts: int = 3
    """How many times verify may fail before the task fails."""
    test_timeout: float = 600.0
    """Seconds the project's test suite may run during run_tests and verify."""
    test_command: tuple[str, ...] = ()
    """The project's test command; empty means ``python -m pytest -q``."""
    price_per_mtok: tuple[float, float] | None = None
    """Override of (input, output) US dollars per million tokens for models not in the table."""

    def with_overrides(self, **values: Any) -> AgentSettings:
        """Return a copy with the given fields replaced (None values are ignored)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


_TUPLE_FIELDS = {"research_allow", "test_command", "price_per_mtok"}


def settings_from_table(table: dict[str, Any]) -> AgentSettings:
    """Build settings from a ``[tool.backcheck.agent]`` mapping, ignoring unknown keys."""
    known = {f.name for f in fields(AgentSettings)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in known:
            continue
        values[name] = tuple(value) if name in _TUPLE_FIELDS and value is not None else value
    return AgentSettings(**values)


def load_settings(workspace: Path) -> tuple[AgentSettings, list[str]]:
    """Return the agent settings for ``workspace`` and any configuration problems found.

    The typed ``backcheck.config`` table comes first; keys only the agent knows (retries,
    streaming, verify attempts, ...) are read from the same ``[tool.backcheck.agent]`` table.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    try:
        from backcheck import config as _config

        loaded, problems = _config.load(workspace)
        agent = getattr(loaded, "agent", None)
        if agent is not None:
            values = {f.name: getattr(agent, f.name) for f in fields(agent)}
        pyproject = _config.find_pyproject(workspace)
    except ImportError:
        pyproject = workspace / "pyproject.toml"
    raw: dict[str, Any] = {}
    if pyproject is not None:
        try:
            data = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))
            table = data.get("tool", {}).get("backcheck", {}).get("agent", {})
            raw = table if isinstance(table, dict) else {}
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            raw = {}
    # Keys only the agent knows are not "unknown": the typed config just does not model them.
    own = {f.name for f in fields(AgentSettings)}
    problems = [
        p for p in problems
        if not (p.startswith("agent.") and p.split(":")[0][6:].replace("-", "_") in own)
    ]  # fmt: skip
    merged = {**{k.replace("-", "_"): v for k, v in raw.items()}, **values}
    if not merged.get("model"):
        merged.pop("model", None)
    try:
        return settings_from_table(merged), problems
    except TypeError as exc:
        return AgentSettings(), [*problems, f"[tool.backcheck.agent]: {exc}; defaults used"]
