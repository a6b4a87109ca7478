"""Rules for the checklist area: errors."""
