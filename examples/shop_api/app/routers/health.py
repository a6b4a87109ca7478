"""Liveness probe for the load balancer."""

from fastapi import APIRouter

from app.db import ping
from app.deps import DbSession

router = APIRouter()


@router.get("/health")
def health(db: DbSession) -> dict[str, str]:
    """Report that the process is up and the database answers."""
    return {"status": "ok", "database": "ok" if ping(db) else "unavailable"}
