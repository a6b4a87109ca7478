from conftest import auth_headers


def test_me_requires_a_token(client):
    assert client.get("/users/me").status_code == 401


def test_me_returns_own_account(client, customer):
    response = client.get("/users/me", headers=auth_headers(customer))
    assert response.status_code == 200
    assert response.json()["full_name"] == "Ada Lovelace"


def test_update_me_changes_name(client, customer):
    response = client.patch(
        "/users/me", json={"full_name": "Ada King"}, headers=auth_headers(customer)
    )
    assert response.status_code == 200
    assert client.get("/users/me", headers=auth_headers(customer)).json()["full_name"] == "Ada King"


def test_public_profile_shows_name_only(client, customer):
    response = client.get(f"/users/{customer.id}")
    assert response.status_code == 200
    assert response.json() == {"id": customer.id, "full_name": "Ada Lovelace"}
