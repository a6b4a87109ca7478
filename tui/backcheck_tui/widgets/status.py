"""The status line above the footer: where the store is and whether it is healthy."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class StatusLine(Static):
    """One line: the store's path and state (watching, created, migrated, locked, failed)."""

    def set_status(self, text: str, level: str = "info") -> None:
        """Show ``text``; ``level`` is info, warning or error (it picks the colour)."""
        style = {"warning": "$text-warning bold", "error": "$text-error bold"}.get(level, "$foreground-muted")
        self.update(Content.styled(text, style))
        self.set_class(level == "error", "-error")
        self.set_class(level == "warning", "-warning")
