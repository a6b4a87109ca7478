"""Password hashing and access tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from app.config import settings

_SCHEME = "pbkdf2_sha256"


def hash_password(password: str) -> str:
    """Hash a password with PBKDF2-SHA256 and a random salt."""
    salt = secrets.token_hex(16)
    iterations = settings.password_iterations
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{_SCHEME}${iterations}${salt}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Check a password against a value made by hash_password, in constant time."""
    try:
        scheme, iterations, salt, expected = stored.split("$")
    except ValueError:
        return False
    if scheme != _SCHEME:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    return hmac.compare_digest(digest.hex(), expected)


def create_access_token(subject: str, minutes: int | None = None) -> str:
    """Sign a short-lived access token for the given user id."""
    now = datetime.now(UTC)
    lifetime = timedelta(minutes=minutes or settings.access_token_minutes)
    claims = {"sub": subject, "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, settings.secret_key, algorithm=settings.jwt_algorithm)


def decode_access_token(token: str) -> dict[str, Any]:
    """Verify an access token's signature and expiry and return its claims."""
    return jwt.decode(token, settings.secret_key, algorithms=[settings.jwt_algorithm])
