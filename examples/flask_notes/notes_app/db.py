"""One SQLite connection per request, kept on flask.g."""

import sqlite3

import click
from flask import Flask, current_app, g


def get_db() -> sqlite3.Connection:
    """The request's connection, opened on first use."""
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
        g.db.execute("PRAGMA foreign_keys = ON")
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    """Close the request's connection if one was opened."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_db() -> None:
    """Create the tables from schema.sql, dropping existing ones."""
    with current_app.open_resource("schema.sql") as schema:
        get_db().executescript(schema.read().decode("utf-8"))


@click.command("init-db")
def init_db_command() -> None:
    """Create a fresh database."""
    init_db()
    click.echo("Initialised the database.")


def init_app(app: Flask) -> None:
    """Register teardown and the CLI command on the app."""
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
