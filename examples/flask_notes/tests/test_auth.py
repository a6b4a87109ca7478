from conftest import PASSWORD


def test_health(client):
    assert client.get("/health").json == {"status": "ok"}


def test_login_starts_session(client, make_user):
    user = make_user()
    response = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert client.get("/notes").status_code == 200


def test_login_rejects_wrong_password(client, make_user):
    user = make_user()
    response = client.post("/auth/login", json={"email": user.email, "password": "nope"})
    assert response.status_code == 401


def test_login_validates_body(client):
    response = client.post("/auth/login", json={"email": "x"})
    assert response.status_code == 400
    assert response.json["fields"] == ["email", "password"]
