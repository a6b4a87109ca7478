"""Site-wide views."""

from django.http import HttpRequest, JsonResponse


def health(request: HttpRequest) -> JsonResponse:
    """Liveness probe for the load balancer."""
    return JsonResponse({"status": "ok"})
