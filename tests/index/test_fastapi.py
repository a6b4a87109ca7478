"""FastAPI authentication through dependencies (index/fastapi.py): the verdict, the trail that explains
it, and the condition that leaves a conditionally gated route open. One small project per pattern."""

from __future__ import annotations

_SCHEMES = """
    from fastapi import Depends, HTTPException
    from fastapi.security import OAuth2PasswordBearer

    bearer = OAuth2PasswordBearer(tokenUrl="/token")
    soft_bearer = OAuth2PasswordBearer(tokenUrl="/token", auto_error=False)
"""


def _steps(route) -> list[tuple[str, str, str]]:
    return [(step.kind, step.name, step.verdict) for step in route.auth_trail]


def test_factory_choosing_a_function_by_its_required_flag(routes_of) -> None:
    routes = routes_of({
        "app/__init__.py": "",
        "app/deps.py": _SCHEMES + """
    async def _user(token: str = Depends(bearer)) -> str:
        return token

    async def _user_or_none(token: str | None = Depends(soft_bearer)) -> str | None:
        return token

    def authorizer(*, required: bool = True):
        return _user if required else _user_or_none
""",
        "app/main.py": """
    from fastapi import Depends, FastAPI
    from app.deps import authorizer

    app = FastAPI()

    @app.get("/mine")
    def mine(user: str = Depends(authorizer())):
        return user

    @app.get("/feed")
    def feed(user: str | None = Depends(authorizer(required=False))):
        return []
""",
    })
    mine, feed = routes[("GET", "/mine")], routes[("GET", "/feed")]
    assert mine.auth and mine.auth_state == "authenticated"
    assert _steps(mine) == [("dependency", "parameter user", "authenticates")]
    assert "_user <- Depends(bearer)" in mine.auth_trail[0].reason
    assert (mine.auth_trail[0].file, mine.auth_trail[0].line) == ("app/main.py", 7)
    assert not feed.auth and feed.auth_state == "open" and feed.auth_condition == ""
    assert _steps(feed) == [("dependency", "parameter user", "open")]
    assert "_user_or_none" in feed.auth_trail[0].reason and "auto_error=False" in feed.auth_trail[0].reason


def test_setting_gate_is_conditional_unless_the_project_default_keeps_it_on(routes_of) -> None:
    routes = routes_of({
        "app/__init__.py": "",
        "app/config.py": """
    from pydantic_settings import BaseSettings

    class Settings(BaseSettings):
        AUTH_ENABLED: bool = False
        LOGIN_REQUIRED: bool = True

    settings = Settings()
""",
        "app/main.py": """
    from fastapi import Depends, FastAPI, Header, HTTPException
    from app.config import settings

    app = FastAPI()

    def maybe_auth(authorization: str | None = Header(None)):
        if settings.AUTH_ENABLED:
            if not authorization:
                raise HTTPException(status_code=401)
        return authorization

    def login_gate(authorization: str | None = Header(None)):
        if not settings.LOGIN_REQUIRED:
            return None
        if not authorization:
            raise HTTPException(status_code=401)
        return authorization

    @app.get("/items", dependencies=[Depends(maybe_auth)])
    def items():
        return []

    @app.get("/orders", dependencies=[Depends(login_gate)])
    def orders():
        return []
""",
    })
    items, orders = routes[("GET", "/items")], routes[("GET", "/orders")]
    assert not items.auth and items.auth_state == "conditional"
    assert items.auth_condition == "not settings.AUTH_ENABLED"
    assert _steps(items) == [("dependency", "maybe_auth", "conditional")]
    assert "only when settings.AUTH_ENABLED" in items.auth_trail[0].reason
    assert orders.auth and orders.auth_condition == ""
    assert "settings' defaults" in orders.auth_trail[0].reason


def test_trail_lists_app_router_include_and_parameter_candidates(routes_of) -> None:
    routes = routes_of({
        "app/__init__.py": "",
        "app/deps.py": _SCHEMES + """
    from fastapi import APIRouter

    def get_db():
        yield None

    def audit():
        return None

    def current_user(token: str = Depends(bearer)):
        return token

    class UserRouter(APIRouter):
        def __init__(self, **kwargs):
            super().__init__(dependencies=[Depends(current_user)], **kwargs)
""",
        "app/main.py": """
    from fastapi import APIRouter, Depends, FastAPI
    from app.deps import UserRouter, audit, get_db

    app = FastAPI(dependencies=[Depends(audit)])
    open_router = APIRouter()
    user_router = UserRouter(prefix="/me")

    @open_router.get("/things")
    def things(db=Depends(get_db)):
        return []

    @user_router.get("/profile")
    def profile():
        return {}

    app.include_router(open_router, prefix="/api", dependencies=[Depends(audit)])
    app.include_router(user_router)
""",
    })
    things, profile = routes[("GET", "/api/things")], routes[("GET", "/me/profile")]
    assert not things.auth
    assert _steps(things) == [
        ("router", "audit", "open"), ("include", "audit", "open"), ("dependency", "parameter db", "open"),
    ]
    assert [s.line for s in things.auth_trail] == [4, 16, 9]
    assert profile.auth
    assert _steps(profile) == [("router", "audit", "open"), ("router", "current_user", "authenticates")]
    assert profile.auth_trail[1].file == "app/deps.py"
    assert profile.auth_via == [
        ("router dependencies: Depends(current_user) -> current_user <- Depends(bearer) -> security scheme "
         "OAuth2PasswordBearer")
    ]


def test_callable_instance_with_a_flag_set_by_its_constructor(routes_of) -> None:
    routes = routes_of({"main.py": """
        from fastapi import Depends, FastAPI, Header, HTTPException

        app = FastAPI()

        class TokenChecker:
            def __init__(self, required: bool = True):
                self.required = required

            def __call__(self, x_token: str | None = Header(None)):
                if self.required and not x_token:
                    raise HTTPException(status_code=401)
                return x_token

        @app.get("/strict")
        def strict(token=Depends(TokenChecker())):
            return token

        @app.get("/lenient")
        def lenient(token=Depends(TokenChecker(required=False))):
            return token
    """})
    assert routes[("GET", "/strict")].auth
    assert "TokenChecker.__call__" in routes[("GET", "/strict")].auth_via[0]
    lenient = routes[("GET", "/lenient")]
    assert not lenient.auth and lenient.auth_state == "open"


def test_optional_user_rejects_only_bad_tokens_and_a_gate_on_it_authenticates(routes_of) -> None:
    routes = routes_of({"main.py": _SCHEMES + """
    from fastapi import FastAPI

    app = FastAPI()

    def optional_user(token: str | None = Depends(soft_bearer)):
        if not token:
            return None
        if token == "bad":
            raise HTTPException(status_code=401)
        return token

    def required_user(user: str | None = Depends(optional_user)):
        if user is None:
            raise HTTPException(status_code=401)
        return user

    @app.get("/browse")
    def browse(user=Depends(optional_user)):
        return []

    @app.get("/account")
    def account(user=Depends(required_user)):
        return user
"""})
    assert not routes[("GET", "/browse")].auth
    assert routes[("GET", "/account")].auth


def test_class_based_view_dependencies_and_library_primitives(routes_of) -> None:
    routes = routes_of({"main.py": """
        import uuid
        from fastapi import APIRouter, Depends, FastAPI
        from fastapi_users import FastAPIUsers

        fastapi_users = FastAPIUsers[dict, uuid.UUID](None, [])
        active_user = fastapi_users.current_user(active=True)
        maybe_user = fastapi_users.current_user(optional=True)
        app = FastAPI()
        router = APIRouter()

        def controller(router):
            return lambda cls: cls

        class BaseUserController:
            user: dict = Depends(active_user)

        @controller(router)
        class NotesController(BaseUserController):
            @router.get("/notes")
            def notes(self):
                return []

        @app.get("/public-notes")
        def public_notes(user=Depends(maybe_user)):
            return []

        app.include_router(router)
    """})
    notes = routes[("GET", "/notes")]
    assert notes.auth
    assert _steps(notes) == [("dependency", "BaseUserController.user", "authenticates")]
    assert "fastapi-users" in notes.auth_trail[0].reason
    assert not routes[("GET", "/public-notes")].auth


def test_add_api_route_in_if_loop_and_loader_keeps_a_symbolic_path(routes_of) -> None:
    routes = routes_of({"main.py": """
        from fastapi import FastAPI

        app = FastAPI()
        PLUGINS = ["a", "b"]
        ENABLE_ADMIN = True

        def page():
            return "page"

        def stats():
            return {}

        def load_plugins(target: FastAPI):
            for name in PLUGINS:
                target.add_api_route(f"/plugins/{name}", page)

        if ENABLE_ADMIN:
            app.add_api_route(path="/stats", endpoint=stats, methods=["GET", "POST"])

        load_plugins(app)
    """})
    assert ("GET", "/plugins/{name}") in routes
    assert ("GET,POST", "/stats") in routes


def test_http_middleware_with_an_allow_list_and_an_inline_check_on_an_optional_user(routes_of) -> None:
    routes = routes_of({"main.py": _SCHEMES + """
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse
    from starlette.authentication import requires

    app = FastAPI()
    PUBLIC = ("/health", "/docs")

    @app.middleware("http")
    async def require_token(request: Request, call_next):
        if request.url.path in PUBLIC:
            return await call_next(request)
        if not request.headers.get("Authorization"):
            return JSONResponse({"detail": "unauthorized"}, status_code=401)
        return await call_next(request)

    @app.get("/reports")
    def reports():
        return []

    @app.get("/health")
    def health():
        return "ok"

    api = FastAPI()

    @api.get("/me")
    def me(token: str | None = Depends(soft_bearer)):
        if token is None:
            raise HTTPException(status_code=401)
        return token

    @api.get("/admin")
    @requires("authenticated")
    async def admin(request: Request):
        return {}
"""})
    reports = routes[("GET", "/reports")]
    assert reports.auth and _steps(reports) == [("middleware", "require_token", "authenticates")]
    assert routes[("GET", "/me")].auth
    assert ("inline", "me", "authenticates") in _steps(routes[("GET", "/me")])
    assert routes[("GET", "/admin")].auth
    assert not routes[("GET", "/health")].auth
    assert "allow-list" in routes[("GET", "/health")].auth_trail[0].reason


def test_app_factory_library_router_and_a_dependency_that_calls_a_check(routes_of) -> None:
    routes = routes_of({
        "svc/__init__.py": "",
        "svc/factory.py": """
            from fastapi import FastAPI

            def create_app():
                application = FastAPI()
                return application
        """,
        "svc/security.py": """
            from fastapi import Header, HTTPException

            def verify_token(token: str) -> dict:
                if token != "ok":
                    raise HTTPException(status_code=401)
                return {"sub": token}

            def current_user(authorization: str = Header()) -> dict:
                return verify_token(authorization)

            def try_user(authorization: str | None = Header(None)) -> dict | None:
                if authorization:
                    return verify_token(authorization)
                return None
        """,
        "svc/main.py": """
            from fastapi import Depends
            from fastapi_utils.inferring_router import InferringRouter
            from svc.factory import create_app
            from svc.security import current_user, try_user

            app = create_app()
            router = InferringRouter()

            @app.get("/me")
            def me(user=Depends(current_user)):
                return user

            @router.get("/browse")
            def browse(user=Depends(try_user)):
                return []

            app.include_router(router, prefix="/v1")
        """,
    })
    assert routes[("GET", "/me")].auth
    assert "calls verify_token()" in routes[("GET", "/me")].auth_via[0]
    assert not routes[("GET", "/v1/browse")].auth


def test_settings_read_through_an_injected_settings_object_and_a_scheme_flag(routes_of) -> None:
    routes = routes_of({"main.py": """
        from fastapi import Depends, FastAPI, Header, HTTPException
        from fastapi.security import HTTPBearer
        from pydantic_settings import BaseSettings

        class Settings(BaseSettings):
            auth_enabled: bool = True
            bearer_required: bool = False

        settings = Settings()
        maybe_bearer = HTTPBearer(auto_error=settings.bearer_required)
        app = FastAPI()

        def get_settings() -> Settings:
            return Settings()

        def gate(config: Settings = Depends(get_settings), x_token: str | None = Header(None)):
            if config.auth_enabled and x_token is None:
                raise HTTPException(status_code=401)

        @app.get("/gated", dependencies=[Depends(gate)])
        def gated():
            return []

        @app.get("/bearer", dependencies=[Depends(maybe_bearer)])
        def bearer():
            return []
    """})
    assert routes[("GET", "/gated")].auth
    assert "defaults" in routes[("GET", "/gated")].auth_via[0]
    assert not routes[("GET", "/bearer")].auth
    assert "auto_error=False" in routes[("GET", "/bearer")].auth_trail[0].reason


def test_scheme_subclass_that_checks_in_its_own_call_and_library_primitives(routes_of) -> None:
    routes = routes_of({"main.py": """
        from fastapi import Depends, FastAPI, HTTPException, Request
        from fastapi.security import HTTPBearer
        from supertokens_python.recipe.session.framework.fastapi import verify_session

        app = FastAPI()

        class JWTBearer(HTTPBearer):
            def __init__(self, auto_error: bool = False):
                super().__init__(auto_error=auto_error)

            async def __call__(self, request: Request):
                credentials = await super().__call__(request)
                if not credentials:
                    raise HTTPException(status_code=403, detail="Invalid authorization code.")
                return credentials.credentials

        class SoftBearer(HTTPBearer):
            def __init__(self, auto_error: bool = False):
                super().__init__(auto_error=auto_error)

            async def __call__(self, request: Request):
                credentials = await super().__call__(request)
                if credentials:
                    if credentials.credentials != "ok":
                        raise HTTPException(status_code=403)
                    return credentials.credentials
                return None

        @app.get("/jwt", dependencies=[Depends(JWTBearer())])
        def jwt_route():
            return []

        @app.get("/soft", dependencies=[Depends(SoftBearer())])
        def soft_route():
            return []

        @app.get("/session", dependencies=[Depends(verify_session())])
        def session_route():
            return []

        @app.get("/maybe-session", dependencies=[Depends(verify_session(session_required=False))])
        def maybe_session_route():
            return []
    """})
    assert routes[("GET", "/jwt")].auth
    assert not routes[("GET", "/soft")].auth
    assert routes[("GET", "/session")].auth
    assert not routes[("GET", "/maybe-session")].auth


def test_websocket_closed_with_a_policy_violation_when_the_token_is_bad(routes_of) -> None:
    routes = routes_of({"main.py": """
        from fastapi import FastAPI, WebSocket, status

        app = FastAPI()

        def decode_token(token):
            return token == "ok"

        @app.websocket("/ws")
        async def ws(websocket: WebSocket, token: str | None = None):
            if not decode_token(token):
                await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
                return
            await websocket.accept()

        @app.websocket("/echo")
        async def echo(websocket: WebSocket):
            await websocket.accept()
    """})
    assert routes[("WEBSOCKET", "/ws")].auth
    assert not routes[("WEBSOCKET", "/echo")].auth


def test_dependencies_list_declared_in_another_module(routes_of) -> None:
    routes = routes_of({
        "deps.py": _SCHEMES + """
    def current_user(token: str = Depends(bearer)):
        return token

    AUTH = [Depends(current_user)]
""",
        "main.py": """
    from fastapi import APIRouter, FastAPI
    from deps import AUTH

    app = FastAPI()
    router = APIRouter(dependencies=AUTH)

    @router.get("/private")
    def private():
        return []

    app.include_router(router)
""",
    })
    route = routes[("GET", "/private")]
    assert route.auth and route.auth_trail[0].file == "deps.py"


def test_router_class_made_by_a_typed_project_function(routes_of) -> None:
    routes = routes_of({
        "kit.py": """
            from fastapi import APIRouter as _APIRouter

            def router_class(route_class) -> type[_APIRouter]:
                class _Router(_APIRouter):
                    def __init__(self, **kwargs):
                        super().__init__(route_class=route_class, **kwargs)

                return _Router

            APIRouter = router_class(None)
        """,
        "main.py": """
            from fastapi import FastAPI
            from kit import APIRouter

            app = FastAPI()
            router = APIRouter(prefix="/v1")

            @router.get("/things")
            def things():
                return []

            app.include_router(router)
        """,
    })
    assert ("GET", "/v1/things") in routes


def test_gate_helpers_decide_tests_from_known_values() -> None:
    from backcheck.index import fastapi_gates as gates
    from backcheck.index.facts import Test

    required = Test("required", ["required"], False)
    assert gates.holds(required, {"required": True}) is True
    assert gates.holds(Test("required", ["required"], True), {"required": True}) is False
    assert gates.holds(Test("self.mode == 'strict'", ["self.mode"], False), {"self.mode": "strict"}) is True
    assert gates.holds(required, {}) is None
    assert gates.needs_credential(Test("token", ["token"], False), {"token"})
    assert gates.needs_credential(Test("not token", ["token"], True), {"token"})
    assert gates.needs_credential(Test("token is None", ["token"], True), {"token"})
    assert not gates.needs_credential(Test("token is None", ["token"], False), {"token"})
    assert gates.lacks_credential(Test("not token", ["token"], False), {"token"})
    parts = gates.conjuncts(Test("settings.AUTH and not token", ["settings.AUTH", "settings", "token"], False))
    assert [p.text for p in parts] == ["settings.AUTH", "not token"]
    assert gates.roots(parts[0]) == {"settings"}
    assert gates.negate("not settings.AUTH") == "settings.AUTH"
    assert gates.negate("a and b") == "not (a and b)"
    assert gates.gate_text([Test("DEBUG", ["DEBUG"], True)]) == "not DEBUG"


def test_setting_read_through_a_settings_getter(routes_of) -> None:
    routes = routes_of({"main.py": """
        from functools import lru_cache
        from fastapi import Depends, FastAPI, Header, HTTPException
        from pydantic_settings import BaseSettings

        class Settings(BaseSettings):
            AUTH_ENABLED: bool = False

        @lru_cache
        def get_settings():
            return Settings()

        app = FastAPI()

        def gate(x_token: str | None = Header(None)):
            if get_settings().AUTH_ENABLED and x_token is None:
                raise HTTPException(status_code=401)

        @app.get("/items", dependencies=[Depends(gate)])
        def items():
            return []
    """})
    route = routes[("GET", "/items")]
    assert route.auth_state == "conditional" and route.auth_condition == "not get_settings().AUTH_ENABLED"


def test_setting_read_through_a_settings_getter_that_defaults_to_on(routes_of) -> None:
    routes = routes_of({"main.py": """
        from fastapi import Depends, FastAPI, Header, HTTPException
        from pydantic_settings import BaseSettings

        class Settings(BaseSettings):
            AUTH_ENABLED: bool = True

        def get_settings():
            return Settings()

        app = FastAPI()

        def gate(x_token: str | None = Header(None)):
            if get_settings().AUTH_ENABLED and x_token is None:
                raise HTTPException(status_code=401)

        @app.get("/items", dependencies=[Depends(gate)])
        def items():
            return []
    """})
    assert routes[("GET", "/items")].auth


def test_routers_and_endpoints_registered_in_loops(routes_of) -> None:
    routes = routes_of({
        "views.py": """
            from fastapi import APIRouter

            users = APIRouter()
            items = APIRouter()

            @users.get("/users")
            def list_users():
                return []

            @items.get("/items")
            def list_items():
                return []

            def ping():
                return "pong"

            def version():
                return "1"

            ROUTES = [("/ping", ping), ("/version", version)]
        """,
        "main.py": """
            from fastapi import Depends, FastAPI
            from fastapi.security import HTTPBearer
            import views

            app = FastAPI()
            bearer = HTTPBearer()

            for router in (views.users, views.items):
                app.include_router(router, prefix="/api", dependencies=[Depends(bearer)])

            for path, view in views.ROUTES:
                app.add_api_route(path, view)
        """,
    })
    assert routes[("GET", "/api/users")].auth and routes[("GET", "/api/items")].auth
    assert ("GET", "/ping") in routes and ("GET", "/version") in routes
    assert not routes[("GET", "/ping")].auth


def test_optional_user_that_swallows_the_rejection_of_the_check_it_calls(routes_of) -> None:
    routes = routes_of({
        "app/__init__.py": "",
        "app/errors.py": """
    from fastapi import HTTPException

    class NotAuthenticated(HTTPException):
        def __init__(self):
            super().__init__(status_code=401)
""",
        "app/deps.py": """
    from fastapi import Depends, HTTPException, Request
    from app.errors import NotAuthenticated

    def current_user(request: Request):
        token = request.headers.get("Authorization")
        if not token:
            raise NotAuthenticated()
        return token

    def user_or_none(request: Request):
        try:
            return current_user(request)
        except NotAuthenticated:
            return None

    def user_or_nothing(request: Request):
        try:
            return current_user(request)
        except Exception:
            return None

    def user_or_401(request: Request):
        try:
            return current_user(request)
        except HTTPException as exc:
            if exc.status_code == 401:
                raise
            return None
""",
        "app/main.py": """
    from fastapi import Depends, FastAPI
    from app.deps import user_or_401, user_or_none, user_or_nothing

    app = FastAPI()

    @app.get("/feed", dependencies=[Depends(user_or_none)])
    def feed():
        return []

    @app.get("/news", dependencies=[Depends(user_or_nothing)])
    def news():
        return []

    @app.get("/inbox", dependencies=[Depends(user_or_401)])
    def inbox():
        return []

    def rate_limited(user=Depends(user_or_none)):
        return None

    @app.post("/tasks", dependencies=[Depends(rate_limited)])
    def tasks():
        return {}
""",
    })
    feed, news, inbox = routes[("GET", "/feed")], routes[("GET", "/news")], routes[("GET", "/inbox")]
    rated = routes[("POST", "/tasks")]
    assert not feed.auth and feed.auth_state == "open"
    assert _steps(feed) == [("dependency", "user_or_none", "open")]
    assert "swallowed" in feed.auth_trail[0].reason and "except NotAuthenticated" in feed.auth_trail[0].reason
    assert not news.auth and "except Exception" in news.auth_trail[0].reason
    assert not rated.auth and "rate_limited <- " in rated.auth_trail[0].reason
    assert "swallowed" in rated.auth_trail[0].reason
    assert inbox.auth and _steps(inbox) == [("dependency", "user_or_401", "authenticates")]


def test_router_reassigned_under_a_test_is_conditional_unless_a_default_decides(routes_of) -> None:
    routes = routes_of({
        "app/__init__.py": "",
        "app/config.py": """
    from pydantic_settings import BaseSettings

    class Settings(BaseSettings):
        ENVIRONMENT: str = "local"
        LOCKED: bool = True

    settings = Settings()
""",
        "app/main.py": _SCHEMES + """
    from fastapi import APIRouter, FastAPI
    from app.config import settings

    def user(token: str = Depends(bearer)):
        return token

    def create_app(env: str) -> FastAPI:
        app = FastAPI()
        docs = APIRouter()
        if env != "local":
            docs = APIRouter(dependencies=[Depends(user)])

        @docs.get("/docs")
        def docs_page():
            return {}

        admin = APIRouter()
        if settings.LOCKED:
            admin = APIRouter(dependencies=[Depends(user)])

        @admin.get("/admin")
        def admin_page():
            return {}

        app.include_router(docs)
        app.include_router(admin)
        return app
""",
    })
    docs, admin = routes[("GET", "/docs")], routes[("GET", "/admin")]
    assert not docs.auth and docs.auth_state == "conditional"
    assert docs.auth_condition == "env == 'local'"
    assert _steps(docs) == [("router", "user", "conditional")]
    assert "only when env != 'local'" in docs.auth_trail[0].reason
    assert admin.auth and admin.auth_state == "authenticated"
    assert "settings' defaults" in admin.auth_trail[0].reason
