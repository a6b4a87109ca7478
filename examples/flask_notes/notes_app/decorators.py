"""Project view decorators."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let staff through; 401 for anonymous callers, 403 for everyone else."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            abort(401)
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
