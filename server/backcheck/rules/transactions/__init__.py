"""Rules for the checklist area: transactions."""
