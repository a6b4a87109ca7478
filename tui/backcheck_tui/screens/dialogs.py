"""Modal dialogs for the keyboard actions: each returns its result through ``dismiss``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from backcheck.store import Task
from backcheck.workflow import PHASE_DESCRIPTIONS, PHASES
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


class NewTaskScreen(ModalScreen[str | None]):
    """Asks for a task title; Enter creates the task, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="new-task-dialog"):
            yield Label("New task", classes="dialog-title")
            yield Static("What should be built? It starts in the analyze phase.", classes="hint")
            yield Input(placeholder="e.g. Add an orders API with refunds", id="task-title")
            yield Static("", id="task-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Create", id="create", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    @on(Input.Submitted, "#task-title")
    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        title = self.query_one("#task-title", Input).value.strip()
        if not title:
            self.query_one("#task-error", Static).update("A task needs a title.")
            return
        self.dismiss(title)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class AgentTaskScreen(ModalScreen[str | None]):
    """Asks what the agent should do; Enter starts it in the background, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="agent-task-dialog"):
            yield Label("Agent task", classes="dialog-title")
            yield Static("What should the agent build? It works through the ten phases in the "
                         "background; the Agent panel shows it live and s stops it.",
                         classes="hint")
            yield Input(placeholder="e.g. Add paginated GET /orders with tests", id="agent-task")
            yield Static("", id="agent-task-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Start", id="start", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    @on(Input.Submitted, "#agent-task")
    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        task = self.query_one("#agent-task", Input).value.strip()
        if not task:
            self.query_one("#agent-task-error", Static).update("Say what the agent should do.")
            return
        self.dismiss(task)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class NoteDraft:
    """What the add-note dialog collected."""

    topic: str
    title: str
    sources: list[str]
    body: str


def parse_urls(text: str) -> tuple[list[str], list[str]]:
    """Split free text into (http(s) URLs, other words that are not URLs)."""
    urls = [u.rstrip(".,;)") for u in _URL.findall(text)]
    rest = [w for w in re.split(r"[\s,]+", _URL.sub(" ", text)) if w.strip()]
    return list(dict.fromkeys(urls)), rest


class AddNoteScreen(ModalScreen[NoteDraft | None]):
    """Collects a research note: title, topic, source URLs and a Markdown body. Ctrl+S saves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save note", priority=True),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="note-dialog"):
            yield Label("Add research note  (ctrl+s saves, esc cancels)", classes="dialog-title")
            yield Input(placeholder="Title, e.g. Refresh token rotation", id="note-title",
                        compact=True)
            yield Input(placeholder="Topic (notes on the same topic are reused for 24 h)",
                        id="note-topic", compact=True)
            yield Input(placeholder="Source URLs, separated by spaces or commas", id="note-sources",
                        compact=True)
            yield TextArea(id="note-text", language=None, soft_wrap=True, show_line_numbers=False,
                           compact=True, placeholder="What you learned, in Markdown")
            yield Static("", id="note-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        title = self.query_one("#note-title", Input).value.strip()
        topic = self.query_one("#note-topic", Input).value.strip() or title
        urls, junk = parse_urls(self.query_one("#note-sources", Input).value)
        error = self.query_one("#note-error", Static)
        if not title:
            error.update("A note needs a title.")
            self.query_one("#note-title", Input).focus()
            return
        if junk:
            error.update(f"Not a http(s) URL: {junk[0]}")
            self.query_one("#note-sources", Input).focus()
            return
        body = self.query_one("#note-text", TextArea).text
        self.dismiss(NoteDraft(topic, title, urls, body))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PhasePickerScreen(ModalScreen[str | None]):
    """Lists the ten phases; Enter picks one (to reopen it or jump to it)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, highlight: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.highlight = highlight

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="phase-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(
                *(Option(Content.assemble((f"{i:>2} {p:<15}", "bold"),
                                          (PHASE_DESCRIPTIONS[p][:44], "$foreground-muted")), id=p)
                  for i, p in enumerate(PHASES, start=1)),
                id="phase-options",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.highlight in PHASES:
            options.highlighted = PHASES.index(self.highlight)
        options.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TaskPickerScreen(ModalScreen[int | None]):
    """Lists tasks, newest first; Enter shows that task."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, tasks: list[Task], current: int | None) -> None:
        super().__init__()
        self.tasks = tasks
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="task-dialog"):
            yield Label("Show which task?", classes="dialog-title")
            if not self.tasks:
                yield Static("No tasks yet: press n to create one.", classes="hint")
            yield OptionList(
                *(Option(Content.assemble((f"#{t.id:<4}", "bold"), (f"{t.status:<9}", "$text-accent"),
                                          (f"{t.current_phase:<15}", "$foreground-muted"), t.title),
                         id=str(t.id))
                  for t in self.tasks),
                id="task-options",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [t.id for t in self.tasks]
        if self.current in ids:
            options.highlighted = ids.index(self.current)
        options.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0) or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
