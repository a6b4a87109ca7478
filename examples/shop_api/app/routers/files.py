"""Avatar and document uploads of the caller."""

import shutil
from pathlib import PurePath
from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, HTTPException, Query, UploadFile, status
from fastapi.responses import FileResponse

from app.config import settings
from app.deps import CurrentUser, DbSession
from app.schemas import FileOut
from app.services import files as files_service

router = APIRouter()

ALLOWED_DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "text/plain": ".txt",
}


@router.post("/avatar", response_model=FileOut, status_code=status.HTTP_201_CREATED)
def upload_avatar(file: UploadFile, user: CurrentUser, db: DbSession):
    """Replace the caller's profile picture."""
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    stored_name = f"avatar-{user.id}-{file.filename}"
    with (settings.upload_dir / stored_name).open("wb") as out:
        shutil.copyfileobj(file.file, out)
    return files_service.record_upload(
        db,
        user,
        kind="avatar",
        original_name=file.filename or "avatar",
        stored_name=stored_name,
        content_type=file.content_type or "application/octet-stream",
        size_bytes=(settings.upload_dir / stored_name).stat().st_size,
    )


@router.post("/documents", status_code=status.HTTP_201_CREATED)
async def upload_document(file: UploadFile, user: CurrentUser, db: DbSession) -> FileOut:
    """Attach a document (invoice, receipt) to the caller's account."""
    suffix = ALLOWED_DOCUMENT_TYPES.get(file.content_type or "")
    if suffix is None:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "Unsupported file type")
    data = await file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "File is too large")
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    stored_name = f"{uuid4().hex}{suffix}"
    (settings.upload_dir / stored_name).write_bytes(data)
    record = files_service.record_upload(
        db,
        user,
        kind="document",
        original_name=PurePath(file.filename or "document").name[:255],
        stored_name=stored_name,
        content_type=file.content_type or "",
        size_bytes=len(data),
    )
    return FileOut.model_validate(record)


@router.get("", response_model=list[FileOut])
def list_files(
    user: CurrentUser,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    """The caller's uploads, newest first."""
    return files_service.list_files(db, user, limit=limit, offset=offset)


@router.get("/{file_id}/download")
def download_file(file_id: int, user: CurrentUser, db: DbSession) -> FileResponse:
    """Stream one of the caller's files back."""
    record = files_service.get_file(db, user, file_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "File not found")
    return FileResponse(
        settings.upload_dir / record.stored_name,
        media_type=record.content_type,
        filename=record.original_name,
    )
