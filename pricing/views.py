"""Pricing screens: the supervisors' approval queue for adjustments over a CSR's limit."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import desk_view
from core.roles import Perm
from pricing import models as m
from pricing import selectors, services


@desk_view(Perm.SUPERVISE)
def approvals(request):
    rows = list(selectors.pending_adjustments())
    return render(request, "pricing/approvals.html", {"adjustments": rows})


@require_POST
@desk_view(Perm.SUPERVISE)
def reject(request, pk: int):
    """Approving reprices the order, so orders does it (`orders:adjustment_approve`); a rejected
    adjustment never applied, so rejecting changes pricing's row only."""
    adjustment = get_object_or_404(m.OrderAdjustment, pk=pk)
    try:
        services.reject_adjustment(
            adjustment_id=adjustment.pk,
            actor=request.user,
            comment=request.POST.get("comment", "").strip(),
        )
        messages.warning(request, f"Rejected {adjustment} on {adjustment.order}.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("pricing:approvals")
