"""HTTP routes."""

from fastapi import Depends, FastAPI, Header, HTTPException

from app import services
from app.schemas import ItemOut

app = FastAPI()


def require_user(authorization: str = Header(default="")) -> str:
    """The caller's user name, from the bearer token."""
    if authorization != "Bearer test-token":
        raise HTTPException(status_code=401, detail="not authenticated")
    return "alice"


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items", response_model=list[ItemOut])
def list_items(
    limit: int = 20, offset: int = 0, user: str = Depends(require_user)
) -> list[ItemOut]:
    return services.list_items(limit=limit, offset=offset)
