"""Scripted model turns for the agent tests: a whole task on mini_api, in pieces."""

from __future__ import annotations

from fake_messages_api import Reply, text, tool

TASK = "Add GET /items/{item_id} returning one item (404 when missing), with tests"

SERVICE_OLD = '''def list_items(limit: int, offset: int) -> list[ItemOut]:
    """One page of items."""
    return ITEMS[offset : offset + limit]
'''
SERVICE_NEW = (
    SERVICE_OLD
    + '''

def get_item(item_id: int) -> ItemOut | None:
    """The item with this id, or None."""
    return next((item for item in ITEMS if item.id == item_id), None)
'''
)

ROUTE_OLD = "    return services.list_items(limit=limit, offset=offset)\n"
ROUTE_NEW = (
    ROUTE_OLD
    + """

@app.get("/items/{item_id}", response_model=ItemOut)
def get_item(item_id: int, user: str = Depends(require_user)) -> ItemOut:
    item = services.get_item(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="item not found")
    return item
"""
)

TEST_FILE = """from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)
AUTH = {"Authorization": "Bearer test-token"}


def test_get_item() -> None:
    response = client.get("/items/2", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"id": 2, "name": "item 2"}


def test_get_item_missing() -> None:
    assert client.get("/items/99", headers=AUTH).status_code == EXPECTED_MISSING


def test_get_item_needs_auth() -> None:
    assert client.get("/items/2").status_code == 401
"""


def test_file(missing_status: int = 404) -> str:
    """The new test module; a wrong ``missing_status`` makes it fail."""
    return TEST_FILE.replace("EXPECTED_MISSING", str(missing_status))


def until_research(docs_url: str) -> list[Reply]:
    """analyze -> review-context -> research with a fetched page and a note."""
    return [
        Reply(
            [
                text("I'll start by pinning down what is asked."),
                tool(
                    "set_phase",
                    {
                        "phase": "analyze",
                        "summary": "Authenticated read of one item by id; 404 when it does not exist.",
                    },
                ),
            ]
        ),
        Reply(
            [
                tool(
                    "set_phase", {"phase": "review-context", "summary": "Read routes and services."}
                ),
                tool("list_files", {"path": "."}),
                tool("read_file", {"path": "app/main.py"}),
                tool("read_file", {"path": "app/services.py"}),
            ]
        ),
        Reply(
            [
                tool("set_phase", {"phase": "research"}),
                tool("fetch_url", {"url": docs_url}),
            ]
        ),
        Reply(
            [
                tool(
                    "record_note",
                    {
                        "topic": "FastAPI path parameters",
                        "title": "Typed path parameters and 404s in FastAPI",
                        "content": "Annotate item_id as int so FastAPI validates it; raise "
                        "HTTPException(404) for a missing item.",
                        "sources": [docs_url],
                    },
                ),
                tool(
                    "record_note",
                    {
                        "kind": "decision",
                        "topic": "Lookup lives in the service layer",
                        "content": "services.get_item returns None; the route maps None to 404.",
                    },
                ),
            ]
        ),
    ]


def implement(missing_status: int = 404, *, run_tests: bool = True) -> list[Reply]:
    """design-schema -> validation -> service -> route -> tests (with a test run)."""
    test_calls = [tool("run_tests", {"paths": ["tests/test_item_detail.py"]})] if run_tests else []
    return [
        Reply(
            [
                tool(
                    "set_phase",
                    {
                        "phase": "design-schema",
                        "summary": "No schema change: items live in memory.",
                    },
                ),
                tool(
                    "set_phase",
                    {
                        "phase": "validation",
                        "summary": "ItemOut covers the response; item_id: int.",
                    },
                ),
            ]
        ),
        Reply(
            [
                tool("set_phase", {"phase": "service", "summary": "Add services.get_item."}),
                tool(
                    "edit_file",
                    {"path": "app/services.py", "old_text": SERVICE_OLD, "new_text": SERVICE_NEW},
                ),
            ]
        ),
        Reply(
            [
                tool("set_phase", {"phase": "route", "summary": "Thin authenticated route."}),
                tool(
                    "edit_file",
                    {"path": "app/main.py", "old_text": ROUTE_OLD, "new_text": ROUTE_NEW},
                ),
            ]
        ),
        Reply(
            [
                tool("set_phase", {"phase": "tests", "summary": "Happy path, 404 and 401."}),
                tool(
                    "write_file",
                    {"path": "tests/test_item_detail.py", "content": test_file(missing_status)},
                ),
                *test_calls,
            ]
        ),
    ]


def finish() -> list[Reply]:
    """document -> verify."""
    return [
        Reply(
            [
                tool(
                    "set_phase",
                    {
                        "phase": "document",
                        "summary": "Added GET /items/{item_id} behind require_user, with the "
                        "lookup in services.get_item and tests for 200, 404 and 401.",
                    },
                )
            ]
        ),
        Reply([text("Verifying."), tool("set_phase", {"phase": "verify"})]),
    ]


def full_run(docs_url: str) -> list[Reply]:
    """The whole task, every phase, ending with a passing verify."""
    return [*until_research(docs_url), *implement(), *finish()]
