"""The TUI's panels: workflow, notes, tests, checklist, agent, and the status line."""
