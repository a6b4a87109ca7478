"""The backcheck language server (pygls): live diagnostics, quick fixes, hover docs, workspace checks.

One module per LSP concern: `server` wires the handlers, `workspace` keeps roots, buffers and the
debounced checks, `diagnostics` turns findings into LSP diagnostics (push and pull), `scan` runs the
start-up workspace scan with progress, `configuration` layers the settings, `code_actions`, `hover`,
`commands` and `agent` answer the matching requests. Nothing here writes to stdout except the
protocol itself.
"""
