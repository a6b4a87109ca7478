from conftest import auth_headers


def test_upload_avatar(client, customer):
    response = client.post(
        "/files/avatar",
        files={"file": ("me.png", b"\x89PNG fake image", "image/png")},
        headers=auth_headers(customer),
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "avatar"


def test_upload_document(client, customer):
    response = client.post(
        "/files/documents",
        files={"file": ("invoice.pdf", b"%PDF-1.7 tiny", "application/pdf")},
        headers=auth_headers(customer),
    )
    assert response.status_code == 201
    assert response.json()["size_bytes"] == len(b"%PDF-1.7 tiny")


def test_upload_document_rejects_unknown_type(client, customer):
    response = client.post(
        "/files/documents",
        files={"file": ("tool.exe", b"MZ", "application/x-msdownload")},
        headers=auth_headers(customer),
    )
    assert response.status_code == 415


def test_upload_document_rejects_large_file(client, customer):
    too_big = b"x" * (2 * 1024 * 1024 + 1)
    response = client.post(
        "/files/documents",
        files={"file": ("big.txt", too_big, "text/plain")},
        headers=auth_headers(customer),
    )
    assert response.status_code == 413


def test_list_files(client, customer):
    client.post(
        "/files/documents",
        files={"file": ("a.txt", b"hello", "text/plain")},
        headers=auth_headers(customer),
    )
    response = client.get("/files", headers=auth_headers(customer))
    assert response.status_code == 200
    assert [f["original_name"] for f in response.json()] == ["a.txt"]
