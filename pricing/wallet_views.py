"""The customer page's wallet card (loaded into the customers app's page by htmx, since
customers cannot know pricing) and the appeasement coupon a CSR issues from it."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import desk_view
from core.roles import Perm, StaffPerm
from customers.models import Customer
from pricing import models as m
from pricing import selectors, services


class AppeasementForm(forms.Form):
    promotion = forms.ModelChoiceField(
        queryset=m.Promotion.objects.filter(is_coupon=True, is_active=True).order_by("name"),
        label="Coupon",
        empty_label=None,
    )
    reason = forms.CharField(max_length=200, label="Why")


@desk_view(Perm.USE_DESK)
def wallet(request, customer_id: int):
    customer = get_object_or_404(Customer, pk=customer_id)
    context = {
        "customer": customer,
        "coupons": list(selectors.wallet(customer=customer)),
        "form": AppeasementForm(prefix="appease")
        if request.user.has_perm(StaffPerm.ISSUE_APPEASEMENT)
        else None,
    }
    return render(request, "pricing/_wallet.html", context)


@require_POST
@desk_view(StaffPerm.ISSUE_APPEASEMENT)
def issue_appeasement(request, customer_id: int):
    customer = get_object_or_404(Customer, pk=customer_id)
    form = AppeasementForm(request.POST, prefix="appease")
    if not form.is_valid():
        messages.error(request, "Choose a coupon and say why.")
        return redirect("customers:detail", customer.pk)
    try:
        coupon = services.issue_appeasement_coupon(
            promotion=form.cleaned_data["promotion"],
            customer=customer,
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Coupon {coupon.code} ({coupon.promotion}) is in {customer.full_name}'s wallet.",
        )
    return redirect("customers:detail", customer.pk)
