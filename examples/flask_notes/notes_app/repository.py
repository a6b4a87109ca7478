"""Notes and attachments storage."""

import logging
import sqlite3

from notes_app.db import get_db

logger = logging.getLogger(__name__)


def note_to_dict(row: sqlite3.Row) -> dict[str, object]:
    """The JSON shape of a note."""
    return {
        "id": row["id"],
        "title": row["title"],
        "body": row["body"],
        "updated_at": row["updated_at"],
    }


def list_notes(owner_id: int, limit: int, offset: int) -> list[sqlite3.Row]:
    """One page of a user's notes, most recently changed first."""
    return (
        get_db()
        .execute(
            "SELECT id, title, body, updated_at FROM notes WHERE owner_id = ? "
            "ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?",
            (owner_id, limit, offset),
        )
        .fetchall()
    )


def get_note(owner_id: int, note_id: int) -> sqlite3.Row | None:
    """A user's own note, or None."""
    return (
        get_db()
        .execute(
            "SELECT id, title, body, updated_at FROM notes WHERE id = ? AND owner_id = ?",
            (note_id, owner_id),
        )
        .fetchone()
    )


def get_note_by_id(note_id: int) -> sqlite3.Row | None:
    """Any note by id, whoever owns it."""
    return (
        get_db()
        .execute("SELECT id, title, body, updated_at FROM notes WHERE id = ?", (note_id,))
        .fetchone()
    )


def search_notes(owner_id: int, term: str) -> list[sqlite3.Row]:
    """A user's notes whose title contains the term."""
    cursor = get_db().cursor()
    cursor.execute(
        "SELECT id, title, body, updated_at FROM notes "
        "WHERE owner_id = %d AND title LIKE '%%%s%%' ORDER BY updated_at DESC LIMIT 20"
        % (owner_id, term)
    )
    return cursor.fetchall()


def create_note(owner_id: int, title: str, body: str) -> int:
    """Store a new note and return its id."""
    db = get_db()
    with db:
        cursor = db.execute(
            "INSERT INTO notes (owner_id, title, body) VALUES (?, ?, ?)", (owner_id, title, body)
        )
    logger.info("note created", extra={"note_id": cursor.lastrowid, "owner_id": owner_id})
    return cursor.lastrowid


def create_notes(owner_id: int, notes: list[tuple[str, str]]) -> int:
    """Store several notes at once, all or none; returns how many."""
    db = get_db()
    with db:
        db.executemany(
            "INSERT INTO notes (owner_id, title, body) VALUES (?, ?, ?)",
            [(owner_id, title, body) for title, body in notes],
        )
    logger.info("notes imported", extra={"owner_id": owner_id, "count": len(notes)})
    return len(notes)


def update_note(owner_id: int, note_id: int, title: str, body: str) -> bool:
    """Change a user's note; False when it does not exist."""
    db = get_db()
    with db:
        cursor = db.execute(
            "UPDATE notes SET title = ?, body = ?, updated_at = CURRENT_TIMESTAMP "
            "WHERE id = ? AND owner_id = ?",
            (title, body, note_id, owner_id),
        )
    logger.info("note updated", extra={"note_id": note_id, "owner_id": owner_id})
    return cursor.rowcount == 1


def delete_note(owner_id: int, note_id: int) -> bool:
    """Delete a user's note; False when it does not exist."""
    db = get_db()
    with db:
        cursor = db.execute("DELETE FROM notes WHERE id = ? AND owner_id = ?", (note_id, owner_id))
    logger.info("note deleted", extra={"note_id": note_id, "owner_id": owner_id})
    return cursor.rowcount == 1


def add_attachment(note_id: int, filename: str) -> int:
    """Record a file saved for a note."""
    db = get_db()
    with db:
        cursor = db.execute(
            "INSERT INTO attachments (note_id, filename) VALUES (?, ?)", (note_id, filename)
        )
    logger.info("attachment added", extra={"note_id": note_id, "attachment_id": cursor.lastrowid})
    return cursor.lastrowid


def note_counts() -> dict[str, int]:
    """How many users, notes and attachments exist."""
    row = (
        get_db()
        .execute(
            "SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM notes) AS notes, "
            "(SELECT COUNT(*) FROM attachments) AS attachments"
        )
        .fetchone()
    )
    return dict(row)
