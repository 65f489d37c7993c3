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


def _decide(request, pk: int, approve: bool):
    adjustment = get_object_or_404(m.OrderAdjustment, pk=pk)
    try:
        if approve:
            services.approve_adjustment(adjustment=adjustment, actor=request.user)
            messages.success(request, f"Approved {adjustment} on {adjustment.order}.")
        else:
            services.reject_adjustment(
                adjustment=adjustment,
                actor=request.user,
                comment=request.POST.get("comment", "").strip(),
            )
            messages.warning(request, f"Rejected {adjustment} on {adjustment.order}.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("pricing:approvals")


@require_POST
@desk_view(Perm.SUPERVISE)
def approve(request, pk: int):
    return _decide(request, pk, approve=True)


@require_POST
@desk_view(Perm.SUPERVISE)
def reject(request, pk: int):
    return _decide(request, pk, approve=False)
