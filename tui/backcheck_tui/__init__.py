"""backcheck's Textual companion: the task's workflow, research notes, live tests, checklist and agent."""

__all__ = ["BackcheckApp"]


def __getattr__(name: str):  # lazy, so `import backcheck_tui` stays cheap
    if name == "BackcheckApp":
        from backcheck_tui.app import BackcheckApp

        return BackcheckApp
    raise AttributeError(name)
