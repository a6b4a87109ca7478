"""Where a live function or class is written: shared by the enumerators (they run in the app's venv)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

OUTSIDE = ("site-packages", "dist-packages", ".venv")


def definition_place(target, root: Path):
    """(file relative to root, def/class line, first decorator line, inside root) of a function or
    class; (None, None, None, False) when its source cannot be found."""
    try:
        file = inspect.getsourcefile(target)
        lines, start = inspect.getsourcelines(target)
    except (TypeError, OSError):
        return None, None, None, False
    keyword = r"class\s" if inspect.isclass(target) else r"(async\s+)?def\s"
    def_line = start
    for offset, text in enumerate(lines):
        if re.match(r"\s*" + keyword, text):
            def_line = start + offset
            break
    path = Path(file).resolve()
    try:
        rel = path.relative_to(root)
    except ValueError:
        return str(path), def_line, start, False
    return str(rel), def_line, start, not any(part in OUTSIDE for part in rel.parts)
