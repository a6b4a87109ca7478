"""API design rules: pagination, query safety, uploads, typed handlers."""
