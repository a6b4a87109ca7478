"""Business logic; routers call these and never touch the session themselves."""
