"""Exposure rules: sensitive data and unfiltered ORM objects in responses."""
