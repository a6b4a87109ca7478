"""Live test runs: `backcheck test` and the TUI run pytest with a plugin that stores each result.

The plugin (:mod:`backcheck.testrun.plugin`) is only imported by the pytest subprocess.
"""

from backcheck.testrun.cli import cli_main, find_workspace
from backcheck.testrun.runner import last_failed, log_path, pytest_command, read_log_tail, run_tests

__all__ = ["cli_main", "find_workspace", "last_failed", "log_path", "pytest_command", "read_log_tail", "run_tests"]
