from conftest import PASSWORD


def test_admin_users_needs_staff(client, logged_in):
    assert client.get("/admin/users").status_code == 403


def test_admin_users_anonymous(client):
    assert client.get("/admin/users").status_code == 401


def test_admin_lists_users(client, make_user):
    staff = make_user("staff@example.com", is_admin=True)
    make_user("ada@example.com")
    client.post("/auth/login", json={"email": staff.email, "password": PASSWORD})
    response = client.get("/admin/users", query_string={"per_page": 10})
    assert response.status_code == 200
    assert [u["email"] for u in response.json["users"]] == ["staff@example.com", "ada@example.com"]
    assert all("password_hash" not in u for u in response.json["users"])
