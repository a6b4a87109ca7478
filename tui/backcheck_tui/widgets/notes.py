"""The research notes panel: search, a list (stale notes marked), and a Markdown viewer with links."""

from __future__ import annotations

from collections.abc import Callable

from backcheck.store import NOTE_MAX_AGE_S, Note
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Markdown, OptionList
from textual.widgets.option_list import Option

from backcheck_tui.state import AppState
from backcheck_tui.widgets.fmt import fmt_age, fmt_time


def note_markdown(note: Note, now: float) -> str:
    """The Markdown shown for a note: title, when, stale warning, body and its sources as links."""
    age = now - note.created
    lines = [f"**{_md_escape(note.title)}**", ""]
    meta = f"Topic *{_md_escape(note.topic)}* · {fmt_time(note.created, now)} ({fmt_age(age)} ago)"
    if note.task_id:
        meta += f" · task #{note.task_id}"
    lines.append(meta)
    if age > NOTE_MAX_AGE_S:
        lines += ["", "> **Stale:** older than 24 hours. Re-check the sources before relying on it."]
    lines += ["", note.body_md.strip() or "*(no body)*", "", "**Sources**", ""]
    if note.sources:
        lines += [f"{i}. [{url}]({url})" for i, url in enumerate(note.sources, start=1)]
    else:
        lines.append("*None cited.* A note should say where its facts come from.")
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    """Escape Markdown punctuation in plain text (titles and topics are not Markdown)."""
    return "".join("\\" + ch if ch in "\\`*_[]<>#|" else ch for ch in text)


class NotesPanel(Vertical):
    """Lists every note (newest first) and shows the highlighted one."""

    DEFAULT_CLASSES = "panel"

    def __init__(self, clock: Callable[[], float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self._state: AppState | None = None
        self._shown: list[Note] = []
        self._viewing: tuple[int, float] | None = None
        self._select_next: int | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search notes: title, topic, text or URL", id="note-search",
                    compact=True)
        with Horizontal(id="notes-split"):
            yield OptionList(id="note-list")
            with VerticalScroll(id="note-view"):
                yield Markdown("", id="note-body")

    def show(self, state: AppState) -> None:
        """Render the note list from ``state`` with the current search."""
        self._state = state
        search = self.query_one("#note-search", Input).value
        notes = state.all_notes(search)
        listing = self.query_one("#note-list", OptionList)
        keep = self._shown[listing.highlighted].id if (
            listing.highlighted is not None and listing.highlighted < len(self._shown)
        ) else None
        self._shown = notes
        now = self.clock()
        listing.clear_options()
        for n in notes:
            stale = now - n.created > NOTE_MAX_AGE_S
            mine = state.task_id is not None and n.task_id == state.task_id
            title = Content.assemble(
                ("● " if mine else "  ", "$text-accent"), (n.title, "bold"),
                ("  STALE", "$text-warning bold") if stale else "",
            )
            meta = Content.styled(
                f"  {fmt_age(now - n.created)} · {len(n.sources)} src · {n.topic}",
                "$foreground-muted",
            )
            listing.add_option(Option(Content("\n").join([title, meta]), id=str(n.id)))
        if not notes:
            empty = "No notes match the search." if search.strip() else (
                "No research notes yet. Press o to add one."
            )
            listing.add_option(Option(Content.styled(empty, "$foreground-muted"), disabled=True))
            self._view(None)
            return
        if self._select_next is not None and any(n.id == self._select_next for n in notes):
            keep, self._select_next = self._select_next, None
        index = next((i for i, n in enumerate(notes) if n.id == keep), 0)
        listing.highlighted = index
        self._view(notes[index])

    def _view(self, note: Note | None) -> None:
        body = self.query_one("#note-body", Markdown)
        key = (note.id, self.clock() - note.created > NOTE_MAX_AGE_S) if note else None
        if key == self._viewing:
            return
        self._viewing = key
        body.update(note_markdown(note, self.clock()) if note else "")

    def select(self, note_id: int) -> None:
        """Highlight note ``note_id`` as soon as it is listed (e.g. the note just added)."""
        self._select_next = note_id
        if self._state is not None:
            self.show(self._state)

    @property
    def current_note(self) -> Note | None:
        """The highlighted note, if any."""
        listing = self.query_one("#note-list", OptionList)
        i = listing.highlighted
        return self._shown[i] if i is not None and i < len(self._shown) else None

    @on(OptionList.OptionHighlighted, "#note-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        i = event.option_index
        if 0 <= i < len(self._shown):
            self._view(self._shown[i])

    @on(Input.Changed, "#note-search")
    def _search(self, event: Input.Changed) -> None:
        if self._state is not None:
            self.show(self._state)

    @on(Input.Submitted, "#note-search")
    def _search_done(self, event: Input.Submitted) -> None:
        self.query_one("#note-list", OptionList).focus()

    def focus_search(self) -> None:
        """Put the cursor in the search box."""
        self.query_one("#note-search", Input).focus()
