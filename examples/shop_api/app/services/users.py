"""Accounts: sign-up, profile changes, staff views."""

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import User
from app.schemas import SignupIn, UserUpdate
from app.security import hash_password

logger = logging.getLogger(__name__)


class EmailTakenError(Exception):
    """Another account already uses this email address."""


def register_user(db: Session, data: SignupIn) -> User:
    """Create a customer account."""
    user = User(
        email=data.email.lower(),
        full_name=data.full_name,
        password_hash=hash_password(data.password),
    )
    try:
        with db.begin():
            db.add(user)
    except IntegrityError as exc:
        raise EmailTakenError(data.email) from exc
    logger.info("user registered", extra={"user_id": user.id})
    return user


def get_user(db: Session, user_id: int) -> User | None:
    """Look a user up by id."""
    return db.get(User, user_id)


def update_profile(db: Session, user: User, changes: UserUpdate) -> User:
    """Apply a user's own profile changes."""
    with db.begin():
        user.full_name = changes.full_name
    logger.info("profile updated", extra={"user_id": user.id})
    return user


def list_all_users(db: Session) -> Sequence[User]:
    """Every account, oldest first (staff screen)."""
    return db.scalars(select(User).order_by(User.id)).all()


def deactivate_user(db: Session, user_id: int, actor: User) -> User | None:
    """Block an account from logging in; staff only."""
    with db.begin():
        user = db.get(User, user_id)
        if user is None:
            return None
        user.is_active = False
    logger.info("user deactivated", extra={"user_id": user_id, "actor_id": actor.id})
    return user
