from conftest import auth_headers


def test_catalogue_needs_login(client, make_product):
    make_product()
    assert client.get("/products").status_code == 401


def test_list_products_is_paginated(client, customer, make_product):
    for n in range(5):
        make_product(sku=f"SKU-{n}", name=f"Item {n}")
    response = client.get(
        "/products", params={"limit": 2, "offset": 1}, headers=auth_headers(customer)
    )
    assert response.status_code == 200
    assert [p["sku"] for p in response.json()] == ["SKU-1", "SKU-2"]


def test_list_products_rejects_huge_pages(client, customer):
    response = client.get("/products", params={"limit": 5000}, headers=auth_headers(customer))
    assert response.status_code == 422


def test_get_product(client, customer, make_product):
    product = make_product()
    response = client.get(f"/products/{product.id}", headers=auth_headers(customer))
    assert response.status_code == 200
    assert response.json()["name"] == "Coffee mug"


def test_search_products_by_name(client, customer, make_product):
    make_product(sku="MUG-01", name="Coffee mug")
    make_product(sku="TEA-01", name="Teapot")
    response = client.get("/products/search", params={"q": "mug"}, headers=auth_headers(customer))
    assert response.status_code == 200
    assert [p["sku"] for p in response.json()] == ["MUG-01"]


def test_create_product_as_admin(client, admin):
    payload = {"sku": "PEN-01", "name": "Pen", "price_cents": 250, "stock": 3}
    response = client.post("/products", json=payload, headers=auth_headers(admin))
    assert response.status_code == 201
    assert response.json()["currency"] == "EUR"


def test_create_product_rejects_duplicate_sku(client, admin, make_product):
    make_product(sku="PEN-01")
    payload = {"sku": "PEN-01", "name": "Pen", "price_cents": 250}
    response = client.post("/products", json=payload, headers=auth_headers(admin))
    assert response.status_code == 409
    assert response.json()["detail"] == "A product with this SKU already exists"


def test_customers_cannot_create_products(client, customer):
    payload = {"sku": "PEN-01", "name": "Pen", "price_cents": 250}
    assert client.post("/products", json=payload, headers=auth_headers(customer)).status_code == 403


def test_update_product_price(client, admin, make_product):
    product = make_product()
    response = client.patch(
        f"/products/{product.id}", json={"price_cents": 1500}, headers=auth_headers(admin)
    )
    assert response.status_code == 200
    assert response.json()["price_cents"] == 1500


def test_delete_product(client, admin, make_product):
    product = make_product()
    response = client.delete(f"/products/{product.id}", headers=auth_headers(admin))
    assert response.status_code == 204
    assert client.get(f"/products/{product.id}", headers=auth_headers(admin)).status_code == 404
