import pytest

from app.limiter import limiter
from app.security import decode_access_token


def test_signup_creates_account(client):
    response = client.post(
        "/auth/signup",
        json={
            "email": "New@Example.com",
            "full_name": "New Person",
            "password": "a long passphrase",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@example.com"
    assert "password" not in body and "password_hash" not in body


def test_signup_rejects_duplicate_email(client, customer):
    response = client.post(
        "/auth/signup",
        json={"email": customer.email, "full_name": "Copy", "password": "another passphrase"},
    )
    assert response.status_code == 409


def test_signup_validates_password_length(client):
    response = client.post(
        "/auth/signup", json={"email": "x@example.com", "full_name": "X", "password": "short"}
    )
    assert response.status_code == 422


def test_token_endpoint_issues_bearer_token(client, customer):
    response = client.post(
        "/auth/token", data={"username": customer.email, "password": "correct horse battery"}
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


def test_login_with_json(client, customer):
    response = client.post(
        "/auth/login", json={"email": customer.email, "password": "correct horse battery"}
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == customer.email


@pytest.mark.parametrize("password", ["wrong password", ""])
def test_login_rejects_bad_password(client, customer, password):
    response = client.post("/auth/login", json={"email": customer.email, "password": password})
    assert response.status_code in (401, 422)


def test_refresh_returns_new_token(client, customer):
    login = client.post(
        "/auth/login", json={"email": customer.email, "password": "correct horse battery"}
    )
    response = client.post("/auth/refresh", json={"token": login.json()["access_token"]})
    assert response.status_code == 200
    claims = decode_access_token(response.json()["access_token"])
    assert claims["sub"] == str(customer.id)


def test_token_endpoint_is_rate_limited(client, customer):
    limiter.enabled = True
    try:
        codes = [
            client.post(
                "/auth/token", data={"username": customer.email, "password": "nope"}
            ).status_code
            for _ in range(6)
        ]
    finally:
        limiter.enabled = False
        limiter.reset()
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
