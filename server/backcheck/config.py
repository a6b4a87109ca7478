"""Typed settings, resolved in two stages: raw tables (pyproject `[tool.backcheck]`, LSP
initializationOptions, didChangeConfiguration) are validated field by field into `Settings`; a bad value
is reported once and the default kept, so one typo never disables the rest of the configuration.

Each field's `doc` metadata is its documentation: the VS Code `contributes.configuration` block is
generated from `settings_schema()` and a test fails when the two drift.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

DEFAULT_EXCLUDE = [
    ".git", ".hg", ".venv", "venv", "env", ".env", "node_modules", "__pycache__", ".backcheck", ".tox",
    ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", "build", "dist", "site-packages", ".eggs",
]
DEFAULT_SENSITIVE = [
    "password", "passwd", "pwd", "password_hash", "hashed_password", "hash", "secret", "token",
    "api_key", "apikey", "private_key", "ssn", "social_security", "credit_card", "card_number", "cvv",
    "otp_secret", "salt",
]


def _field(default: Any, doc: str, **extra: Any) -> Any:
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"doc": doc, **extra})
    return field(default=default, metadata={"doc": doc, **extra})


@dataclass
class AgentSettings:
    """`[tool.backcheck.agent]`: the agent task runner."""

    model: str = _field("", "Claude model id for agent tasks; empty means the newest Sonnet the SDK knows.")
    max_turns: int = _field(40, "Most model turns one agent task may take before it stops cleanly.")
    max_tokens: int = _field(400_000, "Most input plus output tokens one agent task may spend.")
    max_wall_seconds: int = _field(1800, "Most wall-clock seconds one agent task may run.")
    max_output_tokens: int = _field(8192, "max_tokens sent with each Messages API request.")
    research_allow: list[str] = _field(
        [], "Hosts the research fetcher may reach even though they resolve to loopback or private addresses."
    )
    fetch_max_bytes: int = _field(2_000_000, "Largest response body a research fetch reads.")
    fetch_timeout: float = _field(15.0, "Seconds a research fetch may take.")
    note_max_age_hours: int = _field(24, "A research note younger than this on the same topic may be reused.")
    max_retries: int = _field(4, "Retries the SDK makes on 408/409/429/5xx before the run reports the error.")
    request_timeout: float = _field(300.0, "Seconds one Messages API request may take.")
    stream: bool = _field(True, "Stream model output (SSE) so the transcript updates live.")
    verify_attempts: int = _field(3, "How many times the verify phase may fail and send the task back to rework.")
    test_timeout: float = _field(600.0, "Seconds the project's test run may take during verify.")
    test_command: list[str] = _field([], "Command that runs the project's tests; empty means pytest.")


@dataclass
class Settings:
    """`[tool.backcheck]` in pyproject.toml; the same keys in the editor's settings."""

    select: list[str] = _field([], "Rule codes or prefixes to run (empty: all rules), e.g. [\"BC1\", \"BC501\"].")
    ignore: list[str] = _field([], "Rule codes or prefixes never to report.")
    exclude: list[str] = _field(DEFAULT_EXCLUDE, "Folder names and glob patterns skipped when scanning.")
    extend_exclude: list[str] = _field([], "More folders and glob patterns to skip, on top of `exclude`.")
    public: list[str] = _field(
        [], "Route paths anyone may reach without authentication; `*` globs, e.g. [\"/health\", \"/auth/*\"]."
    )
    auth_dependencies: list[str] = _field(
        [], "Names of project functions or classes that authenticate a request when used as a dependency."
    )
    auth_decorators: list[str] = _field(
        [], "Names of project decorators that authenticate the routes they wrap."
    )
    audit_sinks: list[str] = _field(
        [], "Extra call names that count as an audit/activity log entry (e.g. \"audit.record\")."
    )
    sensitive_fields: list[str] = _field(
        DEFAULT_SENSITIVE, "Field-name fragments treated as sensitive in responses."
    )
    test_paths: list[str] = _field(["tests", "test"], "Folders holding the project's tests.")
    max_file_bytes: int = _field(2_000_000, "Files larger than this are skipped with a message.")
    debounce_ms: int = _field(150, "Language server: milliseconds to wait after a change before re-checking.")
    docs_url: str = _field(
        "https://backcheck.dev/rules/{code}", "Where each rule's documentation lives; `{code}` is replaced."
    )
    agent: AgentSettings = field(default_factory=AgentSettings, metadata={"doc": "Agent task settings."})

    def digest(self) -> str:
        """A short hash of every value, for cache keys."""
        raw = json.dumps(dataclasses.asdict(self), sort_keys=True, default=str)
        return hashlib.sha1(raw.encode()).hexdigest()[:16]

    def selects(self, code: str) -> bool:
        """Whether a rule code is enabled by select/ignore (prefix matching, like ruff)."""
        if self.select and not any(code.startswith(p.upper()) for p in self.select):
            return False
        return not any(code.startswith(p.upper()) for p in self.ignore)


def _coerce(kind: Any, value: Any) -> Any:
    """Value converted to the field's type, or ValueError with a readable reason."""
    origin = get_origin(kind)
    if origin is list:
        (item,) = get_args(kind)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {type(value).__name__}")
        return [_coerce(item, v) for v in value]
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {value!r}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, got {value!r}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {value!r}")
        return value
    raise ValueError(f"unsupported type {kind}")


def _apply(target: Any, raw: dict[str, Any], prefix: str, errors: list[str]) -> None:
    hints = get_type_hints(type(target))
    known = {f.name: f for f in fields(target)}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in known:
            errors.append(f"{prefix}{key}: unknown setting (ignored)")
            continue
        kind = hints[name]
        if dataclasses.is_dataclass(kind):
            if not isinstance(value, dict):
                errors.append(f"{prefix}{key}: expected a table (ignored)")
                continue
            _apply(getattr(target, name), value, f"{prefix}{key}.", errors)
            continue
        try:
            setattr(target, name, _coerce(kind, value))
        except ValueError as exc:
            errors.append(f"{prefix}{key}: {exc} (default kept)")


def resolve(*layers: dict[str, Any] | None) -> tuple[Settings, list[str]]:
    """Settings from raw tables applied in order (later wins), with a message per bad value."""
    settings = Settings()
    errors: list[str] = []
    for layer in layers:
        if layer:
            _apply(settings, layer, "", errors)
    return settings, errors


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a [tool.backcheck] table, else the nearest one."""
    start = start if start.is_dir() else start.parent
    nearest = None
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            nearest = nearest or candidate
            try:
                if "tool" in (data := tomllib.loads(candidate.read_text("utf-8"))) and "backcheck" in data["tool"]:
                    return candidate
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
        if (folder / ".git").exists():
            break
    return nearest


def read_pyproject(path: Path | None) -> tuple[dict[str, Any], list[str]]:
    """The raw `[tool.backcheck]` table of a pyproject.toml, with a message when it cannot be read."""
    if path is None:
        return {}, []
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [f"{path}: cannot read ({exc}); using defaults"]
    except tomllib.TOMLDecodeError as exc:
        return {}, [f"{path}: not valid TOML ({exc}); using defaults"]
    table = data.get("tool", {}).get("backcheck", {})
    if not isinstance(table, dict):
        return {}, [f"{path}: [tool.backcheck] must be a table; using defaults"]
    return table, []


def load(start: Path, overrides: dict[str, Any] | None = None) -> tuple[Settings, list[str]]:
    """Settings for a workspace: pyproject first, then editor overrides."""
    raw, errors = read_pyproject(find_pyproject(start))
    settings, more = resolve(raw, overrides)
    return settings, errors + more


def settings_schema() -> list[dict[str, Any]]:
    """Every setting with its type, default and documentation (nested tables as `agent.model`)."""
    out: list[dict[str, Any]] = []

    def walk(cls: type, prefix: str) -> None:
        hints = get_type_hints(cls)
        defaults = cls()
        for f in fields(cls):
            kind = hints[f.name]
            if dataclasses.is_dataclass(kind):
                walk(kind, f"{prefix}{f.name}.")
                continue
            if get_origin(kind) is list:
                type_name = "array"
            else:
                type_name = {bool: "boolean", int: "integer", float: "number", str: "string"}[kind]
            entry = {
                "name": f"{prefix}{f.name}",
                "type": type_name,
                "default": getattr(defaults, f.name),
                "description": f.metadata["doc"],
            }
            if "enum" in f.metadata:
                entry["enum"] = f.metadata["enum"]
            out.append(entry)

    walk(Settings, "")
    return out
