"""Business logic for items; routes stay thin."""

import logging

from app.schemas import ItemOut

log = logging.getLogger("mini_api.items")

ITEMS: list[ItemOut] = [ItemOut(id=i, name=f"item {i}") for i in range(1, 6)]


def list_items(limit: int, offset: int) -> list[ItemOut]:
    """One page of items."""
    return ITEMS[offset : offset + limit]
