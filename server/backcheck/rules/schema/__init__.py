"""Schema and migration rules: indexes, reversible migrations, safe column changes."""
