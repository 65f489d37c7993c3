"""Approving an adjustment from pricing's approval queue: it reprices the order, so orders
does it (rejecting one changes only pricing's row and stays in `pricing.views`)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import desk_view
from core.roles import Perm
from orders import services


@require_POST
@desk_view(Perm.SUPERVISE)
def adjustment_approve(request, pk: int):
    try:
        adjustment = services.adjustment_approve(actor=request.user, adjustment_id=pk)
        messages.success(request, f"Approved {adjustment} on {adjustment.order}.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("pricing:approvals")
