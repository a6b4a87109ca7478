"""Flask route discovery and authentication (index/flask.py), one small project per pattern."""

from __future__ import annotations

from backcheck.config import Settings
from backcheck.index.flask import parse_yaml


def test_app_routes_methods_and_verbs(routes_of) -> None:
    routes = routes_of({"app.py": """
        from flask import Flask
        app = Flask(__name__)

        @app.route("/items", methods=["GET", "POST"])
        def items():
            return []

        @app.get("/items/<int:item_id>")
        def item(item_id):
            return {}

        @app.route("/")
        @app.route("/index")
        def index():
            return "hi"
    """})
    assert set(routes) == {("GET,POST", "/items"), ("GET", "/items/<int:item_id>"), ("GET", "/"), ("GET", "/index")}
    route = routes[("GET,POST", "/items")]
    assert (route.file, route.line, route.function, route.framework) == ("app.py", 5, "items", "flask")
    assert not route.auth


def test_blueprint_prefixes_factory_and_nesting(routes_of) -> None:
    routes = routes_of({
        "shop/__init__.py": """
            from flask import Flask

            def create_app():
                app = Flask(__name__)
                from shop.api import api_bp
                from shop.auth import bp as auth_bp
                app.register_blueprint(auth_bp, url_prefix="/auth")
                app.register_blueprint(api_bp)
                return app
        """,
        "shop/auth.py": """
            from flask import Blueprint
            bp = Blueprint("auth", __name__, url_prefix="/ignored")

            @bp.route("/login", methods=["POST"])
            def login():
                return {}
        """,
        "shop/api.py": """
            from flask import Blueprint
            from shop.orders import orders_bp
            api_bp = Blueprint("api", __name__, url_prefix="/api")
            api_bp.register_blueprint(orders_bp, url_prefix="/orders")
        """,
        "shop/orders.py": """
            from flask import Blueprint
            orders_bp = Blueprint("orders", __name__)

            @orders_bp.delete("/<int:order_id>")
            def cancel(order_id):
                return {}

            @orders_bp.get("/")
            def listing():
                return []
        """,
    })
    assert ("POST", "/auth/login") in routes
    assert ("DELETE", "/api/orders/<int:order_id>") in routes
    assert ("GET", "/api/orders/") in routes


def test_app_built_by_a_factory_and_imported(routes_of) -> None:
    routes = routes_of({
        "web/__init__.py": """
            from flask import Flask

            def create_app():
                app = Flask(__name__)
                return app

            app = create_app()
        """,
        "web/views.py": """
            from web import app

            @app.route("/ping")
            def ping():
                return "pong"
        """,
    })
    assert ("GET", "/ping") in routes


def test_add_url_rule_function_method_view_and_wrapper(routes_of) -> None:
    routes = routes_of({"app.py": """
        from flask import Flask
        from flask.views import MethodView
        from flask_login import login_required
        app = Flask(__name__)

        def health():
            return "ok"

        class UserAPI(MethodView):
            def get(self, user_id):
                return {}

            def delete(self, user_id):
                return {}

        class ReportAPI(MethodView):
            decorators = [login_required]

            def get(self):
                return {}

        app.add_url_rule("/health", "health", health)
        user_view = UserAPI.as_view("users")
        app.add_url_rule("/users/<int:user_id>", view_func=user_view)
        app.add_url_rule("/secure/<int:user_id>", view_func=login_required(UserAPI.as_view("secure")))
        app.add_url_rule("/reports", view_func=ReportAPI.as_view("reports"))
    """})
    assert ("GET", "/health") in routes
    get, delete = routes[("GET", "/users/<int:user_id>")], routes[("DELETE", "/users/<int:user_id>")]
    assert (get.function, delete.function) == ("UserAPI.get", "UserAPI.delete")
    assert not get.auth and not delete.auth
    assert routes[("GET", "/secure/<int:user_id>")].auth
    assert routes[("DELETE", "/secure/<int:user_id>")].auth
    assert routes[("GET", "/reports")].auth_via == ["ReportAPI.decorators: login_required"]


def test_library_auth_decorators(routes_of) -> None:
    routes = routes_of({"app.py": """
        from apifairy import authenticate
        from flask import Flask
        from flask_httpauth import HTTPTokenAuth
        from flask_jwt_extended import jwt_required
        from flask_login import fresh_login_required, login_required
        from flask_security import roles_required
        app = Flask(__name__)
        token_auth = HTTPTokenAuth()

        @app.route("/a")
        @login_required
        def a():
            return ""

        @app.route("/b")
        @token_auth.login_required
        def b():
            return ""

        @app.route("/c")
        @jwt_required()
        def c():
            return ""

        @app.route("/d")
        @authenticate(token_auth)
        def d():
            return ""

        @app.route("/e")
        @fresh_login_required
        def e():
            return ""

        @app.route("/f")
        @roles_required("admin")
        def f():
            return ""

        @app.route("/open")
        def open_():
            return load()
    """})
    for path in ("/a", "/b", "/c", "/d", "/e", "/f"):
        assert routes[("GET", path)].auth, path
    assert not routes[("GET", "/open")].auth


def test_project_decorators_checked_by_their_body(routes_of) -> None:
    routes = routes_of({
        "app/decorators.py": """
            from functools import wraps
            from flask import abort, g, redirect, request, url_for

            def login_needed(view):
                @wraps(view)
                def wrapped(*args, **kwargs):
                    if g.user is None:
                        return redirect(url_for("auth.login"))
                    return view(*args, **kwargs)
                return wrapped

            def role(name):
                def decorator(f):
                    @wraps(f)
                    def inner(*args, **kwargs):
                        if not current_user.has_role(name):
                            abort(403)
                        return f(*args, **kwargs)
                    return inner
                return decorator

            def timed(f):
                @wraps(f)
                def inner(*args, **kwargs):
                    return f(*args, **kwargs)
                return inner
        """,
        "app/views.py": """
            from flask import Flask
            from app.decorators import login_needed, role, timed
            app = Flask(__name__)

            @app.route("/mine")
            @login_needed
            def mine():
                return ""

            @app.route("/admin")
            @role("admin")
            def admin():
                return ""

            @app.route("/slow")
            @timed
            def slow():
                return load()
        """,
    })
    assert routes[("GET", "/mine")].auth
    assert routes[("GET", "/admin")].auth
    assert not routes[("GET", "/slow")].auth


def test_configured_auth_decorator(routes_of) -> None:
    files = {"app.py": """
        from flask import Flask
        from company.auth import sso
        app = Flask(__name__)

        @app.route("/x")
        @sso
        def x():
            return load()
    """}
    assert not routes_of(files)[("GET", "/x")].auth
    assert routes_of(files, Settings(auth_decorators=["sso"]))[("GET", "/x")].auth


def test_before_request_hooks(routes_of) -> None:
    routes = routes_of({
        "app/__init__.py": """
            from flask import Flask
            from app.admin import admin_bp
            from app.main import main_bp
            app = Flask(__name__)
            app.register_blueprint(admin_bp, url_prefix="/admin")
            app.register_blueprint(main_bp)
        """,
        "app/admin.py": """
            from flask import Blueprint, abort
            from flask_login import current_user
            admin_bp = Blueprint("admin", __name__)

            @admin_bp.before_request
            def require_admin():
                if request.endpoint in ("admin.status_page",):
                    return
                if not current_user.is_authenticated:
                    abort(401)

            @admin_bp.route("/users")
            def users():
                return []

            @admin_bp.route("/status")
            def status_page():
                return {}
        """,
        "app/main.py": """
            from flask import Blueprint, g
            from flask_login import current_user
            main_bp = Blueprint("main", __name__)

            @main_bp.before_app_request
            def remember():
                if current_user.is_authenticated:
                    current_user.seen()
                g.locale = "en"

            @main_bp.route("/feed")
            def feed():
                return []
        """,
    })
    users = routes[("GET", "/admin/users")]
    assert users.auth and users.auth_via[0].startswith("before_request require_admin")
    assert not routes[("GET", "/admin/status")].auth
    assert not routes[("GET", "/feed")].auth


def test_app_level_hook_with_allow_list(routes_of) -> None:
    routes = routes_of({"app.py": """
        from flask import Flask, redirect, request, session, url_for
        app = Flask(__name__)
        OPEN = ["login", "static"]

        @app.before_request
        def gate():
            if "user_id" not in session and request.endpoint not in OPEN:
                return redirect(url_for("login"))

        @app.route("/login", methods=["POST"])
        def login():
            return ""

        @app.route("/dashboard")
        def dashboard():
            return load()
    """})
    assert routes[("GET", "/dashboard")].auth
    assert not routes[("POST", "/login")].auth


def test_inline_checks(routes_of) -> None:
    routes = routes_of({"app.py": """
        from flask import Flask, abort, redirect, request, url_for
        from flask_login import current_user
        app = Flask(__name__)

        @app.route("/profile")
        def profile():
            if not current_user.is_authenticated:
                return redirect(url_for("login"))
            return load()

        @app.route("/api/data", methods=["POST"])
        def data():
            token = request.headers.get("Authorization")
            if not token:
                return {"error": "no token"}, 401
            return load()

        @app.route("/login", methods=["GET", "POST"])
        def login():
            if current_user.is_authenticated:
                return redirect(url_for("profile"))
            return do_login()

        @app.route("/late")
        def late():
            record_visit()
            items = load()
            if request.args.get("x"):
                return items
            if not current_user.is_authenticated:
                abort(401)
            return items
    """})
    assert routes[("GET", "/profile")].auth
    assert routes[("POST", "/api/data")].auth
    assert not routes[("GET,POST", "/login")].auth
    assert not routes[("GET", "/late")].auth


def test_static_pages_and_apps_without_auth_are_public(routes_of) -> None:
    routes = routes_of({
        "site/app.py": """
            from flask import Flask, render_template
            from flask_login import login_required
            app = Flask(__name__)

            @app.route("/upload-form")
            def upload_form():
                return render_template("upload.html")

            @app.route("/upload", methods=["POST"])
            def upload():
                return save(request.files["f"])

            @app.route("/me")
            @login_required
            def me():
                return ""
        """,
        "lab/main.py": """
            from flask import Flask, request
            app = Flask(__name__)

            @app.route("/convert", methods=["POST"])
            def convert():
                return transform(request.form["x"])
        """,
    })
    form = routes[("GET", "/upload-form")]
    assert form.public and form.public_via == "renders a fixed template"
    assert not routes[("POST", "/upload")].public
    convert = routes[("POST", "/convert")]
    assert convert.public and convert.public_via == "the app has no authentication at all"


def test_flask_restful_and_restx(routes_of) -> None:
    routes = routes_of({"api.py": """
        from flask import Flask
        from flask_login import login_required
        from flask_restful import Api, Resource
        from flask_restx import Namespace
        app = Flask(__name__)
        api = Api(app, prefix="/v1")
        ns = Namespace("pets")

        class Todo(Resource):
            method_decorators = [login_required]

            def get(self, todo_id):
                return {}

            def put(self, todo_id):
                return {}

        @ns.route("/<int:pet_id>")
        class Pet(Resource):
            def get(self, pet_id):
                return {}

        api.add_resource(Todo, "/todos/<int:todo_id>")
    """})
    assert routes[("GET", "/v1/todos/<int:todo_id>")].auth
    assert routes[("PUT", "/v1/todos/<int:todo_id>")].function == "Todo.put"
    assert ("GET", "/pets/<int:pet_id>") in routes


def test_connexion_spec(routes_of, tmp_path) -> None:
    routes = routes_of({
        "server/app.py": """
            import connexion
            app = connexion.App(__name__, specification_dir="openapi/")
            app.add_api("api.yaml")
        """,
        "server/handlers/pets.py": """
            def list_pets(limit=10):
                return []

            def create_pet(body):
                return body

            def health():
                return "ok"
        """,
        "server/openapi/api.yaml": """
            openapi: "3.0.0"
            info:
              title: Pets  # the title
              version: "1.0"
            servers:
              - url: http://localhost:8080/v1
            security:
              - bearer: []
            paths:
              /pets:
                get:
                  operationId: server.handlers.pets.list_pets
                  parameters:
                    - name: limit
                      in: query
                      schema: {type: integer}
                post:
                  operationId: create_pet
                  x-openapi-router-controller: server.handlers.pets
                  requestBody:
                    description: |
                      A new pet.
                      Several lines.
                    content: {}
              /health:
                get:
                  operationId: server.handlers.pets.health
                  security: []
            components:
              securitySchemes:
                bearer:
                  type: http
                  scheme: bearer
        """,
    })
    listing = routes[("GET", "/v1/pets")]
    assert listing.auth and listing.framework == "connexion" and listing.file == "server/handlers/pets.py"
    assert routes[("POST", "/v1/pets")].function == "create_pet"
    health = routes[("GET", "/v1/health")]
    assert not health.auth and health.public


def test_parse_yaml_subset() -> None:
    doc = parse_yaml("""
a: 1
b: "two"  # comment
c:
  - x
  - k: v
    m: [1, 2]
d: {e: f}
g: |
  text
  more
h: ~
'/p/{id}':
  get: {}
""")
    assert doc == {"a": 1, "b": "two", "c": ["x", {"k": "v", "m": [1, 2]}], "d": {"e": "f"}, "g": "text more",
                   "h": None, "/p/{id}": {"get": {}}}


def test_connexion_resty_resolver(routes_of) -> None:
    routes = routes_of({
        "svc/app.py": """
            import connexion
            from connexion.resolver import RestyResolver
            app = connexion.FlaskApp(__name__, specification_dir="spec")
            app.add_api("api.json", resolver=RestyResolver("api"))
        """,
        "svc/api/__init__.py": "",
        "svc/api/pets.py": """
            def search(limit=10):
                return []

            def get(pet_id):
                return {}
        """,
        "svc/spec/api.json": """
            {"swagger": "2.0", "basePath": "/v2",
             "paths": {"/pets": {"get": {}}, "/pets/{pet_id}": {"get": {}}}}
        """,
    })
    assert routes[("GET", "/v2/pets")].function == "search"
    assert routes[("GET", "/v2/pets/{pet_id}")].function == "get"


def test_decorator_classes_factories_and_inherited_decorator_lists(routes_of) -> None:
    routes = routes_of({
        "app/permissions.py": """
            import functools
            from flask import abort
            from flask_login import current_user

            class require_permissions:
                def __init__(self, permissions):
                    self.permissions = permissions

                def __call__(self, fn):
                    @functools.wraps(fn)
                    def decorated(*args, **kwargs):
                        allowed = current_user.has_permissions(self.permissions)
                        if allowed:
                            return fn(*args, **kwargs)
                        abort(403)
                    return decorated

            def require_permission(permission):
                return require_permissions((permission,))

            def require_admin(fn):
                return require_permission("admin")(fn)
        """,
        "app/api.py": """
            from flask import Flask
            from flask_login import login_required
            from flask_restful import Api, Resource
            from app.permissions import require_admin, require_permission
            app = Flask(__name__)
            api = Api(app)

            class BaseResource(Resource):
                decorators = [login_required]

            class Users(BaseResource):
                decorators = BaseResource.decorators + [rate_limit("10/hour")]

                def get(self):
                    return []

            class Admin(Resource):
                @require_admin
                def delete(self):
                    return {}

                @require_permission("view")
                def get(self):
                    return {}

            api.add_resource(Users, "/users")
            api.add_resource(Admin, "/admin")
        """,
    })
    assert routes[("GET", "/users")].auth_via == ["Users.decorators: login_required"]
    assert routes[("DELETE", "/admin")].auth and routes[("GET", "/admin")].auth


def test_trail_and_condition_for_conditional_and_open_gates(routes_of) -> None:
    routes = routes_of({"app.py": """
        from functools import wraps
        from flask import Flask, abort, current_app
        from flask_login import current_user, login_required
        app = Flask(__name__)

        def check_visibility(view):
            @wraps(view)
            def wrapper(*args, **kwargs):
                if current_app.config.get("VISIBILITY") == "public":
                    return view(*args, **kwargs)
                if not current_user.is_authenticated:
                    abort(403)
                return view(*args, **kwargs)
            return wrapper

        def profile_complete(view):
            @wraps(view)
            def wrapper(*args, **kwargs):
                if current_user.is_authenticated and not current_user.complete:
                    abort(403)
                return view(*args, **kwargs)
            return wrapper

        @app.route("/board", methods=["POST"])
        @check_visibility
        def board():
            return {}

        @app.route("/entry", methods=["POST"])
        @profile_complete
        def entry():
            return {}

        @app.route("/mine", methods=["POST"])
        @login_required
        def mine():
            return {}
    """})
    board = routes[("POST", "/board")]
    assert not board.auth and board.auth_state == "conditional"
    assert "VISIBILITY" in board.auth_condition
    assert [(s.kind, s.name, s.verdict) for s in board.auth_trail] == [
        ("decorator", "@check_visibility", "conditional")]
    assert board.auth_trail[0].file == "app.py" and board.auth_trail[0].line == 6
    entry = routes[("POST", "/entry")]
    assert entry.auth_state == "open" and not entry.auth_condition
    assert entry.auth_trail[0].verdict == "open"
    mine = routes[("POST", "/mine")]
    assert mine.auth and mine.auth_trail[0].verdict == "authenticates"
    assert mine.auth_via == ["@login_required"]


def test_gates_through_helpers_classes_and_other_decorators(routes_of) -> None:
    routes = routes_of({"app.py": """
        from functools import wraps
        from flask import Flask, abort, g, request, session
        from flask_login import login_required
        app = Flask(__name__)

        def _deny():
            abort(401)

        def ensure_user():
            if "user_id" not in session:
                _deny()

        def members(view):
            @wraps(view)
            def wrapper(*args, **kwargs):
                ensure_user()
                return view(*args, **kwargs)
            return wrapper

        def signed(view):
            @wraps(view)
            def wrapper(*args, **kwargs):
                return login_required(view)(*args, **kwargs)
            return wrapper

        class Checked:
            def __init__(self, view):
                self.view = view

            def __call__(self, *args, **kwargs):
                if g.user is None:
                    abort(403)
                return self.view(*args, **kwargs)

        def token_required(view):
            @wraps(view)
            def wrapper(*args, **kwargs):
                header = request.headers.get("Authorization")
                token = header.split(" ")[1] if header else ""
                if not token:
                    return {"error": "missing token"}, 401
                return view(*args, **kwargs)
            return wrapper

        @app.post("/a")
        @members
        def a():
            return {}

        @app.post("/b")
        @signed
        def b():
            return {}

        @app.post("/c")
        @Checked
        def c():
            return {}

        @app.post("/d")
        @token_required
        def d():
            return {}
    """})
    for path in ("/a", "/b", "/c", "/d"):
        route = routes[("POST", path)]
        assert route.auth, (path, route.auth_trail)
        assert route.auth_trail[0].verdict == "authenticates"


def test_hook_exemptions_by_route(routes_of) -> None:
    routes = routes_of({"app.py": """
        from flask import Flask, redirect, request, url_for
        from flask_login import current_user
        app = Flask(__name__)

        @app.before_request
        def gate():
            if request.endpoint in ("signin", "static") or request.path.startswith("/public/"):
                return None
            if not current_user.is_authenticated:
                return redirect(url_for("signin"))

        @app.post("/signin")
        def signin():
            return ""

        @app.get("/public/faq")
        def faq():
            return ""

        @app.post("/notes")
        def notes():
            return ""
    """})
    assert routes[("POST", "/notes")].auth
    hook = routes[("POST", "/notes")].auth_trail[0]
    assert (hook.kind, hook.verdict, hook.line) == ("hook", "authenticates", 6)
    assert not routes[("POST", "/signin")].auth
    assert not routes[("GET", "/public/faq")].auth
    assert routes[("GET", "/public/faq")].auth_trail[0].verdict == "open"


def test_hook_wrapped_in_an_auth_decorator(routes_of) -> None:
    routes = routes_of({
        "app/__init__.py": """
            from flask import Flask
            from app.api import api

            app = Flask(__name__)
            app.register_blueprint(api, url_prefix="/api")
        """,
        "app/api.py": """
            from flask import Blueprint, g, request
            from flask_httpauth import HTTPBasicAuth

            api = Blueprint("api", __name__)
            auth = HTTPBasicAuth()
            pages = Blueprint("pages", __name__)

            def log_it(fn):
                return fn

            @api.before_request
            @auth.login_required
            def before_request():
                if not g.current_user.confirmed:
                    return "unconfirmed", 403

            @pages.before_request
            @log_it
            def count():
                g.count = 1

            @api.get("/posts")
            def posts():
                return []

            @pages.get("/about")
            def about():
                return ""
        """,
    })
    route = routes[("GET", "/api/posts")]
    assert route.auth
    hook = route.auth_trail[0]
    assert (hook.kind, hook.verdict, hook.line) == ("hook", "authenticates", 13)
    assert "auth.login_required" in hook.reason
    assert not routes[("GET", "/about")].auth


def test_response_helpers_judged_by_the_status_they_set(routes_of) -> None:
    routes = routes_of({"app.py": """
        from flask import Flask, jsonify, make_response
        from flask_login import current_user
        app = Flask(__name__)

        def refuse(message):
            response = jsonify({"error": message})
            response.status_code = 401
            return response

        def no_entry(message):
            return make_response(jsonify({"error": message}), 403)

        def unauthorized(message):
            return jsonify({"message": message})

        @app.get("/a")
        def a():
            if not current_user.is_authenticated:
                return refuse("sign in")
            return {}

        @app.get("/b")
        def b():
            if current_user.is_anonymous:
                return no_entry("sign in")
            return {}

        @app.get("/c")
        def c():
            if not current_user.is_authenticated:
                return unauthorized("hello")
            return {}
    """})
    assert routes[("GET", "/a")].auth
    assert routes[("GET", "/b")].auth
    assert not routes[("GET", "/c")].auth


def test_resource_decorators_built_from_a_base_list(routes_of) -> None:
    routes = routes_of({
        "app/base.py": """
            from flask_login import login_required
            from flask_restful import Resource

            class BaseResource(Resource):
                decorators = [login_required]

            class ApiResource(Resource):
                method_decorators = [login_required]
        """,
        "app/views.py": """
            from flask import Flask
            from flask_restful import Api
            from app.base import ApiResource, BaseResource

            app = Flask(__name__)
            api = Api(app)

            def csrf_exempt(fn):
                return fn

            class Users(BaseResource):
                decorators = BaseResource.decorators + [csrf_exempt]

                def get(self):
                    return []

            class Groups(ApiResource):
                method_decorators = [*ApiResource.method_decorators, csrf_exempt]

                def get(self):
                    return []

            class Plain(BaseResource):
                def get(self):
                    return []

            api.add_resource(Users, "/users")
            api.add_resource(Groups, "/groups")
            api.add_resource(Plain, "/plain")
        """,
    })
    for path, attr in (("/users", "decorators"), ("/groups", "method_decorators")):
        route = routes[("GET", path)]
        assert route.auth, path
        step = next(s for s in route.auth_trail if s.verdict == "authenticates")
        assert step.name.endswith(f"{attr}: login_required")
        assert step.file == "app/views.py"
    assert routes[("GET", "/plain")].auth
