"""Placing, listing and cancelling the caller's orders."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.deps import CurrentUser, DbSession
from app.models import Order
from app.schemas import OrderIn, OrderOut
from app.services import orders as orders_service

router = APIRouter()


@router.get("", response_model=list[OrderOut])
def list_orders(
    user: CurrentUser,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    """The caller's orders, newest first, one page at a time."""
    return orders_service.list_orders_for_user(db, user, limit=limit, offset=offset)


@router.post("", response_model=OrderOut, status_code=status.HTTP_201_CREATED)
def create_order(payload: OrderIn, user: CurrentUser, db: DbSession):
    """Place an order for the caller."""
    try:
        return orders_service.place_order(db, user, payload)
    except orders_service.OutOfStockError:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "Not enough stock for one of the items"
        ) from None
    except orders_service.OrderError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "Unknown product in order"
        ) from None
    except SQLAlchemyError as e:
        raise HTTPException(status_code=500, detail=str(e))


@router.get("/{order_id}", response_model=OrderOut)
def get_order(order_id: int, user: CurrentUser, db: DbSession):
    """One of the caller's orders."""
    order = db.scalar(select(Order).where(Order.id == order_id, Order.user_id == user.id))
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Order not found")
    return order


@router.get("/{order_id}/items")
def list_order_items(order_id: int, user: CurrentUser, db: DbSession):
    """The lines of one of the caller's orders."""
    order = orders_service.get_order_for_user(db, user, order_id)
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Order not found")
    return order.items


@router.post("/{order_id}/cancel", response_model=OrderOut)
def cancel_order(order_id: int, user: CurrentUser, db: DbSession):
    """Cancel one of the caller's pending orders."""
    try:
        order = orders_service.cancel_order(db, user, order_id)
    except orders_service.OrderStateError:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "Only pending orders can be cancelled"
        ) from None
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Order not found")
    return order
