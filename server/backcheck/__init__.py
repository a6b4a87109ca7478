"""backcheck: a senior backend engineer's checklist for Python web backends, in the editor and in CI."""

__version__ = "0.1.0"
