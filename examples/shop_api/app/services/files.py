"""Metadata of uploaded files."""

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import StoredFile, User

logger = logging.getLogger(__name__)


def record_upload(
    db: Session,
    owner: User,
    *,
    kind: str,
    original_name: str,
    stored_name: str,
    content_type: str,
    size_bytes: int,
) -> StoredFile:
    """Remember a file that was written to the upload folder."""
    record = StoredFile(
        owner_id=owner.id,
        kind=kind,
        original_name=original_name,
        stored_name=stored_name,
        content_type=content_type,
        size_bytes=size_bytes,
    )
    with db.begin():
        db.add(record)
    logger.info(
        "file uploaded",
        extra={"file_id": record.id, "owner_id": owner.id, "kind": kind, "size": size_bytes},
    )
    return record


def list_files(db: Session, owner: User, limit: int, offset: int) -> Sequence[StoredFile]:
    """One page of a user's files, newest first."""
    query = (
        select(StoredFile)
        .where(StoredFile.owner_id == owner.id)
        .order_by(StoredFile.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return db.scalars(query).all()


def get_file(db: Session, owner: User, file_id: int) -> StoredFile | None:
    """The user's own file with this id, or None."""
    return db.scalar(
        select(StoredFile).where(StoredFile.id == file_id, StoredFile.owner_id == owner.id)
    )
