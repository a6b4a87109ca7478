"""Small formatting helpers shared by the panels (times, ages, durations, state icons)."""

from __future__ import annotations

import time

from rich.text import Text
from textual.color import Color
from textual.content import Content

#: Icon and theme colour for each state a row can be in.
ICONS: dict[str, tuple[str, str]] = {
    "done": ("✓", "$text-success"),
    "ok": ("✓", "$text-success"),
    "passed": ("✓", "$text-success"),
    "xfailed": ("✓", "$text-success"),
    "current": ("▶", "$text-accent bold"),
    "running": ("…", "$text-warning"),
    "pending": ("·", "$foreground-muted"),
    "unknown": ("?", "$text-warning"),
    "skipped": ("○", "$text-warning"),
    "failed": ("✗", "$text-error bold"),
    "fail": ("✗", "$text-error bold"),
    "error": ("✗", "$text-error bold"),
    "xpassed": ("✗", "$text-error bold"),
    "interrupted": ("!", "$text-warning"),
}


def icon(state: str) -> Content:
    """The coloured one-character icon for ``state``."""
    char, style = ICONS.get(state, ("?", ""))
    return Content.styled(char, style)


def fmt_time(ts: float | None, now: float | None = None) -> str:
    """A local time: ``14:03`` today, ``Nov 28 14:03`` on other days, ``""`` for None."""
    if ts is None:
        return ""
    now = time.time() if now is None else now
    t, n = time.localtime(ts), time.localtime(now)
    if (t.tm_year, t.tm_yday) == (n.tm_year, n.tm_yday):
        return time.strftime("%H:%M", t)
    return time.strftime("%b %d %H:%M", t)


def fmt_age(seconds: float) -> str:
    """A short age: ``45s``, ``12m``, ``5h``, ``3d``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def fmt_duration(seconds: float) -> str:
    """A test duration: ``0.01s``, ``1.2s``, ``2m03s``."""
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def fmt_tokens(n: int) -> str:
    """Token counts: ``950``, ``12.3k``, ``1.2M``."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


def to_rich(content: Content, variables: dict[str, str]) -> Text:
    """Convert Content to Rich Text (Tree labels need it), resolving ``$theme`` colours.

    ``variables`` is the app's ``theme_variables``; translucent colours are blended onto the
    theme's background, since Rich has no alpha.
    """
    text = Text(content.plain)
    background = Color.parse(variables.get("background", "#000000"))
    for span in content.spans:
        style = span.style
        if isinstance(style, str):
            words = []
            for word in style.split():
                if word.startswith("$"):
                    value = variables.get(word[1:])
                    if value is None:
                        continue
                    color = Color.parse(value)
                    if color.a < 1:
                        color = background + color
                    words.append(color.hex6)
                else:
                    words.append(word)
            if words:
                text.stylize(" ".join(words), span.start, span.end)
    return text
