"""Flask notes service: application factory."""

import os
from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from flask_login import LoginManager
from pydantic import ValidationError

from notes_app import db, users

login_manager = LoginManager()


@login_manager.user_loader
def load_user(user_id: str) -> users.User | None:
    """Flask-Login's hook: the session's user id back to a User."""
    return users.get_user(int(user_id))


@login_manager.unauthorized_handler
def unauthorized() -> ResponseReturnValue:
    """Answer 401 in JSON instead of redirecting to a login page."""
    return jsonify(error="Login required"), 401


def health() -> ResponseReturnValue:
    """Liveness probe."""
    return {"status": "ok"}


def invalid_input(exc: ValidationError) -> ResponseReturnValue:
    """Turn a failed validation into a 400 without echoing internals."""
    return jsonify(
        error="Invalid request", fields=sorted(str(e["loc"][0]) for e in exc.errors())
    ), 400


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides the defaults (the tests use it)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("NOTES_SECRET_KEY", "dev-only-secret"),
        DATABASE=os.path.join(app.instance_path, "notes.sqlite"),
        UPLOAD_FOLDER=os.path.join(app.instance_path, "uploads"),
        PASSWORD_HASH_METHOD="scrypt",
    )
    if config:
        app.config.update(config)
    os.makedirs(os.path.dirname(app.config["DATABASE"]), exist_ok=True)

    db.init_app(app)
    login_manager.init_app(app)
    app.register_error_handler(ValidationError, invalid_input)

    from notes_app import admin, api, auth, notes

    app.register_blueprint(auth.bp, url_prefix="/auth")
    app.register_blueprint(notes.bp, url_prefix="/notes")
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.add_url_rule("/health", "health", health)
    return app
