"""Rules for the checklist area: validation."""
