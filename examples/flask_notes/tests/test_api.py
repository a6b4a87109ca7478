def test_api_requires_token(client):
    assert client.get("/api/stats").status_code == 401
    assert client.get("/api/stats", headers={"X-API-Token": "bogus"}).status_code == 401


def test_bulk_create_notes(client, api_headers):
    payload = {"notes": [{"title": "One"}, {"title": "Two", "body": "second"}]}
    response = client.post("/api/notes/bulk", json=payload, headers=api_headers)
    assert response.status_code == 201
    assert response.json == {"created": 2}


def test_stats(client, api_headers):
    response = client.get("/api/stats", headers=api_headers)
    assert response.status_code == 200
    assert response.json == {"users": 1, "notes": 0, "attachments": 0}
