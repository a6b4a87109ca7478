"""The caller's own account, and public profiles."""

from fastapi import APIRouter, HTTPException, status

from app.deps import CurrentUser, DbSession
from app.schemas import UserOut, UserPublic, UserUpdate
from app.services import users as users_service

router = APIRouter()


@router.get("/me")
def read_me(user: CurrentUser) -> UserOut:
    """The logged-in user's account."""
    return UserOut.model_validate(user)


@router.patch("/me")
def update_me(payload: UserUpdate, user: CurrentUser, db: DbSession) -> UserOut:
    """Change the logged-in user's profile."""
    return UserOut.model_validate(users_service.update_profile(db, user, payload))


@router.get("/{user_id}")
def get_user(user_id: int, db: DbSession) -> UserPublic:
    """Look up another customer by id."""
    user = users_service.get_user(db, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found")
    return UserPublic.model_validate(user)
