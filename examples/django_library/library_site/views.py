"""Site-wide views."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness probe for the load balancer."""
    return JsonResponse({"status": "ok"})
