"""Credential checks and token issuing."""

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import User
from app.schemas import Token
from app.security import create_access_token, verify_password

logger = logging.getLogger(__name__)


def authenticate(db: Session, email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None."""
    user = db.scalar(select(User).where(User.email == email.lower()))
    if user is None or not user.is_active or not verify_password(password, user.password_hash):
        logger.warning("login failed", extra={"email": email})
        return None
    logger.info("login succeeded", extra={"user_id": user.id})
    return user


def issue_token(user: User) -> Token:
    """Create the access token handed to a user who just logged in."""
    return Token(access_token=create_access_token(str(user.id)))
