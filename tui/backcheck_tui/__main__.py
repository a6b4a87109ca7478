"""`python -m backcheck_tui [PATH]` (what `backcheck tui [PATH]` runs): open the companion app."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run the app on the workspace holding PATH."""
    parser = argparse.ArgumentParser(
        prog="backcheck tui",
        description="The backcheck companion: workflow phase, research notes, live tests, "
        "checklist and agent of the workspace, read from .backcheck/state.db.",
    )
    parser.add_argument("path", nargs="?", default=".", help="project directory (default: .)")
    parser.add_argument("--light", action="store_true", help="start with the light theme")
    parser.add_argument("--no-check", action="store_true",
                        help="do not run git, backcheck and ruff for the checklist automatically")
    args = parser.parse_args(argv)
    target = Path(args.path)
    if not target.exists():
        print(f"backcheck tui: {target} does not exist; pass the project directory",
              file=sys.stderr)
        return 2
    from backcheck.testrun import find_workspace

    from backcheck_tui.app import BackcheckApp

    BackcheckApp(find_workspace(target), dark=not args.light, auto_check=not args.no_check).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
