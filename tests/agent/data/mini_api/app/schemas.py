"""Request and response models."""

from pydantic import BaseModel


class ItemOut(BaseModel):
    """An item as clients see it."""

    id: int
    name: str
