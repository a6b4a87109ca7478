"""Token-authenticated JSON API for integrations (X-API-Token header)."""

import sqlite3

from flask import Blueprint, abort, g, jsonify, request
from flask.typing import ResponseReturnValue

from notes_app import repository, users

bp = Blueprint("api", __name__)


@bp.before_request
def require_api_token() -> None:
    """Every API request must carry a valid token."""
    token = request.headers.get("X-API-Token", "")
    user = users.user_for_api_token(token) if token else None
    if user is None:
        abort(401)
    g.api_user = user


@bp.post("/notes/bulk")
def bulk_create_notes() -> ResponseReturnValue:
    """Create many notes from a JSON list of {title, body} objects."""
    payload = request.get_json()
    notes = [(item["title"], item.get("body", "")) for item in payload["notes"]]
    created = repository.create_notes(g.api_user.id, notes)
    return jsonify(created=created), 201


@bp.get("/stats")
def stats() -> ResponseReturnValue:
    """Usage numbers for the monitoring dashboard."""
    try:
        return jsonify(repository.note_counts())
    except sqlite3.Error as e:
        return jsonify(error=str(e)), 500
