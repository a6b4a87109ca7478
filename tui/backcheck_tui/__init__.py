"""backcheck companion TUI."""
