from conftest import auth_headers


def test_admin_routes_refuse_customers(client, customer):
    assert client.get("/admin/users", headers=auth_headers(customer)).status_code == 403


def test_list_users(client, admin, customer):
    response = client.get("/admin/users", headers=auth_headers(admin))
    assert response.status_code == 200
    assert {u["email"] for u in response.json()} == {admin.email, customer.email}


def test_user_detail(client, admin, customer):
    response = client.get(f"/admin/users/{customer.id}", headers=auth_headers(admin))
    assert response.status_code == 200
    assert response.json()["email"] == customer.email


def test_low_stock_report(client, admin, make_product):
    make_product(sku="A", name="Almost gone", stock=1)
    make_product(sku="B", name="Plenty", stock=100)
    response = client.get(
        "/admin/reports/low-stock", params={"threshold": 5}, headers=auth_headers(admin)
    )
    assert response.status_code == 200
    assert [row["sku"] for row in response.json()] == ["A"]


def test_import_products(client, admin, make_product):
    make_product(sku="MUG-01", price_cents=1200)
    feed = [
        {"sku": "MUG-01", "name": "Coffee mug", "price_cents": 1300},
        {"sku": "CUP-01", "name": "Tea cup", "price_cents": 900, "stock": 12},
    ]
    response = client.post("/admin/products/import", json=feed, headers=auth_headers(admin))
    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 1}


def test_stats(client, admin, customer, make_product):
    make_product()
    response = client.get("/admin/stats", headers=auth_headers(admin))
    assert response.status_code == 200
    assert response.json() == {"products": 1, "orders": 0, "users": 2}
