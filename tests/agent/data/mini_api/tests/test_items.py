from app.main import app
from fastapi.testclient import TestClient

client = TestClient(app)
AUTH = {"Authorization": "Bearer test-token"}


def test_health() -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_items_need_auth() -> None:
    assert client.get("/items").status_code == 401


def test_items_page() -> None:
    response = client.get("/items?limit=2&offset=1", headers=AUTH)
    assert [i["id"] for i in response.json()] == [2, 3]
