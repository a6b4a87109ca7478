"""Test coverage rules: routes that no test exercises."""
