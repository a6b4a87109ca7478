"""Staff pages."""

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from notes_app import users
from notes_app.decorators import admin_required
from notes_app.schemas import PageParams

bp = Blueprint("admin", __name__)


@bp.get("/users")
@admin_required
def list_users() -> ResponseReturnValue:
    """One page of accounts."""
    page = PageParams.model_validate(request.args.to_dict())
    return {"users": users.list_users(page.per_page, page.offset), "page": page.page}
