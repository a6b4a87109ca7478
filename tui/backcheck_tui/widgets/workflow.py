"""The workflow panel: the current task's ten phases, done / current / pending, with timestamps."""

from __future__ import annotations

from collections.abc import Callable

from backcheck.workflow import PHASE_DESCRIPTIONS, PHASES, PhaseStatus
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from backcheck_tui.messages import PhaseChosen
from backcheck_tui.state import AppState
from backcheck_tui.widgets.fmt import fmt_time, icon


class WorkflowPanel(Vertical):
    """Shows the task and its phases; Enter on a phase moves the task there."""

    DEFAULT_CLASSES = "panel"

    def __init__(self, clock: Callable[[], float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self._states: list[PhaseStatus] = []
        self._task_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="task-line")
        yield OptionList(id="phases")
        yield Static(id="phase-help")

    def show(self, state: AppState) -> None:
        """Render the current task's phases from ``state``."""
        task = state.task
        line = self.query_one("#task-line", Static)
        phases = self.query_one("#phases", OptionList)
        if task is None:
            line.update(Content.from_markup(
                "[b]No task yet.[/b] Press [b $text-accent]n[/] to create one; "
                "the agent's tasks appear here too."
            ))
            self._states = []
            phases.clear_options()
            phases.display = False
            self.query_one("#phase-help", Static).update("")
            return
        status_style = {"open": "$text-accent", "done": "$text-success", "failed": "$text-error"}.get(
            task.status, "$text-warning"
        )
        line.update(Content.assemble(
            (f"Task #{task.id} ", "bold"), (task.title, "bold"), "  ",
            (task.status, status_style), ("  ·  ", "$foreground-muted"),
            (f"{PHASES.index(task.current_phase) + 1}/10 {task.current_phase}", ""),
        ))
        phases.display = True
        self._states = state.phase_states()
        now = self.clock()
        highlighted = phases.highlighted
        phases.clear_options()
        for i, st in enumerate(self._states, start=1):
            label = st.state if st.state != "current" else "current"
            when = fmt_time(st.at, now)
            who = f" by {st.actor}" if st.actor and st.at else ""
            phases.add_option(Option(Content.assemble(
                icon(st.state), " ", (f"{i:>2} {st.phase:<15}", "bold" if st.state == "current" else ""),
                (f"{label:<8}", _state_style(st.state)), (f" {when}{who}", "$foreground-muted"),
            ), id=st.phase))
        current = PHASES.index(task.current_phase)
        if highlighted is None or task.id != self._task_id:
            highlighted = current  # a different task: start on its current phase
        self._task_id = task.id
        phases.highlighted = highlighted
        self._describe(phases.highlighted)

    def _describe(self, index: int | None) -> None:
        help_ = self.query_one("#phase-help", Static)
        if index is None or not self._states:
            help_.update("")
            return
        st = self._states[index]
        text = Content.assemble((st.phase, "bold"), ": ", PHASE_DESCRIPTIONS[st.phase])
        if st.note:
            text = Content.assemble(text, "\n", ("note: ", "$foreground-muted"), st.note)
        help_.update(text)

    @on(OptionList.OptionHighlighted, "#phases")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._describe(event.option_index)

    @on(OptionList.OptionSelected, "#phases")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(PhaseChosen(event.option.id))


def _state_style(state: str) -> str:
    return {
        "done": "$text-success",
        "current": "$text-accent bold",
        "failed": "$text-error bold",
    }.get(state, "$foreground-muted")
