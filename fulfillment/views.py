"""The Inventory screen for operations: find stock, adjust it, receive expected deliveries."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import desk_view
from core.roles import Perm
from fulfillment import sweep as stale_sweep
from fulfillment.inventory import selectors, stock
from fulfillment.models import AdjustmentReason, ExpectedInventory, FulfillmentCenter


class AdjustForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=60)
    center = forms.ModelChoiceField(
        FulfillmentCenter.objects.filter(is_active=True), to_field_name="code", label="Center"
    )
    quantity = forms.IntegerField(label="Change (+/-)", help_text="+ adds, - removes")
    reason = forms.ChoiceField(choices=AdjustmentReason.choices)
    note = forms.CharField(required=False, max_length=200)


def _duration(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes else [])
    return " ".join(parts) or "0 min"


def _rows(request):
    query = request.GET.get("q", "").strip()
    center = request.GET.get("center", "")
    low = request.GET.get("low") == "1"
    qs = selectors.inventory_list()
    if query:
        qs = qs.filter(Q(sku__code__istartswith=query) | Q(sku__name__icontains=query))
    if center:
        qs = qs.filter(center__code=center)
    if low:
        qs = qs.filter(available_qty__lte=2)
    qs = qs.order_by("sku__code", "center__precedence")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return {"page": page, "query": query, "center": center, "low": low}


@desk_view(Perm.RUN_OPERATIONS)
def inventory(request):
    context = _rows(request)
    if request.htmx:
        return render(request, "fulfillment/_rows.html", context)
    context.update(
        {
            "form": AdjustForm(initial={"center": "TOR"}),
            "centers": FulfillmentCenter.objects.filter(is_active=True),
            "expected": ExpectedInventory.objects.filter(received_quantity__lt=F("quantity"))
            .select_related("sku", "center", "vendor")
            .order_by("expected_date")[:12],
            "good_for": _duration(stale_sweep.allocation_good_for()),
        }
    )
    return render(request, "fulfillment/inventory.html", context)


@require_POST
@desk_view(Perm.RUN_OPERATIONS)
def adjust(request):
    form = AdjustForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            adj = stock.adjust_inventory(
                actor=request.user,
                sku=data["sku"].strip(),
                center=data["center"],
                quantity=data["quantity"],
                reason=data["reason"],
                note=data["note"],
            )
        except DomainError as exc:
            messages.error(request, f"Nothing changed: {exc.message}")
        else:
            messages.success(
                request,
                f"{adj.data['sku']} in {adj.data['center']}: on hand "
                f"{adj.on_hand_before} → {adj.on_hand_after} ({adj.get_reason_display()}).",
            )
    else:
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        messages.error(request, f"Nothing changed: {errors}")
    return redirect("fulfillment:inventory")


@require_POST
@desk_view(Perm.RUN_OPERATIONS)
def receive(request, pk: int):
    expected = get_object_or_404(ExpectedInventory.objects.select_related("sku", "center"), pk=pk)
    try:
        quantity = int(request.POST.get("quantity", ""))
    except ValueError:
        messages.error(request, "Nothing received: enter the quantity that arrived.")
        return redirect("fulfillment:inventory")
    try:
        stock.receive_expected(actor=request.user, expected=expected, quantity=quantity)
    except DomainError as exc:
        messages.error(request, f"Nothing received: {exc.message}")
    else:
        messages.success(
            request,
            f"Received {quantity} × {expected.sku.code} into {expected.center.code}; "
            "waiting backorders are being allocated.",
        )
    return redirect("fulfillment:inventory")


@require_POST
@desk_view(Perm.RUN_OPERATIONS)
def sweep(request):
    released = stale_sweep.sweep_stale_allocations()
    messages.success(request, f"Stale-allocation sweep: {released} cart lines released.")
    return redirect("fulfillment:inventory")
