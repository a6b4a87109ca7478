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


# --- the same workflow on examples/shop_api ---------------------------------------------------

SHOP_TASK = "Add GET /products/count returning how many products the catalogue holds, with tests"

SHOP_SCHEMA_OLD = """class StockLevel(BaseModel):
    id: int
    sku: str
    name: str
    stock: int
"""
SHOP_SCHEMA_NEW = (
    SHOP_SCHEMA_OLD
    + """

class ProductCount(BaseModel):
    count: int = Field(ge=0)
"""
)

SHOP_SERVICE_OLD = '''def get_product(db: Session, product_id: int) -> Product | None:
    """Look a product up by id."""
    return db.get(Product, product_id)
'''
SHOP_SERVICE_NEW = (
    SHOP_SERVICE_OLD
    + '''

def count_products(db: Session) -> int:
    """How many products the catalogue holds."""
    return db.scalar(select(func.count()).select_from(Product)) or 0
'''
)

SHOP_ROUTE_OLD = '@router.get("/{product_id}", response_model=ProductOut)\n'
SHOP_ROUTE_NEW = (
    '''@router.get("/count")
def count_products(db: DbSession) -> ProductCount:
    """How many products the catalogue holds (declared before /{product_id})."""
    return ProductCount(count=products_service.count_products(db))


'''
    + SHOP_ROUTE_OLD
)

SHOP_TESTS = """from conftest import auth_headers


def test_count_needs_login(client):
    assert client.get("/products/count").status_code == 401


def test_count_products(client, customer, make_product):
    for n in range(3):
        make_product(sku=f"SKU-{n}", name=f"Item {n}")
    response = client.get("/products/count", headers=auth_headers(customer))
    assert response.status_code == 200
    assert response.json() == {"count": 3}


def test_count_of_empty_catalogue(client, customer):
    response = client.get("/products/count", headers=auth_headers(customer))
    assert response.json() == {"count": 0}
"""


def shop_full_run(docs_url: str) -> list[Reply]:
    """A count endpoint for shop_api through all ten phases, ending with a passing verify."""
    return [
        Reply(
            [
                text("First, what is being asked."),
                tool(
                    "set_phase",
                    {"phase": "analyze", "summary": "Read-only count for logged-in users."},
                ),
            ]
        ),
        Reply(
            [
                tool(
                    "set_phase", {"phase": "review-context", "summary": "Products router/service."}
                ),
                tool("list_files", {"path": "app"}),
                tool("read_file", {"path": "app/routers/products.py"}),
                tool("read_file", {"path": "app/services/products.py"}),
                tool("search_code", {"pattern": "class StockLevel", "glob": "*.py"}),
            ]
        ),
        Reply([tool("set_phase", {"phase": "research"}), tool("fetch_url", {"url": docs_url})]),
        Reply(
            [
                tool(
                    "record_note",
                    {
                        "topic": "FastAPI path operation order",
                        "title": "Fixed paths before path parameters",
                        "content": "Declare /products/count before /products/{product_id}, "
                        "or the parameter route captures it and answers 422.",
                        "sources": [docs_url],
                    },
                ),
                tool(
                    "record_note",
                    {
                        "kind": "decision",
                        "topic": "Typed count response",
                        "content": "Return a ProductCount model rather than a bare dict.",
                    },
                ),
            ]
        ),
        Reply([tool("set_phase", {"phase": "design-schema", "summary": "No schema change."})]),
        Reply(
            [
                tool("set_phase", {"phase": "validation", "summary": "ProductCount response."}),
                tool(
                    "edit_file",
                    {
                        "path": "app/schemas.py",
                        "old_text": SHOP_SCHEMA_OLD,
                        "new_text": SHOP_SCHEMA_NEW,
                    },
                ),
            ]
        ),
        Reply(
            [
                tool(
                    "set_phase", {"phase": "service", "summary": "count_products in the service."}
                ),
                tool(
                    "edit_file",
                    {
                        "path": "app/services/products.py",
                        "old_text": SHOP_SERVICE_OLD,
                        "new_text": SHOP_SERVICE_NEW,
                    },
                ),
            ]
        ),
        Reply(
            [
                tool("set_phase", {"phase": "route", "summary": "GET /products/count."}),
                tool(
                    "edit_file",
                    {
                        "path": "app/routers/products.py",
                        "old_text": "from app.schemas import ProductIn, ProductOut\n",
                        "new_text": "from app.schemas import ProductCount, ProductIn, ProductOut\n",
                    },
                ),
                tool(
                    "edit_file",
                    {
                        "path": "app/routers/products.py",
                        "old_text": SHOP_ROUTE_OLD,
                        "new_text": SHOP_ROUTE_NEW,
                    },
                ),
                tool("run_checks", {"paths": ["app/routers/products.py"]}),
            ]
        ),
        Reply(
            [
                tool(
                    "set_phase", {"phase": "tests", "summary": "401, a count and an empty count."}
                ),
                tool("write_file", {"path": "tests/test_product_count.py", "content": SHOP_TESTS}),
                tool("run_tests", {"paths": ["tests/test_product_count.py"]}),
            ]
        ),
        Reply(
            [
                tool(
                    "set_phase",
                    {
                        "phase": "document",
                        "summary": "GET /products/count returns ProductCount from "
                        "products_service.count_products; it sits behind the router-wide login.",
                    },
                )
            ]
        ),
        Reply([tool("set_phase", {"phase": "verify"})]),
    ]
