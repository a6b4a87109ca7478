"""Generates the `contributes.configuration` block of extension/package.json.

Server settings come from `backcheck.config.settings_schema()` (the `Settings` dataclass and its field
docs); the extension's own settings are listed here. Run `python scripts/gen_vscode_settings.py` after
changing either; `--check` exits 1 when package.json is out of date (tests/extension runs the same check).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_JSON = ROOT / "extension" / "package.json"

# Settings only the extension reads; they never reach the server (see extension/src/constants.ts).
CLIENT_SETTINGS: dict[str, dict[str, Any]] = {
    "backcheck.path": {
        "type": "string",
        "default": "",
        "scope": "resource",
        "markdownDescription": (
            "The `backcheck` executable, or a Python interpreter that has the backcheck package, used to "
            "start the language server. Empty: the Python extension's selected interpreter, then the "
            "workspace's `.venv`, then `backcheck` on `PATH`. `~` and `${workspaceFolder}` are expanded."
        ),
    },
    "backcheck.trace.server": {
        "type": "string",
        "enum": ["off", "messages", "verbose"],
        "default": "off",
        "scope": "window",
        "markdownDescription": "Logs the messages between VS Code and the backcheck server to the backcheck output.",
    },
}

_JSON_TYPES = {"array", "boolean", "integer", "number", "string", "object"}


def server_property(entry: dict[str, Any]) -> dict[str, Any]:
    """One `settings_schema()` entry as a VS Code configuration property."""
    kind = entry["type"]
    if kind not in _JSON_TYPES:
        raise ValueError(f"setting {entry['name']}: type {kind!r} has no VS Code equivalent")
    prop: dict[str, Any] = {"type": kind}
    if kind == "array":
        prop["items"] = {"type": "string"}
    prop["default"] = entry["default"]
    if entry.get("enum"):
        prop["enum"] = list(entry["enum"])
    prop["scope"] = "resource"
    prop["markdownDescription"] = (
        f"{entry['description']} Same as `{entry['name']}` under `[tool.backcheck]` in pyproject.toml, "
        "which wins when this is left unset."
    )
    return prop


def configuration(schema: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole `contributes.configuration` object: client settings first, then the server's."""
    properties: dict[str, Any] = dict(CLIENT_SETTINGS)
    for entry in schema:
        key = f"backcheck.{entry['name']}"
        if key in properties:
            raise ValueError(
                f"server setting {key} clashes with a client-side setting of the same name"
            )
        properties[key] = server_property(entry)
    return {"title": "backcheck", "properties": properties}


def load_schema() -> list[dict[str, Any]]:
    """The server's settings schema, imported from the checkout rather than an installed copy."""
    sys.path.insert(0, str(ROOT / "server"))
    from backcheck.config import settings_schema

    return settings_schema()


def render(package: dict[str, Any], schema: list[dict[str, Any]]) -> str:
    """package.json text with its configuration block regenerated, formatted as npm writes it."""
    updated = dict(package)
    contributes = dict(updated.get("contributes", {}))
    contributes["configuration"] = configuration(schema)
    updated["contributes"] = contributes
    return json.dumps(updated, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if package.json is out of date"
    )
    args = parser.parse_args(argv)
    current = PACKAGE_JSON.read_text("utf-8")
    wanted = render(json.loads(current), load_schema())
    if current == wanted:
        return 0
    if args.check:
        print(
            f"{PACKAGE_JSON.relative_to(ROOT)} is out of date with backcheck.config; "
            "run: python scripts/gen_vscode_settings.py",
            file=sys.stderr,
        )
        return 1
    PACKAGE_JSON.write_text(wanted, "utf-8")
    print(f"updated {PACKAGE_JSON.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
