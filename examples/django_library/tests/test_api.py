from datetime import timedelta

from django.utils import timezone

from catalog.models import Loan


def test_api_requires_login(api_client):
    assert api_client.get("/api/books/").status_code == 403


def test_api_root(api_client, member):
    api_client.force_authenticate(member.user)
    assert "books" in api_client.get("/api/").json()


def test_books_are_paginated(api_client, member, book):
    api_client.force_authenticate(member.user)
    body = api_client.get("/api/books/").json()
    assert body["count"] == 1
    assert body["results"][0]["title"] == "A Wizard of Earthsea"
    assert body["next"] is None


def test_book_crud(api_client, member, book):
    api_client.force_authenticate(member.user)
    created = api_client.post(
        "/api/books/",
        {"title": "The Dispossessed", "isbn": "9780061054884", "author": book.author_id},
        format="json",
    )
    assert created.status_code == 201
    book_id = created.json()["id"]
    assert api_client.get(f"/api/books/{book_id}/").json()["isbn"] == "9780061054884"
    updated = api_client.put(
        f"/api/books/{book_id}/",
        {"title": "The Dispossessed", "isbn": "9780061054884", "author": book.author_id},
        format="json",
    )
    assert updated.status_code == 200
    patched = api_client.patch(f"/api/books/{book_id}/", {"copies_total": 3}, format="json")
    assert patched.json()["copies_total"] == 3
    assert api_client.delete(f"/api/books/{book_id}/").status_code == 204


def test_book_search_by_title_and_isbn(api_client, member, book):
    api_client.force_authenticate(member.user)
    by_title = api_client.get("/api/search/books/", {"q": "Earthsea"}).json()
    by_isbn = api_client.get("/api/search/books/", {"q": "9780547773742"}).json()
    assert [b["id"] for b in by_title] == [book.pk] == [b["id"] for b in by_isbn]


def test_member_search(api_client, member):
    response = api_client.get("/api/members/search/", {"q": "Love"})
    assert response.json() == [{"id": member.pk, "name": "Ada Lovelace"}]


def test_member_detail(api_client, member):
    api_client.force_authenticate(member.user)
    assert api_client.get(f"/api/members/{member.pk}/").json()["card_number"] == "C-0001"


def test_checkout_and_return(api_client, member, book):
    api_client.force_authenticate(member.user)
    checkout = api_client.post(
        "/api/loans/checkout/", {"member_id": member.pk, "book_id": book.pk}, format="json"
    )
    assert checkout.status_code == 201
    book.refresh_from_db()
    assert book.copies_available == 0
    again = api_client.post(
        "/api/loans/checkout/", {"member_id": member.pk, "book_id": book.pk}, format="json"
    )
    assert again.status_code == 409
    loan_id = checkout.json()["id"]
    returned = api_client.post(f"/api/loans/{loan_id}/return/")
    assert returned.status_code == 200
    book.refresh_from_db()
    assert book.copies_available == 1


def test_overdue_loans(api_client, member, book):
    Loan.objects.create(member=member, book=book, due_at=timezone.now() - timedelta(days=3))
    Loan.objects.create(member=member, book=book, due_at=timezone.now() + timedelta(days=3))
    api_client.force_authenticate(member.user)
    overdue = api_client.get("/api/loans/overdue/").json()
    assert len(overdue) == 1

