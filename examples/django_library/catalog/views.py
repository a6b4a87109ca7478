"""Server-rendered pages for staff and members."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from catalog import services


@require_GET
@login_required
def dashboard(request: HttpRequest) -> JsonResponse:
    """The logged-in member's loan counts."""
    member = getattr(request.user, "member", None)
    if member is None:
        raise Http404("No library card for this account")
    return JsonResponse(services.member_summary(member))


@require_GET
def member_card(request: HttpRequest, pk: int) -> JsonResponse:
    """Data printed on a member's library card."""
    member = services.get_member(pk)
    if member is None:
        raise Http404("No such member")
    return JsonResponse({"name": member.user.get_full_name(), "card_number": member.card_number})
