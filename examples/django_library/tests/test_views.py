from django.test import Client
from django.urls import reverse


def test_health_is_public():
    assert Client().get("/health/").json() == {"status": "ok"}


def test_dashboard_redirects_anonymous():
    response = Client().get(reverse("catalog:dashboard"))
    assert response.status_code == 302


def test_dashboard_counts_loans(member):
    client = Client()
    client.force_login(member.user)
    assert client.get(reverse("catalog:dashboard")).json() == {"open_loans": 0, "total_loans": 0}


def test_member_card(member):
    response = Client().get(f"/catalog/members/{member.pk}/card/")
    assert response.json() == {"name": "Ada Lovelace", "card_number": "C-0001"}
