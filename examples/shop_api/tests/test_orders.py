from conftest import auth_headers


def _place(client, user, product, quantity=2):
    return client.post(
        "/orders",
        json={"items": [{"product_id": product.id, "quantity": quantity}]},
        headers=auth_headers(user),
    )


def test_place_order_reserves_stock(client, customer, make_product):
    product = make_product(stock=5, price_cents=1200)
    response = _place(client, customer, product, quantity=2)
    assert response.status_code == 201
    assert response.json()["total_cents"] == 2400
    stock = client.get(f"/products/{product.id}", headers=auth_headers(customer)).json()["stock"]
    assert stock == 3


def test_place_order_out_of_stock(client, customer, make_product):
    product = make_product(stock=1)
    response = _place(client, customer, product, quantity=2)
    assert response.status_code == 409
    assert response.json()["detail"] == "Not enough stock for one of the items"


def test_list_orders_is_paginated(client, customer, make_product):
    product = make_product(stock=50)
    for _ in range(3):
        _place(client, customer, product, quantity=1)
    response = client.get("/orders", params={"limit": 2}, headers=auth_headers(customer))
    assert response.status_code == 200
    assert len(response.json()) == 2


def test_get_order_of_someone_else_is_hidden(client, customer, make_user, make_product):
    order_id = _place(client, customer, make_product()).json()["id"]
    other = make_user("eve@example.com")
    assert client.get(f"/orders/{order_id}", headers=auth_headers(other)).status_code == 404
    assert client.get(f"/orders/{order_id}", headers=auth_headers(customer)).status_code == 200


def test_order_items(client, customer, make_product):
    product = make_product()
    order_id = _place(client, customer, product, quantity=3).json()["id"]
    response = client.get(f"/orders/{order_id}/items", headers=auth_headers(customer))
    assert response.status_code == 200
    assert response.json()[0]["quantity"] == 3


def test_cancel_order_restocks(client, customer, make_product):
    product = make_product(stock=4)
    order_id = _place(client, customer, product, quantity=4).json()["id"]
    response = client.post(f"/orders/{order_id}/cancel", headers=auth_headers(customer))
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    stock = client.get(f"/products/{product.id}", headers=auth_headers(customer)).json()["stock"]
    assert stock == 4
    again = client.post(f"/orders/{order_id}/cancel", headers=auth_headers(customer))
    assert again.status_code == 409
