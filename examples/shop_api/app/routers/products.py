"""The catalogue. Mounted with a router-wide login requirement in app.main."""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status

from app.deps import AdminUser, DbSession, require_admin
from app.schemas import ProductIn, ProductOut
from app.services import products as products_service

logger = logging.getLogger(__name__)

router = APIRouter()


@router.get("", response_model=list[ProductOut])
def list_products(
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    """The catalogue, one page at a time."""
    return products_service.list_products(db, limit=limit, offset=offset)


@router.get("/search")
def search_products(
    db: DbSession,
    q: Annotated[str, Query(min_length=2, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> list[ProductOut]:
    """Products whose name contains the search term."""
    rows = products_service.search_products(db, q, limit=limit)
    return [ProductOut.model_validate(row) for row in rows]


@router.get("/{product_id}", response_model=ProductOut)
def get_product(product_id: int, db: DbSession):
    """One product."""
    product = products_service.get_product(db, product_id)
    if product is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Product not found")
    return product


@router.post("", response_model=ProductOut, status_code=status.HTTP_201_CREATED)
def create_product(payload: ProductIn, admin: AdminUser, db: DbSession):
    """Add a product (staff only)."""
    try:
        return products_service.create_product(db, payload, actor=admin)
    except products_service.DuplicateSkuError:
        logger.warning("duplicate sku rejected", extra={"sku": payload.sku, "actor_id": admin.id})
        raise HTTPException(
            status.HTTP_409_CONFLICT, "A product with this SKU already exists"
        ) from None


@router.patch("/{product_id}", response_model=ProductOut, dependencies=[Depends(require_admin)])
def update_product(product_id: int, changes: dict, db: DbSession):
    """Change some fields of a product (staff only)."""
    product = products_service.update_product(db, product_id, changes)
    if product is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Product not found")
    return product


@router.delete(
    "/{product_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[Depends(require_admin)]
)
def delete_product(product_id: int, db: DbSession) -> Response:
    """Remove a product from the catalogue (staff only)."""
    if not products_service.remove_product(db, product_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Product not found")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
