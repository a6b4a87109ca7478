"""Accounts and API tokens."""

import hashlib
import logging
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from notes_app.db import get_db

logger = logging.getLogger(__name__)


@dataclass
class User(UserMixin):
    """The logged-in person, as Flask-Login sees them."""

    id: int
    email: str
    is_admin: bool = False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_user(user_id: int) -> User | None:
    """Load a user by id (Flask-Login's user loader)."""
    row = (
        get_db()
        .execute("SELECT id, email, is_admin FROM users WHERE id = ?", (user_id,))
        .fetchone()
    )
    return User(row["id"], row["email"], bool(row["is_admin"])) if row else None


def check_credentials(email: str, password: str) -> User | None:
    """The user with these credentials, or None."""
    row = (
        get_db()
        .execute(
            "SELECT id, email, is_admin, password_hash FROM users WHERE email = ?", (email.lower(),)
        )
        .fetchone()
    )
    if row is None or not check_password_hash(row["password_hash"], password):
        logger.warning("login failed", extra={"email": email})
        return None
    logger.info("login succeeded", extra={"user_id": row["id"]})
    return User(row["id"], row["email"], bool(row["is_admin"]))


def create_user(email: str, password: str, *, is_admin: bool = False) -> User:
    """Create an account (used by the CLI and the tests)."""
    password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )
    db = get_db()
    with db:
        cursor = db.execute(
            "INSERT INTO users (email, password_hash, is_admin) VALUES (?, ?, ?)",
            (email.lower(), password_hash, int(is_admin)),
        )
    logger.info("user created", extra={"user_id": cursor.lastrowid})
    return User(cursor.lastrowid, email.lower(), is_admin)


def issue_api_token(user_id: int) -> str:
    """Create an API token for a user; only its digest is stored."""
    token = secrets.token_urlsafe(32)
    db = get_db()
    with db:
        db.execute(
            "INSERT INTO api_tokens (user_id, token_digest) VALUES (?, ?)",
            (user_id, _digest(token)),
        )
    logger.info("api token issued", extra={"user_id": user_id})
    return token


def user_for_api_token(token: str) -> User | None:
    """The owner of an API token, or None."""
    row = (
        get_db()
        .execute(
            "SELECT u.id, u.email, u.is_admin FROM api_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_digest = ?",
            (_digest(token),),
        )
        .fetchone()
    )
    return User(row["id"], row["email"], bool(row["is_admin"])) if row else None


def list_users(limit: int, offset: int) -> list[dict[str, object]]:
    """One page of accounts for the staff page."""
    rows = (
        get_db()
        .execute(
            "SELECT id, email, is_admin FROM users ORDER BY id LIMIT ? OFFSET ?", (limit, offset)
        )
        .fetchall()
    )
    return [{"id": r["id"], "email": r["email"], "is_admin": bool(r["is_admin"])} for r in rows]
