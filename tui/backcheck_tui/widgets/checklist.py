"""The checklist panel: the seed's quality checklist for the current task, what fails and where."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static, Tree

from backcheck_tui.checklist import ChecklistItem, Signals, summary
from backcheck_tui.widgets.fmt import fmt_time, icon, to_rich

#: Findings listed under one item; the rest are counted.
MAX_WHERE = 50


class ChecklistPanel(Vertical):
    """A tree: one node per item (icon, title, detail), failing items open with their findings."""

    DEFAULT_CLASSES = "panel"

    def __init__(self, clock: Callable[[], float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.items: list[ChecklistItem] = []

    def compose(self) -> ComposeResult:
        yield Static(id="checklist-summary")
        tree: Tree[ChecklistItem | None] = Tree("checklist", id="checklist-tree")
        tree.show_root = False
        yield tree

    def show_items(self, items: list[ChecklistItem], signals: Signals | None) -> None:
        """Render ``items`` (computed by the app from the latest signals)."""
        self.items = items
        ok, total = summary(items)
        if signals is None:
            when = "computing…"
        else:
            scope = (f"{len(signals.scope)} changed file(s)" if signals.scope is not None
                     else "whole workspace")
            when = f"scope: {scope} · checked {fmt_time(signals.computed_at, self.clock())}"
        self.query_one("#checklist-summary", Static).update(Content.assemble(
            (f"{ok}/{total} pass", "bold $text-success" if ok == total else "bold"),
            ("  ·  ", "$foreground-muted"), (when, "$foreground-muted"),
            ("  ·  c re-checks", "$foreground-muted"),
        ))
        tree = self.query_one("#checklist-tree", Tree)
        cursor = tree.cursor_line
        tree.clear()
        colours = self.app.theme_variables
        for item in items:
            label = to_rich(Content.assemble(icon(item.state), " ", (item.title, "bold"),
                                             (f"  {item.detail}", "$foreground-muted")), colours)
            node = tree.root.add(label, data=item, expand=item.state == "fail",
                                 allow_expand=bool(item.where))
            for w in item.where[:MAX_WHERE]:
                loc = f"{w.file}:{w.line}" if w.line else w.file
                node.add_leaf(to_rich(Content.assemble((loc, "$text-accent"), " ", (w.code, "bold"),
                                                       " ", w.message), colours), data=None)
            if len(item.where) > MAX_WHERE:
                node.add_leaf(Text(f"… and {len(item.where) - MAX_WHERE} more"), data=None)
        if cursor >= 0:
            tree.cursor_line = min(cursor, tree.last_line)
