"""Test setup: an app on a temporary database with fast password hashing."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from notes_app import create_app, users  # noqa: E402
from notes_app.db import init_db  # noqa: E402

PASSWORD = "correct horse battery"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE": str(tmp_path / "notes.sqlite"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        init_db()
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask):
    def _make(email: str = "ada@example.com", *, is_admin: bool = False) -> users.User:
        with app.app_context():
            return users.create_user(email, PASSWORD, is_admin=is_admin)

    return _make


@pytest.fixture
def logged_in(client: FlaskClient, make_user) -> users.User:
    """A user whose session cookie the client carries."""
    user = make_user()
    response = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    return user


@pytest.fixture
def api_headers(app: Flask, make_user) -> dict[str, str]:
    user = make_user("robot@example.com")
    with app.app_context():
        return {"X-API-Token": users.issue_api_token(user.id)}
