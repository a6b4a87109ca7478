"""Rules for the checklist area: audit."""
