"""The Django/DRF runtime oracle on a small project written here: handlers, lines and auth."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("django")
pytest.importorskip("rest_framework")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "oracle" / "django_routes.py"

SETTINGS = """
SECRET_KEY = "oracle-test"
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
                  "rest_framework"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "site_views.MembersOnly"]
ROOT_URLCONF = "site_urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
LOGIN_URL = "/login/"
OPEN_SHOP = False
REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]}
"""

VIEWS = """
import functools

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.views import View
from rest_framework import permissions, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.response import Response
from rest_framework.views import APIView


class MembersOnly:
    # A project middleware that gates a path prefix in __call__ (no process_view).

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/members/") and not request.user.is_authenticated:
            return HttpResponse(status=401)
        return self.get_response(request)


def logged(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return view(request, *args, **kwargs)
    return wrapper


@login_required
@logged
def private(request):
    return HttpResponse("private")


def public(request, pk):
    return HttpResponse("public")


class Base(View):
    def get(self, request):
        return HttpResponse("base")


class Page(LoginRequiredMixin, Base):
    def post(self, request):
        return HttpResponse("post")


class ShopGate:
    def dispatch(self, request, *args, **kwargs):
        if not settings.OPEN_SHOP and not request.user.is_authenticated:
            return HttpResponse(status=401)
        return super().dispatch(request, *args, **kwargs)


class Shop(ShopGate, View):
    def get(self, request):
        return HttpResponse("shop")


class Things(viewsets.ViewSet):
    def list(self, request):
        return Response([])

    @action(detail=False, methods=["get"], permission_classes=[permissions.AllowAny])
    def count(self, request):
        return Response(0)


class Status(APIView):
    def get(self, request):
        return Response({})


@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def ping(request):
    return Response("pong")
"""

URLS = """
from django.urls import include, path
from rest_framework.routers import DefaultRouter

import site_views as v

router = DefaultRouter()
router.register("things", v.Things, basename="thing")

urlpatterns = [
    path("private/", v.private),
    path("public/<int:pk>/", v.public),
    path("page/", v.Page.as_view()),
    path("members/<int:pk>/", v.public),
    path("shop/", v.Shop.as_view()),
    path("status/", v.Status.as_view()),
    path("ping/", v.ping),
    path("api/", include(router.urls)),
]
"""


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.strip().startswith(needle))


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "site_settings.py").write_text(textwrap.dedent(SETTINGS))
    (root / "site_views.py").write_text(textwrap.dedent(VIEWS))
    (root / "site_urls.py").write_text(textwrap.dedent(URLS))
    out = root / "out.json"
    subprocess.run([sys.executable, str(SCRIPT), "--settings", "site_settings", "--root", str(root),
                    "--name", "site", "--out", str(out), "--flip", "OPEN_SHOP=True"],
                   check=True, capture_output=True, text=True, timeout=120)
    doc = json.loads(out.read_text())
    by = {}
    for rec in doc["routes"]:
        by[(rec["path"], rec["methods"][0])] = rec
    return doc, by, VIEWS


def test_format_and_function_views(oracle):
    doc, by, views = oracle
    assert doc["framework"] == "django" and doc["app"] == "site"
    private = by[("/private/", "*")]
    assert (private["file"], private["line"]) == ("site_views.py", _line(views, "def private"))
    assert private["auth"] is True and private["auth_via"] == ["login_required"]
    public = by[("/public/<int:pk>/", "*")]
    assert public["auth"] is False and public["library"] is False


def test_middleware_gate_in_call(oracle):
    _doc, by, _views = oracle
    members = by[("/members/<int:pk>/", "*")]
    assert members["auth"] is True and members["auth_via"] == ["MembersOnly"]


def test_class_view_inherited_method_takes_the_class_line(oracle):
    _doc, by, views = oracle
    get = by[("/page/", "GET")]
    assert get["line"] == _line(views, "class Page(")
    assert get["alt"] == [["site_views.py", _line(views, "def get")]]
    post = by[("/page/", "POST")]
    assert post["line"] == _line(views, "def post")
    assert post["alt"] == [["site_views.py", _line(views, "class Page(")]]
    assert get["auth"] is True and get["auth_via"] == ["LoginRequiredMixin"]


def test_project_dispatch_gate_and_its_condition(oracle):
    _doc, by, _views = oracle
    shop = by[("/shop/", "GET")]
    assert shop["auth"] is True and shop["auth_via"] == ["ShopGate"]
    assert "conditional: open when OPEN_SHOP=True" in shop["notes"]


def test_drf_permissions(oracle):
    _doc, by, views = oracle
    listing = by[("/api/things/", "GET")]
    assert listing["line"] == _line(views, "def list")
    assert listing["auth"] is True and listing["auth_via"] == ["IsAuthenticated"]
    count = by[("/api/things/count/", "GET")]
    assert count["auth"] is False
    assert by[("/status/", "GET")]["auth"] is True
    ping = by[("/ping/", "GET")]
    assert ping["line"] == _line(views, "def ping") and ping["auth"] is False
    assert not any("format" in path for path, _method in by)
    root = by[("/api/", "GET")]
    assert root["library"] is True
