"""The logged-in user's notes and their attachments."""

import os

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_login import current_user, login_required

from notes_app import repository
from notes_app.schemas import NoteIn, PageParams, SearchParams

bp = Blueprint("notes", __name__)


@bp.get("")
@login_required
def list_notes() -> ResponseReturnValue:
    """One page of the caller's notes."""
    page = PageParams.model_validate(request.args.to_dict())
    rows = repository.list_notes(current_user.id, page.per_page, page.offset)
    return {"notes": [repository.note_to_dict(row) for row in rows], "page": page.page}


@bp.post("")
@login_required
def create_note() -> ResponseReturnValue:
    """Write a new note."""
    data = NoteIn.model_validate(request.get_json(silent=True) or {})
    note_id = repository.create_note(current_user.id, data.title, data.body)
    return jsonify(id=note_id), 201


@bp.get("/search")
@login_required
def search_notes() -> ResponseReturnValue:
    """The caller's notes whose title contains ?q=."""
    params = SearchParams.model_validate(request.args.to_dict())
    rows = repository.search_notes(current_user.id, params.q)
    return {"notes": [repository.note_to_dict(row) for row in rows]}


class NoteAPI(MethodView):
    """Read, replace or delete one of the caller's notes."""

    decorators = [login_required]

    def get(self, note_id: int) -> ResponseReturnValue:
        note = repository.get_note(current_user.id, note_id)
        if note is None:
            abort(404)
        return repository.note_to_dict(note)

    def put(self, note_id: int) -> ResponseReturnValue:
        data = NoteIn.model_validate(request.get_json(silent=True) or {})
        if not repository.update_note(current_user.id, note_id, data.title, data.body):
            abort(404)
        return repository.note_to_dict(repository.get_note(current_user.id, note_id))

    def delete(self, note_id: int) -> ResponseReturnValue:
        if not repository.delete_note(current_user.id, note_id):
            abort(404)
        return "", 204


bp.add_url_rule("/<int:note_id>", view_func=NoteAPI.as_view("note"))


@bp.post("/<int:note_id>/attachments")
@login_required
def upload_attachment(note_id: int) -> ResponseReturnValue:
    """Attach a file to one of the caller's notes."""
    if repository.get_note(current_user.id, note_id) is None:
        abort(404)
    file = request.files["file"]
    os.makedirs(current_app.config["UPLOAD_FOLDER"], exist_ok=True)
    file.save(os.path.join(current_app.config["UPLOAD_FOLDER"], file.filename))
    attachment_id = repository.add_attachment(note_id, file.filename)
    return jsonify(id=attachment_id, filename=file.filename), 201


@bp.get("/<int:note_id>/print")
def print_note(note_id: int) -> ResponseReturnValue:
    """A plain-text version of a note for printing."""
    note = repository.get_note_by_id(note_id)
    if note is None:
        abort(404)
    return Response(f"{note['title']}\n\n{note['body']}\n", mimetype="text/plain")
