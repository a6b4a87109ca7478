"""Django and DRF route discovery and authentication (index/django.py), one small project per pattern."""

from __future__ import annotations

from backcheck.index.django import regex_to_path

SETTINGS = """
    ROOT_URLCONF = "site_conf.urls"
    INSTALLED_APPS = ["django.contrib.auth", "rest_framework", "shop"]
    MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
"""


def project(urls: str, views: str = "", settings: str = SETTINGS, **more: str) -> dict[str, str]:
    files = {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_conf.settings')\n",
        "site_conf/__init__.py": "",
        "site_conf/settings.py": settings,
        "site_conf/urls.py": urls,
        "shop/__init__.py": "",
        "shop/views.py": views,
    }
    files.update({k.replace("__", "/") + ".py": v for k, v in more.items()})
    return files


def test_nested_includes_and_prefixes(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from django.contrib import admin
            from django.urls import include, path, re_path
            from shop import urls as shop_urls

            urlpatterns = [
                path("admin/", admin.site.urls),
                path("shop/", include("shop.urls")),
                path("v2/", include(shop_urls)),
                re_path(r"^legacy/(?P<slug>[-\\w]+)/?$", include([path("info/", "shop.views.info")])),
            ]
        """,
        views="""
            def listing(request):
                return render(request, "list.html", {"items": load()})

            def detail(request, pk):
                return load(pk)
        """,
        shop__urls="""
            from django.urls import path, include
            from . import views

            urlpatterns = [
                path("", views.listing, name="listing"),
                path("items/", include([
                    path("<int:pk>/", views.detail),
                ])),
            ]
        """,
    ))
    assert ("*", "/shop/") in routes and ("*", "/v2/") in routes
    detail = routes[("*", "/shop/items/<int:pk>/")]
    assert (detail.file, detail.function, detail.framework, detail.line) == ("shop/views.py", "detail", "django", 4)
    assert not any("admin" in path for _m, path in routes)


def test_function_view_decorators_and_methods(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from django.urls import path
            from django.contrib.auth.decorators import login_required
            from shop import views

            urlpatterns = [
                path("a/", views.a),
                path("b/", views.b),
                path("c/", views.c),
                path("d/", views.d),
                path("e/", views.e),
                path("f/", login_required(views.f)),
                path("g/", views.g),
            ]
        """,
        views="""
            from django.contrib.admin.views.decorators import staff_member_required
            from django.contrib.auth.decorators import login_required, permission_required, user_passes_test
            from django.views.decorators.http import require_POST, require_http_methods

            @login_required
            def a(request):
                return 1

            @permission_required("shop.change_item")
            def b(request):
                return 1

            @user_passes_test(lambda u: u.is_staff)
            @require_POST
            def c(request):
                return 1

            @staff_member_required
            @require_http_methods(["GET", "PUT"])
            def d(request):
                return 1

            def e(request):
                return load()

            def f(request):
                return load()

            def g(request):
                if not request.user.is_authenticated:
                    return redirect("login")
                return load()
        """,
    ))
    assert routes[("*", "/a/")].auth and routes[("*", "/b/")].auth
    assert routes[("POST", "/c/")].auth
    assert routes[("GET,PUT", "/d/")].auth
    assert not routes[("*", "/e/")].auth
    assert routes[("*", "/f/")].auth_via == ["wrapped in login_required in urls"]
    assert routes[("*", "/g/")].auth


def test_router_viewsets_and_actions(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from django.urls import include, path
            from rest_framework.routers import DefaultRouter
            from shop.views import ItemViewSet, TagViewSet

            router = DefaultRouter(trailing_slash=False)
            router.register(r"items", ItemViewSet)
            router.register("tags", TagViewSet, basename="tag")

            urlpatterns = [path("api/", include(router.urls))]
        """,
        views="""
            from rest_framework import mixins, viewsets
            from rest_framework.decorators import action
            from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly

            class ItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
                permission_classes = (IsAuthenticatedOrReadOnly,)
                lookup_field = "slug"

                def update(self, request, slug):
                    return 1

                @action(detail=True, methods=["post"], url_path="publish")
                def publish(self, request, slug=None):
                    return 1

            class TagViewSet(viewsets.ReadOnlyModelViewSet):
                permission_classes = [IsAuthenticated]
        """,
    ))
    listing = routes[("GET", "/api/items")]
    assert (listing.function, listing.line, listing.auth, listing.public) == ("ItemViewSet", 5, False, True)
    assert routes[("PUT", "/api/items/<slug>")].function == "ItemViewSet.update"
    assert routes[("PUT", "/api/items/<slug>")].auth
    assert routes[("POST", "/api/items/<slug>/publish")].auth
    assert ("PATCH", "/api/items/<slug>") not in routes and ("POST", "/api/items") not in routes
    assert routes[("GET", "/api/tags/<pk>")].auth
    assert ("DELETE", "/api/tags/<pk>") not in routes


def test_urlpatterns_extended_with_router_urls(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from rest_framework import routers
            from shop.views import NoteViewSet

            router = routers.SimpleRouter()
            router.register("notes", NoteViewSet)
            urlpatterns = []
            urlpatterns += router.urls
        """,
        views="""
            from rest_framework.viewsets import ModelViewSet

            class NoteViewSet(ModelViewSet):
                def destroy(self, request, pk=None):
                    return 1
        """,
    ))
    assert set(routes) == {("GET", "/notes/"), ("POST", "/notes/"), ("GET", "/notes/<pk>/"),
                           ("PUT", "/notes/<pk>/"), ("PATCH", "/notes/<pk>/"), ("DELETE", "/notes/<pk>/")}
    assert routes[("DELETE", "/notes/<pk>/")].function == "NoteViewSet.destroy"


def test_api_views_generics_and_labels(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from django.conf.urls import url
            from shop.views import Comments, Profile, Favorite

            urlpatterns = [
                url(r"^articles/(?P<slug>[-\\w]+)/comments/?$", Comments.as_view()),
                url(r"^user/?$", Profile.as_view()),
                url(r"^fav/(?P<pk>\\d+)$", Favorite.as_view()),
            ]
        """,
        views="""
            from rest_framework import generics
            from rest_framework.generics import RetrieveUpdateAPIView
            from rest_framework.permissions import AllowAny, IsAuthenticated
            from rest_framework.views import APIView

            class Comments(generics.ListCreateAPIView):
                permission_classes = (IsAuthenticated,)

                def create(self, request, slug=None):
                    return 1

            class Profile(RetrieveUpdateAPIView):
                permission_classes = (IsAuthenticated,)

                def update(self, request):
                    return 1

            class Favorite(APIView):
                permission_classes = (AllowAny,)

                def post(self, request, pk):
                    return 1
        """,
    ))
    assert routes[("GET", "/articles/<slug>/comments")].function == "Comments"
    assert routes[("POST", "/articles/<slug>/comments")].function == "Comments.create"
    update = routes[("PUT,PATCH", "/user")]
    assert (update.function, update.auth) == ("Profile.update", True)
    favorite = routes[("POST", "/fav/<pk>")]
    assert (favorite.function, favorite.public, favorite.public_via) == ("Favorite.post", True,
                                                                         "permission_classes: AllowAny")


def test_default_permissions_and_allow_any_override(routes_of) -> None:
    settings = SETTINGS + """
    REST_FRAMEWORK = {
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    """
    routes = routes_of(project(
        urls="""
            from django.urls import path
            from shop import views

            urlpatterns = [
                path("stats/", views.Stats.as_view()),
                path("search/", views.Search.as_view()),
                path("fn/", views.fn),
            ]
        """,
        views="""
            from rest_framework.decorators import api_view, permission_classes
            from rest_framework.permissions import AllowAny
            from rest_framework.views import APIView

            class Stats(APIView):
                def get(self, request):
                    return 1

            class Search(APIView):
                permission_classes = [AllowAny]

                def get(self, request):
                    return 1

            @api_view(["GET", "POST"])
            def fn(request):
                return 1
        """,
        settings=settings,
    ))
    assert routes[("GET", "/stats/")].auth_via == ["DEFAULT_PERMISSION_CLASSES: IsAuthenticated"]
    search = routes[("GET", "/search/")]
    assert not search.auth and not search.public
    assert routes[("GET,POST", "/fn/")].auth


def test_custom_permission_classes(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from django.urls import path
            from shop import views

            urlpatterns = [
                path("owned/", views.Owned.as_view()),
                path("anyone/", views.Anyone.as_view()),
                path("either/", views.Either.as_view()),
            ]
        """,
        views="""
            from rest_framework.permissions import BasePermission, IsAdminUser, SAFE_METHODS
            from rest_framework.views import APIView

            class IsMember(BasePermission):
                def has_permission(self, request, view):
                    return bool(request.user and request.user.is_member)

            class ReadOnlyOrStaff(BasePermission):
                def has_permission(self, request, view):
                    return request.method in SAFE_METHODS or request.user.is_staff

            class OwnerOnly(BasePermission):
                def has_object_permission(self, request, view, obj):
                    return obj.owner == request.user

            class Owned(APIView):
                permission_classes = [IsMember]

                def get(self, request):
                    return 1

            class Anyone(APIView):
                permission_classes = [OwnerOnly]

                def get(self, request):
                    return 1

            class Either(APIView):
                permission_classes = [ReadOnlyOrStaff]

                def get(self, request):
                    return 1

                def post(self, request):
                    return 1
        """,
    ))
    assert routes[("GET", "/owned/")].auth
    assert not routes[("GET", "/anyone/")].auth
    assert routes[("GET", "/either/")].public and routes[("POST", "/either/")].auth


def test_class_based_views_and_mixins(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from django.contrib.auth.decorators import login_required
            from django.urls import path
            from shop.views import *

            urlpatterns = [
                path("dash/", Dashboard.as_view()),
                path("perm/", Edit.as_view()),
                path("mine/", Mine.as_view()),
                path("about/", About.as_view()),
                path("wrapped/", login_required(Report.as_view())),
                path("decorated/", Decorated.as_view()),
                path("open/", Open.as_view()),
            ]
        """,
        views="""
            from django.contrib.auth.decorators import login_required
            from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
            from django.shortcuts import redirect
            from django.utils.decorators import method_decorator
            from django.views import View
            from django.views.generic import TemplateView, UpdateView

            class MemberOnly:
                def dispatch(self, request, *args, **kwargs):
                    if not request.user.is_authenticated:
                        return redirect("login")
                    return super().dispatch(request, *args, **kwargs)

            class Dashboard(LoginRequiredMixin, TemplateView):
                template_name = "dash.html"

            class Edit(PermissionRequiredMixin, UpdateView):
                permission_required = "shop.change"

            class Mine(MemberOnly, View):
                def get(self, request):
                    return 1

            class About(TemplateView):
                template_name = "about.html"

            class Report(View):
                def get(self, request):
                    return 1

            @method_decorator(login_required, name="dispatch")
            class Decorated(View):
                def post(self, request):
                    return 1

            class Open(View):
                def get(self, request):
                    return load()

                def put(self, request):
                    return load()
        """,
    ))
    dash = routes[("GET", "/dash/")]
    assert (dash.function, dash.auth, dash.handler) == ("Dashboard", True, None)
    assert routes[("GET", "/perm/")].auth and routes[("POST", "/perm/")].auth
    assert routes[("GET", "/mine/")].auth
    assert not routes[("GET", "/about/")].auth
    assert routes[("GET", "/wrapped/")].auth
    assert routes[("POST", "/decorated/")].auth
    assert routes[("GET", "/open/")].function == "Open.get" and not routes[("PUT", "/open/")].auth


def test_login_required_middleware(routes_of) -> None:
    settings = """
    ROOT_URLCONF = "site_conf.urls"
    MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    ]
    """
    routes = routes_of(project(
        urls="""
            from django.urls import path
            from shop import views

            urlpatterns = [path("home/", views.home), path("signup/", views.signup)]
        """,
        views="""
            from django.contrib.auth.decorators import login_not_required

            def home(request):
                return 1

            @login_not_required
            def signup(request):
                return 1
        """,
        settings=settings,
    ))
    assert routes[("*", "/home/")].auth_via == ["LoginRequiredMiddleware in MIDDLEWARE"]
    signup = routes[("*", "/signup/")]
    assert not signup.auth and signup.public


def test_project_middleware_with_exempt_paths(routes_of) -> None:
    settings = """
    ROOT_URLCONF = "site_conf.urls"
    MIDDLEWARE = ["site_conf.middleware.RequireLogin"]
    """
    routes = routes_of(project(
        urls="""
            from django.urls import path
            from shop import views

            urlpatterns = [path("home/", views.home), path("public/info/", views.info)]
        """,
        views="""
            def home(request):
                return 1

            def info(request):
                return 1
        """,
        settings=settings,
        site_conf__middleware="""
            from django.shortcuts import redirect

            class RequireLogin:
                def __init__(self, get_response):
                    self.get_response = get_response

                def __call__(self, request):
                    if not request.user.is_authenticated and not request.path.startswith("/public/"):
                        return redirect("/login/")
                    return self.get_response(request)
        """,
    ))
    assert routes[("*", "/home/")].auth
    assert not routes[("*", "/public/info/")].auth


def test_two_projects_in_one_repository(routes_of) -> None:
    files = project(
        urls="""
            from django.urls import path
            from shop import views
            urlpatterns = [path("main/", views.main)]
        """,
        views="def main(request):\n    return 1\n",
    )
    files.update({
        "labs/lab1/manage.py": "",
        "labs/lab1/conf/__init__.py": "",
        "labs/lab1/conf/settings.py": 'ROOT_URLCONF = "conf.urls"\n',
        "labs/lab1/conf/urls.py": (
            "from django.urls import include, path\n"
            "urlpatterns = [path('', include('pages.urls'))]\n"
        ),
        "labs/lab1/pages/__init__.py": "",
        "labs/lab1/pages/urls.py": (
            "from django.urls import path\nfrom . import views\n"
            "urlpatterns = [path('secret/', views.secret)]\n"
        ),
        "labs/lab1/pages/views.py": (
            "from django.contrib.auth.decorators import login_required\n\n"
            "@login_required\ndef secret(request):\n    return 1\n"
        ),
    })
    routes = routes_of(files)
    assert ("*", "/main/") in routes
    assert routes[("*", "/secret/")].file == "labs/lab1/pages/views.py"
    assert routes[("*", "/secret/")].auth


def test_long_urlpatterns_list(routes_of) -> None:
    lines = "\n".join(f"    path('p{i}/', views.view)," for i in range(80))
    routes = routes_of(project(
        urls=f"from django.urls import path\nfrom shop import views\n\nurlpatterns = [\n{lines}\n]\n",
        views="def view(request):\n    return 1\n",
    ))
    assert len(routes) == 80


def test_regex_to_path() -> None:
    assert regex_to_path(r"^articles/(?P<slug>[-\w]+)/favorite/?$") == "articles/<slug>/favorite"
    assert regex_to_path(r"^(?P<year>[0-9]{4})/(?P<month>(0|1)[0-9])/$") == "<year>/<month>/"
    assert regex_to_path(r"^api/") == "api/"


def test_decorator_include_and_string_views(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from decorator_include import decorator_include
            from django.conf.urls import url
            from django.contrib.auth.decorators import login_required

            urlpatterns = [
                url(r"^staff/", decorator_include(login_required, "shop.urls")),
                url(r"^old/$", "shop.views.old"),
            ]
        """,
        views="""
            def old(request):
                return load()

            def panel(request):
                return load()
        """,
        shop__urls="""
            from django.urls import path
            from shop import views
            urlpatterns = [path("panel/", views.panel)]
        """,
    ))
    assert routes[("*", "/staff/panel/")].auth
    assert not routes[("*", "/old/")].auth


def test_dispatch_only_views_and_open_class_decorators(routes_of) -> None:
    settings = """
    ROOT_URLCONF = "site_conf.urls"
    MIDDLEWARE = ["django.contrib.auth.middleware.LoginRequiredMiddleware"]
    """
    routes = routes_of(project(
        urls="""
            from django.urls import path
            from shop import views
            urlpatterns = [path("graphql/", views.Graph.as_view()), path("hook/", views.Hook.as_view())]
        """,
        views="""
            from django.contrib.auth.decorators import login_not_required
            from django.utils.decorators import method_decorator
            from django.views import View
            from strawberry.django.views import GraphQLView

            class Graph(GraphQLView):
                def dispatch(self, request, *args, **kwargs):
                    return super().dispatch(request, *args, **kwargs)

            @method_decorator(login_not_required, name="dispatch")
            class Hook(View):
                def post(self, request):
                    return 1
        """,
        settings=settings,
    ))
    graph = routes[("*", "/graphql/")]
    assert (graph.function, graph.auth) == ("Graph.dispatch", True)
    hook = routes[("POST", "/hook/")]
    assert not hook.auth and hook.public


def test_view_handing_over_to_protected_views(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from django.urls import path
            from shop import views
            urlpatterns = [path("checks/", views.checks), path("mixed/", views.mixed)]
        """,
        views="""
            from shop.auth import authorize

            @authorize
            def create_check(request):
                return 1

            @authorize
            def list_checks(request):
                return 1

            def open_list(request):
                return 1

            def checks(request):
                if request.method == "POST":
                    return create_check(request)
                return list_checks(request)

            def mixed(request):
                if request.method == "POST":
                    return create_check(request)
                return open_list(request)
        """,
        shop__auth="""
            from functools import wraps

            def authorize(f):
                @wraps(f)
                def wrapper(request, *args, **kwargs):
                    api_key = request.headers.get("X-Api-Key", "")
                    if len(api_key) != 32:
                        return error("missing api key", 401)
                    return f(request, *args, **kwargs)
                return wrapper
        """,
    ))
    assert routes[("*", "/checks/")].auth_via[0].startswith("hands over to create_check")
    assert not routes[("*", "/mixed/")].auth


# -- registries, router subclasses, trails and settings gates ----------------------------------------

REGISTRY = """
    views = {}


    def register_view(model, name, path=None, detail=True):
        def wrapper(cls):
            app_label = model._meta.app_label
            model_name = model._meta.model_name
            views.setdefault(app_label, {}).setdefault(model_name, []).append(
                {"name": name, "view": cls, "path": path if path is not None else name, "detail": detail}
            )
            return cls

        return wrapper
"""

MODEL_URLS = """
    from django.urls import path

    from shop.registry import views


    def model_urls(app_label, model_name, detail=True):
        out = []
        for entry in views.get(app_label, {}).get(model_name, []):
            if entry["detail"] != detail:
                continue
            url = f"{entry['path']}/" if entry["path"] else ""
            out.append(path(url, entry["view"].as_view()))
        return out
"""


def test_registry_built_urls(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from django.urls import include, path
            from shop.urlutils import model_urls

            urlpatterns = [
                path("orders/", include(model_urls("shop", "order", detail=False))),
                path("orders/<int:pk>/", include(model_urls("shop", "order"))),
            ]
        """,
        views="""
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views import View
            from shop.models import Order, Tag
            from shop.registry import register_view

            @register_view(Order, "list", path="", detail=False)
            class OrderList(View):
                def get(self, request):
                    return list_orders()

            @register_view(Order, "edit")
            class OrderEdit(LoginRequiredMixin, View):
                def get(self, request, pk):
                    return form(pk)

                def post(self, request, pk):
                    return save(pk)

            @register_view(Order, "bulk_delete", path="delete", detail=False)
            class OrderBulkDelete(View):
                def post(self, request):
                    return delete_all()

            @register_view(Tag, "edit")
            class TagEdit(View):
                def post(self, request, pk):
                    return save_tag(pk)
        """,
        shop__models="""
            from django.db import models

            class Order(models.Model):
                pass

            class Tag(models.Model):
                pass
        """,
        shop__registry=REGISTRY,
        shop__urlutils=MODEL_URLS,
    ))
    assert set(routes) == {
        ("GET", "/orders/"), ("POST", "/orders/delete/"),
        ("GET", "/orders/<int:pk>/edit/"), ("POST", "/orders/<int:pk>/edit/"),
    }
    assert routes["GET", "/orders/"].function == "OrderList.get" and not routes["GET", "/orders/"].auth
    assert routes["POST", "/orders/<int:pk>/edit/"].auth


def test_feature_views_registered_for_models_with_a_base(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from django.urls import include, path
            from shop.urlutils import model_urls

            urlpatterns = [
                path("orders/<int:pk>/", include(model_urls("shop", "order"))),
                path("tags/<int:pk>/", include(model_urls("shop", "tag"))),
            ]
        """,
        views="""
            from django.views import View

            class HistoryView(View):
                def get(self, request, pk):
                    return history(pk)
        """,
        shop__models="""
            from django.db import models

            class Tracked(models.Model):
                class Meta:
                    abstract = True

            class Order(Tracked):
                pass

            class Tag(models.Model):
                pass

            def register_models(*all_models):
                from shop.registry import register_view

                for model in all_models:
                    if issubclass(model, Tracked):
                        register_view(model, "history")("shop.views.HistoryView")
        """,
        shop__registry=REGISTRY,
        shop__urlutils=MODEL_URLS,
    ))
    assert set(routes) == {("GET", "/orders/<int:pk>/history/")}


ROUTER_VIEWS = """
    from rest_framework import viewsets
    from rest_framework.response import Response
    from rest_framework.routers import APIRootView

    class ShopRoot(APIRootView):
        pass

    class BulkMixin:
        def bulk_update(self, request):
            return Response()

        def bulk_destroy(self, request):
            return Response()

    class ItemViewSet(BulkMixin, viewsets.ModelViewSet):
        queryset = None

    class NoteViewSet(viewsets.ReadOnlyModelViewSet):
        queryset = None

        def run(self, request, pk=None):
            return Response()
"""


def test_router_subclass_routes_and_api_root(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from shop import views
            from shop.routers import ShopRouter

            router = ShopRouter()
            router.APIRootView = views.ShopRoot
            for prefix, viewset in [("tags", views.NoteViewSet), ("labels", views.NoteViewSet)]:
                router.register(prefix, viewset)
            router.register("items", views.ItemViewSet)
            router.register("notes", views.NoteViewSet)
            urlpatterns = router.urls
        """,
        views=ROUTER_VIEWS,
        shop__routers="""
            from rest_framework.routers import DefaultRouter, Route

            class ShopRouter(DefaultRouter):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.routes[0].mapping.update({"put": "bulk_update", "delete": "bulk_destroy"})

                def get_routes(self, viewset):
                    self.routes = [
                        r._replace(mapping={**r.mapping, "post": "run"}) if isinstance(r, Route) and r.detail else r
                        for r in self.routes
                    ]
                    return super().get_routes(viewset)
        """,
    ))
    methods = {key for key in routes if key[1].startswith("/items/")}
    assert {m for m, _ in methods} >= {"GET", "POST", "PUT", "PATCH", "DELETE"}
    assert ("PUT", "/items/") in routes and ("DELETE", "/items/") in routes
    assert ("PUT", "/notes/") not in routes  # no bulk_update on a read-only viewset
    assert ("POST", "/notes/<pk>/") in routes and routes["POST", "/notes/<pk>/"].function == "NoteViewSet.run"
    assert routes["GET", "/"].function == "ShopRoot"
    assert ("GET", "/tags/") in routes and ("GET", "/labels/<pk>/") in routes  # registered in a loop


GATED = """
    from django.conf import settings
    from django.contrib.auth.mixins import AccessMixin
    from django.views import View

    class GateMixin(AccessMixin):
        def dispatch(self, request, *args, **kwargs):
            if settings.LOGIN_REQUIRED and not request.user.is_authenticated:
                return self.handle_no_permission()
            return super().dispatch(request, *args, **kwargs)

    class Board(GateMixin, View):
        def get(self, request):
            return board()
"""


def _gated(routes_of, value: str):
    return routes_of(project(
        urls="""
            from django.urls import path
            from shop import views

            urlpatterns = [path("board/", views.Board.as_view())]
        """,
        views=GATED,
        settings=SETTINGS + f"    LOGIN_REQUIRED = {value}\n",
    ))["GET", "/board/"]


def test_settings_gate_secure_value_authenticates_with_reason(routes_of) -> None:
    route = _gated(routes_of, 'getattr(configuration, "LOGIN_REQUIRED", True)')
    assert route.auth and route.auth_state == "authenticated" and not route.auth_condition
    step = next(s for s in route.auth_trail if s.name == "GateMixin.dispatch")
    assert step.verdict == "authenticates" and "settings.LOGIN_REQUIRED" in step.reason
    assert step.file == "shop/views.py" and step.line == 7


def test_settings_gate_unknown_value_is_conditional(routes_of) -> None:
    route = _gated(routes_of, 'load_from_database("LOGIN_REQUIRED")')
    assert not route.auth and route.auth_state == "conditional"
    assert route.auth_condition == "settings.LOGIN_REQUIRED is not true"
    assert [s.verdict for s in route.auth_trail if s.name == "GateMixin.dispatch"] == ["conditional"]


def test_settings_gate_off_is_open(routes_of) -> None:
    route = _gated(routes_of, "False")
    assert not route.auth and route.auth_state == "open"
    assert [s.verdict for s in route.auth_trail if s.name == "GateMixin.dispatch"] == ["open"]


def test_trail_lists_what_did_not_count(routes_of) -> None:
    routes = routes_of(project(
        urls="""
            from django.urls import path
            from shop import views

            urlpatterns = [path("a/", views.a), path("b/", views.b), path("api/c/", views.C.as_view())]
        """,
        views="""
            from django.contrib.auth.decorators import login_required
            from django.views.decorators.cache import never_cache
            from rest_framework.views import APIView

            @never_cache
            def a(request):
                return page()

            @login_required
            def b(request):
                return page()

            class C(APIView):
                def get(self, request):
                    return page()
        """,
        settings=SETTINGS + '    REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]}\n',
    ))
    a = routes["*", "/a/"]
    assert not a.auth and [(s.kind, s.name, s.verdict) for s in a.auth_trail] == [
        ("decorator", "@never_cache", "open")]
    b = routes["*", "/b/"]
    assert b.auth and b.auth_trail[0].kind == "decorator" and b.auth_trail[0].verdict == "authenticates"
    c = routes["GET", "/api/c/"]
    assert c.auth and any(s.kind == "settings" and s.verdict == "authenticates" for s in c.auth_trail)
