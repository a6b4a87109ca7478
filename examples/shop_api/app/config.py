"""Settings read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of the service."""

    database_url: str
    secret_key: str
    upload_dir: Path
    jwt_algorithm: str = "HS256"
    access_token_minutes: int = 30
    max_upload_bytes: int = 2 * 1024 * 1024
    password_iterations: int = 390_000
    rate_limit_enabled: bool = True


def load_settings() -> Settings:
    """Build the settings from SHOP_* environment variables."""
    return Settings(
        database_url=os.environ.get("SHOP_DATABASE_URL", "sqlite:///./shop.db"),
        secret_key=os.environ.get("SHOP_SECRET_KEY", "dev-only-secret-change-me"),
        upload_dir=Path(os.environ.get("SHOP_UPLOAD_DIR", "./uploads")),
        access_token_minutes=int(os.environ.get("SHOP_ACCESS_TOKEN_MINUTES", "30")),
        password_iterations=int(os.environ.get("SHOP_PASSWORD_ITERATIONS", "390000")),
        rate_limit_enabled=_flag("SHOP_RATE_LIMIT_ENABLED", True),
    )


settings = load_settings()
