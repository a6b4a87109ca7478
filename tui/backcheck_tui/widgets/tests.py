"""The test results panel: a progress bar while a run goes, a tree by file, and failure details."""

from __future__ import annotations

from collections.abc import Callable

from backcheck.store import TestResult, TestRun
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import ProgressBar, Static, Tree
from textual.widgets.tree import TreeNode

from backcheck_tui.state import AppState
from backcheck_tui.widgets.fmt import fmt_duration, fmt_time, icon, to_rich

_BAD = ("failed", "error", "xpassed")


class TestsPanel(Vertical):
    """Shows the newest run: counts, progress, a file -> test tree and the selected test's details."""

    __test__ = False
    DEFAULT_CLASSES = "panel"

    def __init__(self, clock: Callable[[], float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self._run_id: int | None = None
        self._cursor_placed = False
        self._files: dict[str, TreeNode] = {}
        self._leaves: dict[str, TreeNode] = {}
        self._file_results: dict[str, dict[str, TestResult]] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="run-summary")
        yield ProgressBar(id="run-progress", show_eta=False)
        tree: Tree[TestResult | None] = Tree("tests", id="test-tree")
        tree.show_root = False
        yield tree
        with VerticalScroll(id="test-detail-box"):
            yield Static(id="test-detail", markup=False)

    def show(self, state: AppState) -> None:
        """Render the newest run from ``state``; new results are added to the tree in place."""
        run = state.latest_run
        summary = self.query_one("#run-summary", Static)
        bar = self.query_one("#run-progress", ProgressBar)
        tree = self.query_one("#test-tree", Tree)
        if run is None:
            summary.update(Content.from_markup(
                "No test run yet. Press [b $text-accent]t[/] to run the project's tests "
                "(or run [b]backcheck test[/] in a terminal)."
            ))
            bar.display = False
            tree.clear()
            self._reset(None)
            self._detail(None)
            return
        if run.id != self._run_id:
            tree.clear()
            self._reset(run.id)
            self._detail(None)
        summary.update(self._summary(run))
        bar.display = True
        bar.update(total=max(run.total or 0, run.done) or None, progress=run.done)
        if run.status != "running" and not run.total and not run.done:
            bar.update(total=1, progress=1)
        for result in state.run_results(run.id):
            self._add(tree, result)
        if not self._cursor_placed:
            # Put the cursor on the run's first failure once, so its report shows at once.
            first_bad = next((n for n in self._leaves.values()
                              if n.data and n.data.outcome in _BAD), None)
            if first_bad is not None:
                self._cursor_placed = True
                tree.call_after_refresh(tree.move_cursor, first_bad)
                self._detail(first_bad.data)

    def restyle(self, state: AppState) -> None:
        """Rebuild the tree so its labels take the current theme's colours."""
        self._run_id = None
        self.show(state)

    def _reset(self, run_id: int | None) -> None:
        self._run_id = run_id
        self._cursor_placed = False
        self._files.clear()
        self._leaves.clear()
        self._file_results.clear()

    def _summary(self, run: TestRun) -> Content:
        end = run.finished if run.finished is not None else self.clock()
        parts: list[Content | str | tuple[str, str]] = [
            (f"Run #{run.id} ", "bold"), icon(run.status), (f" {run.status}", "bold"),
            f"  {run.done}/{run.total if run.total is not None else '?'}  ",
            icon("passed"), f" {run.passed}  ", icon("failed"), f" {run.failed + run.errors}  ",
            icon("skipped"), f" {run.skipped}",
            (f"  {fmt_duration(max(0.0, end - run.started))} · {fmt_time(run.started, self.clock())}",
             "$foreground-muted"),
        ]
        return Content.assemble(*parts)

    def _add(self, tree: Tree, result: TestResult) -> None:
        file = result.file or result.nodeid.split("::", 1)[0]
        known = self._file_results.setdefault(file, {})
        previous = known.get(result.nodeid)
        if previous is not None and previous.id == result.id:
            return
        known[result.nodeid] = result
        node = self._files.get(file)
        if node is None:
            node = tree.root.add(file, data=None, expand=True)  # labelled below
            self._files[file] = node
        name = result.nodeid.split("::", 1)[1] if "::" in result.nodeid else result.nodeid
        label = to_rich(Content.assemble(
            icon(result.outcome), " ", name, (f"  {fmt_duration(result.duration)}", "$foreground-muted"),
        ), self.app.theme_variables)
        leaf = self._leaves.get(result.nodeid)
        if leaf is None:
            self._leaves[result.nodeid] = node.add_leaf(label, data=result)
        else:
            leaf.set_label(label)
            leaf.data = result
        node.set_label(to_rich(self._file_label(file), self.app.theme_variables))

    def _file_label(self, file: str) -> Content:
        results = self._file_results[file].values()
        bad = sum(1 for r in results if r.outcome in _BAD)
        passed = sum(1 for r in results if r.outcome in ("passed", "xfailed"))
        skipped = sum(1 for r in results if r.outcome == "skipped")
        state = "failed" if bad else ("passed" if passed else "skipped")
        counts = f"  {passed} passed" + (f", {bad} failed" if bad else "") + (
            f", {skipped} skipped" if skipped else ""
        )
        return Content.assemble(icon(state), " ", (file, "bold"), (counts, "$foreground-muted"))

    def _detail(self, result: TestResult | None) -> None:
        detail = self.query_one("#test-detail", Static)
        if result is None:
            detail.update("Select a test to see its details; failures show pytest's report here.")
            return
        where = f"{result.file}:{result.line}" if result.file and result.line else (result.file or "")
        head = f"{result.nodeid}\n{result.outcome} in {fmt_duration(result.duration)}  {where}"
        body = result.failure_text or ""
        detail.update(f"{head}\n\n{body}".rstrip())

    @on(Tree.NodeHighlighted, "#test-tree")
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        data = event.node.data
        if isinstance(data, TestResult):
            self._detail(data)

    @property
    def failed_nodeids(self) -> list[str]:
        """Node ids that failed in the shown run."""
        return [r.nodeid for res in self._file_results.values() for r in res.values()
                if r.outcome in _BAD]
