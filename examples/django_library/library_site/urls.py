"""Top-level URL configuration."""

from django.urls import include, path

from library_site.views import health

urlpatterns = [
    path("health/", health, name="health"),
    path("catalog/", include("catalog.urls")),
    path("api/", include("catalog.api_urls")),
]
