"""Renderers for findings: text for people, JSON and SARIF for tools."""
