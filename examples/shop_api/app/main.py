"""The FastAPI application: routers, their prefixes and guards."""

from fastapi import Depends, FastAPI
from slowapi import _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded

from app.deps import get_current_user
from app.limiter import limiter
from app.routers import admin, auth, files, health, orders, products, users

app = FastAPI(title="Shop API", version="1.4.0", debug=True)
app.state.limiter = limiter
app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)

app.include_router(health.router, tags=["health"])
app.include_router(auth.router, prefix="/auth", tags=["auth"])
app.include_router(users.router, prefix="/users", tags=["users"])
app.include_router(
    products.router,
    prefix="/products",
    tags=["products"],
    dependencies=[Depends(get_current_user)],
)
app.include_router(orders.router, prefix="/orders", tags=["orders"])
app.include_router(files.router, prefix="/files", tags=["files"])
app.include_router(admin.router, prefix="/admin", tags=["admin"])
