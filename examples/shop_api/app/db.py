"""Engine, session factory and the declarative base."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from app.config import settings


class Base(DeclarativeBase):
    """Base class of every ORM model."""


_connect_args = {"check_same_thread": False} if settings.database_url.startswith("sqlite") else {}
engine = create_engine(settings.database_url, connect_args=_connect_args)

# Objects stay readable after their unit of work commits, so handlers can serialise them.
SessionLocal = sessionmaker(bind=engine, expire_on_commit=False)


def ping(session: Session) -> bool:
    """Return True when the database answers a trivial query."""
    return session.execute(text("SELECT 1")).scalar_one() == 1
