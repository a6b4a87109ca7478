"""Catalogue: listing, search, stock and staff edits."""

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Order, Product, User
from app.schemas import ProductIn, StockLevel

logger = logging.getLogger(__name__)


class DuplicateSkuError(Exception):
    """A product with this SKU already exists."""


def list_products(db: Session, limit: int, offset: int) -> Sequence[Product]:
    """One page of the catalogue, by name."""
    query = select(Product).order_by(Product.name, Product.id).limit(limit).offset(offset)
    return db.scalars(query).all()


def get_product(db: Session, product_id: int) -> Product | None:
    """Look a product up by id."""
    return db.get(Product, product_id)


def search_products(db: Session, term: str, limit: int) -> list[dict[str, Any]]:
    """Products whose name contains the term."""
    sql = (
        "SELECT id, sku, name, description, price_cents, currency, stock FROM products "
        f"WHERE name LIKE '%{term}%' ORDER BY name LIMIT :limit"
    )
    rows = db.execute(text(sql), {"limit": limit}).mappings()
    return [dict(row) for row in rows]


def low_stock(db: Session, threshold: int, limit: int) -> list[StockLevel]:
    """Products whose stock is below the threshold, emptiest first."""
    sql = text(
        "SELECT id, sku, name, stock FROM products "
        "WHERE stock < :threshold ORDER BY stock, id LIMIT :limit"
    )
    rows = db.execute(sql, {"threshold": threshold, "limit": limit}).mappings()
    return [StockLevel(**row) for row in rows]


def create_product(db: Session, data: ProductIn, actor: User) -> Product:
    """Add a product to the catalogue."""
    product = Product(**data.model_dump())
    try:
        with db.begin():
            db.add(product)
    except IntegrityError as exc:
        raise DuplicateSkuError(data.sku) from exc
    logger.info("product created", extra={"product_id": product.id, "actor_id": actor.id})
    return product


def update_product(db: Session, product_id: int, changes: dict[str, Any]) -> Product | None:
    """Apply a partial update sent by the back office."""
    with db.begin():
        product = db.get(Product, product_id)
        if product is None:
            return None
        for field, value in changes.items():
            setattr(product, field, value)
    logger.info("product updated", extra={"product_id": product_id, "fields": sorted(changes)})
    return product


def remove_product(db: Session, product_id: int) -> bool:
    """Delete a product; False when it does not exist."""
    with db.begin():
        product = db.get(Product, product_id)
        if product is None:
            return False
        db.delete(product)
    return True


def import_products(db: Session, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Create or update products by SKU from a supplier feed; returns (created, updated)."""
    created = updated = 0
    with db.begin():
        for row in rows:
            product = db.scalar(select(Product).where(Product.sku == row["sku"]))
            if product is None:
                db.add(Product(**row))
                created += 1
            else:
                for field, value in row.items():
                    setattr(product, field, value)
                updated += 1
    logger.info("products imported", extra={"created": created, "updated": updated})
    return created, updated


def shop_stats(db: Session) -> dict[str, int]:
    """Headline numbers for the back office."""
    return {
        "products": db.scalar(select(func.count(Product.id))) or 0,
        "orders": db.scalar(select(func.count(Order.id))) or 0,
        "users": db.scalar(select(func.count(User.id))) or 0,
    }
