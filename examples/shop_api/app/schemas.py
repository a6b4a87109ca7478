"""Request and response models (pydantic v2)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ORMModel(BaseModel):
    """Base for response models read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class SignupIn(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=255)
    full_name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=10, max_length=128)


class LoginIn(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=255)
    password: str = Field(min_length=1, max_length=128)


class RefreshIn(BaseModel):
    token: str = Field(min_length=1, max_length=4096)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class UserOut(ORMModel):
    id: int
    email: str
    full_name: str
    is_active: bool
    is_admin: bool


class UserPublic(ORMModel):
    id: int
    full_name: str


class UserUpdate(BaseModel):
    full_name: str = Field(min_length=1, max_length=120)


class AdminUserDetail(UserOut):
    """Everything support staff see about an account."""

    created_at: datetime
    password_hash: str


class ProductIn(BaseModel):
    sku: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    price_cents: int = Field(gt=0)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    stock: int = Field(default=0, ge=0)


class ProductOut(ORMModel):
    id: int
    sku: str
    name: str
    description: str | None
    price_cents: int
    currency: str
    stock: int


class StockLevel(BaseModel):
    id: int
    sku: str
    name: str
    stock: int


class OrderItemIn(BaseModel):
    product_id: int
    quantity: int = Field(ge=1, le=100)


class OrderIn(BaseModel):
    items: list[OrderItemIn] = Field(min_length=1, max_length=50)


class OrderItemOut(ORMModel):
    product_id: int
    quantity: int
    unit_price_cents: int


class OrderOut(ORMModel):
    id: int
    status: str
    total_cents: int
    created_at: datetime
    items: list[OrderItemOut]


class FileOut(ORMModel):
    id: int
    kind: str
    original_name: str
    content_type: str
    size_bytes: int
    created_at: datetime


class ImportResult(BaseModel):
    created: int
    updated: int
