"""Modal screens: new task, add note, pick a phase, pick a task."""
