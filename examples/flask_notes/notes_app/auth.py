"""Session login and logout."""

import logging

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user

from notes_app import users
from notes_app.schemas import LoginIn

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


@bp.post("/login")
def login() -> ResponseReturnValue:
    """Start a session for valid credentials."""
    data = LoginIn.model_validate(request.get_json(silent=True) or {})
    user = users.check_credentials(data.email, data.password)
    if user is None:
        return jsonify(error="Incorrect email or password"), 401
    login_user(user)
    return jsonify(id=user.id, email=user.email)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End the current session."""
    logger.info("logout", extra={"user_id": current_user.id})
    logout_user()
    return "", 204
