"""The project index: one stdlib `ast` parse per file, per-file facts cached by content hash, and a
cross-file project model (modules, routes, auth) built from those facts. It never imports or runs the
checked project's code."""
