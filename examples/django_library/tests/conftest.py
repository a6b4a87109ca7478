"""Test setup without pytest-django: configure Django, build an in-memory test database."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "library_site.settings")

import django  # noqa: E402
from django.conf import settings  # noqa: E402

_old_db_name = None


def pytest_configure(config):
    """Set Django up once and migrate a fresh test database."""
    global _old_db_name
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    _old_db_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)


def pytest_unconfigure(config):
    from django.db import connection
    from django.test.utils import teardown_test_environment

    connection.creation.destroy_test_db(_old_db_name, verbosity=0)
    teardown_test_environment()


@pytest.fixture(autouse=True)
def _rollback():
    """Run every test inside a transaction that is rolled back afterwards."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def member():
    from django.contrib.auth.models import User

    from catalog.models import Member

    user = User.objects.create_user(
        "ada", password="pw-for-tests", first_name="Ada", last_name="Lovelace"
    )
    return Member.objects.create(user=user, card_number="C-0001", api_key="k" * 40)


@pytest.fixture
def book():
    from catalog.models import Author, Book

    author = Author.objects.create(name="Ursula K. Le Guin")
    return Book.objects.create(
        title="A Wizard of Earthsea", isbn="9780547773742", author=author, copies_available=1
    )
