import io


def _create(client, title="Groceries", body="milk, eggs"):
    return client.post("/notes", json={"title": title, "body": body}).json["id"]


def test_notes_need_login(client):
    assert client.get("/notes").status_code == 401


def test_create_and_list_notes(client, logged_in):
    for n in range(3):
        _create(client, title=f"Note {n}")
    response = client.get("/notes", query_string={"per_page": 2})
    assert response.status_code == 200
    assert len(response.json["notes"]) == 2


def test_create_note_validates(client, logged_in):
    assert client.post("/notes", json={"title": ""}).status_code == 400


def test_read_update_delete_note(client, logged_in):
    note_id = _create(client)
    assert client.get(f"/notes/{note_id}").json["title"] == "Groceries"
    updated = client.put(f"/notes/{note_id}", json={"title": "Shopping", "body": "bread"})
    assert updated.json["title"] == "Shopping"
    assert client.delete(f"/notes/{note_id}").status_code == 204
    assert client.get(f"/notes/{note_id}").status_code == 404


def test_search_notes(client, logged_in):
    _create(client, title="Meeting notes")
    _create(client, title="Recipes")
    response = client.get("/notes/search", query_string={"q": "meet"})
    assert [n["title"] for n in response.json["notes"]] == ["Meeting notes"]


def test_upload_attachment(client, logged_in):
    note_id = _create(client)
    response = client.post(
        f"/notes/{note_id}/attachments",
        data={"file": (io.BytesIO(b"hello"), "hello.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    assert response.json["filename"] == "hello.txt"


def test_print_note(client, logged_in):
    note_id = _create(client, title="Trip", body="pack socks")
    response = client.get(f"/notes/{note_id}/print")
    assert response.status_code == 200
    assert response.data.decode() == "Trip\n\npack socks\n"
