"""Test setup: a throwaway SQLite file, fast password hashing, rate limits off."""

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# The service is configured from the environment, so this must run before `app` is imported.
_WORKDIR = Path(tempfile.mkdtemp(prefix="shop-api-tests-"))
os.environ["SHOP_DATABASE_URL"] = f"sqlite:///{_WORKDIR / 'test.db'}"
os.environ["SHOP_UPLOAD_DIR"] = str(_WORKDIR / "uploads")
os.environ["SHOP_SECRET_KEY"] = "test-secret-key-with-enough-length-for-hs256"
os.environ["SHOP_PASSWORD_ITERATIONS"] = "1000"
os.environ["SHOP_RATE_LIMIT_ENABLED"] = "0"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.db import Base, SessionLocal, engine  # noqa: E402
from app.main import app  # noqa: E402
from app.models import Product, User  # noqa: E402
from app.security import create_access_token, hash_password  # noqa: E402


def pytest_sessionfinish(session, exitstatus):
    """Remove the throwaway database and uploads."""
    engine.dispose()
    shutil.rmtree(_WORKDIR, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _schema() -> Iterator[None]:
    """Create the tables once for the whole run."""
    Base.metadata.create_all(engine)
    yield
    Base.metadata.drop_all(engine)


@pytest.fixture(autouse=True)
def _empty_tables() -> Iterator[None]:
    """Give every test empty tables."""
    yield
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def db() -> Iterator[Session]:
    with SessionLocal() as session:
        yield session


@pytest.fixture
def make_user(db: Session):
    """Create a user straight in the database."""

    def _make(
        email: str = "ada@example.com",
        password: str = "correct horse battery",
        *,
        is_admin: bool = False,
        full_name: str = "Ada Lovelace",
    ) -> User:
        user = User(
            email=email,
            full_name=full_name,
            password_hash=hash_password(password),
            is_admin=is_admin,
        )
        with db.begin():
            db.add(user)
        return user

    return _make


@pytest.fixture
def make_product(db: Session):
    """Create a product straight in the database."""

    def _make(
        sku: str = "MUG-01", name: str = "Coffee mug", price_cents: int = 1200, stock: int = 10
    ):
        product = Product(sku=sku, name=name, price_cents=price_cents, stock=stock)
        with db.begin():
            db.add(product)
        return product

    return _make


def auth_headers(user: User) -> dict[str, str]:
    """Authorization header carrying a valid token for the user."""
    return {"Authorization": f"Bearer {create_access_token(str(user.id))}"}


@pytest.fixture
def customer(make_user) -> User:
    return make_user()


@pytest.fixture
def admin(make_user) -> User:
    return make_user("staff@example.com", is_admin=True, full_name="Grace Hopper")
