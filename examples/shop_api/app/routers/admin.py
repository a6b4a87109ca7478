"""Back-office endpoints; every route here needs a staff account."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from app.deps import AdminUser, DbSession, require_admin
from app.schemas import AdminUserDetail, ImportResult, StockLevel, UserOut
from app.services import products as products_service
from app.services import users as users_service

router = APIRouter(dependencies=[Depends(require_admin)])


@router.get("/users", response_model=list[UserOut])
def list_users(db: DbSession):
    """All accounts, for the support team."""
    return users_service.list_all_users(db)


@router.get("/users/{user_id}", response_model=AdminUserDetail)
def get_user_detail(user_id: int, db: DbSession):
    """Everything about one account."""
    user = users_service.get_user(db, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found")
    return user


@router.post("/users/{user_id}/deactivate")
def deactivate_user(user_id: int, admin: AdminUser, db: DbSession) -> UserOut:
    """Stop an account from logging in."""
    user = users_service.deactivate_user(db, user_id, actor=admin)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found")
    return UserOut.model_validate(user)


@router.get("/reports/low-stock")
def low_stock_report(
    db: DbSession,
    threshold: Annotated[int, Query(ge=0, le=10_000)] = 5,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[StockLevel]:
    """Products to reorder soon."""
    return products_service.low_stock(db, threshold=threshold, limit=limit)


@router.post("/products/import")
async def import_products(request: Request, db: DbSession) -> ImportResult:
    """Load the supplier's JSON feed (a list of products) into the catalogue."""
    rows = await request.json()
    created, updated = products_service.import_products(db, rows)
    return ImportResult(created=created, updated=updated)


@router.get("/stats")
def stats(db: DbSession):
    """Headline numbers for the dashboard."""
    return products_service.shop_stats(db)
