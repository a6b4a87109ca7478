"""mini_api: items with an owner, behind a bearer token."""
