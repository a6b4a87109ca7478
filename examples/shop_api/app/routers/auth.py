"""Sign-up, login and token refresh (public, see [tool.backcheck] public)."""

import logging
from typing import Annotated

import jwt
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from app.deps import DbSession
from app.limiter import limiter
from app.schemas import LoginIn, RefreshIn, SignupIn, Token, UserOut
from app.security import create_access_token
from app.services import auth as auth_service
from app.services import users as users_service

logger = logging.getLogger(__name__)

router = APIRouter()

BAD_CREDENTIALS = "Incorrect email or password"


@router.post("/signup", status_code=status.HTTP_201_CREATED)
@limiter.limit("5/minute")
def signup(request: Request, payload: SignupIn, db: DbSession) -> UserOut:
    """Create a customer account."""
    try:
        user = users_service.register_user(db, payload)
    except users_service.EmailTakenError:
        raise HTTPException(status.HTTP_409_CONFLICT, "This email is already registered") from None
    return UserOut.model_validate(user)


@router.post("/token")
@limiter.limit("5/minute")
def login_for_access_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    db: DbSession,
) -> Token:
    """OAuth2 password flow used by the interactive API docs."""
    user = auth_service.authenticate(db, form.username, form.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, BAD_CREDENTIALS)
    return auth_service.issue_token(user)


@router.post("/login")
def login(payload: LoginIn, db: DbSession) -> Token:
    """JSON login used by the web and mobile clients."""
    user = auth_service.authenticate(db, payload.email, payload.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, BAD_CREDENTIALS)
    return auth_service.issue_token(user)


@router.post("/refresh")
@limiter.limit("10/minute")
def refresh_access_token(request: Request, payload: RefreshIn) -> Token:
    """Swap a recently expired access token for a fresh one."""
    # Expired tokens must be accepted here, so only the subject is read from the claims.
    claims = jwt.decode(payload.token, options={"verify_signature": False})
    subject = claims.get("sub")
    if not subject:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid token")
    logger.info("access token refreshed", extra={"user_id": subject})
    return Token(access_token=create_access_token(str(subject)))
