"""Regenerate the README's rule and configuration tables from the code (`--check` fails on drift)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from backcheck.config import settings_schema
from backcheck.rules import registry

README = Path(__file__).resolve().parents[1] / "README.md"


def rules_table() -> str:
    rows = ["| code | name | severity | quick fix | checklist item |", "|---|---|---|---|---|"]
    for code, rule in registry().items():
        fix = f"{rule.fix_applicability}" if rule.fix_title else ""
        rows.append(f"| {code} | {rule.name} | {rule.severity} | {fix} | {rule.checklist} |")
    return "\n".join(rows)


def config_table() -> str:
    rows = ["| key | type | default | what it does |", "|---|---|---|---|"]
    for entry in settings_schema():
        default = entry["default"]
        shown = repr(default) if not isinstance(default, list) or len(default) < 6 else f"{len(default)} entries"
        shown = shown.replace("'", '"').replace("|", "\\|")
        rows.append(f"| `{entry['name']}` | {entry['type']} | `{shown}` | {entry['description']} |")
    return "\n".join(rows)


def render(text: str) -> str:
    for name, body in (("rules", rules_table()), ("config", config_table())):
        text = re.sub(
            rf"(<!-- BEGIN GENERATED {name}: scripts/gen_readme.py, DO NOT EDIT -->\n).*?(<!-- END GENERATED {name} -->)",
            lambda match: match.group(1) + body + "\n" + match.group(2),
            text,
            flags=re.S,
        )
    return text


def main() -> int:
    current = README.read_text("utf-8")
    wanted = render(current)
    if "--check" in sys.argv:
        if wanted != current:
            print("README.md tables are stale: run `python scripts/gen_readme.py`", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
