"""Orders: placing, listing and cancelling."""

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Order, OrderItem, Product, User
from app.schemas import OrderIn

logger = logging.getLogger(__name__)


class OrderError(Exception):
    """An order cannot be placed or changed as asked."""


class OutOfStockError(OrderError):
    """A product does not have enough stock for the order."""


class OrderStateError(OrderError):
    """The order's status does not allow this change."""


def place_order(db: Session, user: User, data: OrderIn) -> Order:
    """Reserve stock and create the order with its lines in one transaction."""
    with db.begin():
        order = Order(user_id=user.id, status="pending", total_cents=0)
        for line in data.items:
            product = db.get(Product, line.product_id, with_for_update=True)
            if product is None:
                raise OrderError(f"Unknown product {line.product_id}")
            if product.stock < line.quantity:
                raise OutOfStockError(product.sku)
            product.stock -= line.quantity
            order.items.append(
                OrderItem(
                    product_id=product.id,
                    quantity=line.quantity,
                    unit_price_cents=product.price_cents,
                )
            )
            order.total_cents += product.price_cents * line.quantity
        db.add(order)
    logger.info("order placed", extra={"order_id": order.id, "user_id": user.id})
    return order


def list_orders_for_user(db: Session, user: User, limit: int, offset: int) -> Sequence[Order]:
    """One page of a user's orders, newest first."""
    query = (
        select(Order)
        .where(Order.user_id == user.id)
        .order_by(Order.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return db.scalars(query).all()


def get_order_for_user(db: Session, user: User, order_id: int) -> Order | None:
    """The user's own order with this id, or None."""
    return db.scalar(select(Order).where(Order.id == order_id, Order.user_id == user.id))


def cancel_order(db: Session, user: User, order_id: int) -> Order | None:
    """Cancel a pending order and put its items back in stock."""
    order = get_order_for_user(db, user, order_id)
    if order is None:
        return None
    if order.status != "pending":
        raise OrderStateError(order.status)
    order.status = "cancelled"
    db.commit()
    for item in order.items:
        item.product.stock += item.quantity
    db.commit()
    logger.info("order cancelled", extra={"order_id": order.id, "user_id": user.id})
    return order
