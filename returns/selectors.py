"""Reads of the returns app, shared by the screens, the API and the services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.money import ZERO
from customers import credit
from fulfillment.models import ReleaseLine, Shipment, ShipmentLine
from orders.models import Order, OrderLine
from returns import refunds
from returns.models import ReturnLine, ReturnReason, ReturnRequest, ReturnStatus
from returns.workflow import ACTIVE


def shipped_quantities(line_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        ReleaseLine.objects.filter(line_id__in=list(line_ids))
        .values("line_id")
        .annotate(shipped=Sum("shipped_quantity"))
        .values_list("line_id", "shipped")
    )


def returned_quantities(line_ids: Iterable[int], *, exclude_line_id=None) -> dict[int, int]:
    """Units of these order lines on returns that still hold them (not denied or expired)."""
    qs = ReturnLine.objects.filter(
        order_line_id__in=list(line_ids), return_request__status__in=ACTIVE
    )
    if exclude_line_id is not None:
        qs = qs.exclude(pk=exclude_line_id)
    return dict(
        qs.values("order_line_id").annotate(n=Sum("quantity")).values_list("order_line_id", "n")
    )


def last_shipped_at(line_ids: Iterable[int]) -> dict[int, object]:
    return dict(
        ShipmentLine.objects.filter(release_line__line_id__in=list(line_ids))
        .values("release_line__line_id")
        .annotate(at=Max("shipment__shipped_at"))
        .values_list("release_line__line_id", "at")
    )


def shipped_from_center(order_line_id: int) -> int | None:
    """The center a line shipped from: its goods come back there."""
    return (
        ReleaseLine.objects.filter(line_id=order_line_id, shipped_quantity__gt=0)
        .order_by("pk")
        .values_list("center_id", flat=True)
        .first()
    )


def line_tax_shares(order: Order) -> dict[int, Decimal]:
    """Each order line's share of the order's tax on goods (see returns/refunds.py)."""
    lines = list(
        OrderLine.objects.filter(order=order).order_by("pk").values_list("pk", "line_total")
    )
    tax = refunds.goods_tax(
        tax_total=order.tax_total,
        shipping_charges=(order.pricing_detail or {}).get("shipping") or [],
        currency=order.currency,
    )
    shares = refunds.tax_shares(
        goods_tax=tax, line_totals=[total for _, total in lines], currency=order.currency
    )
    return {pk: share for (pk, _), share in zip(lines, shares, strict=True)}


def captured_shipments(order_id: int) -> QuerySet[Shipment]:
    return Shipment.objects.filter(
        order_id=order_id, capture_status=Shipment.Capture.CAPTURED, amount__gt=0
    ).order_by("-pk")


@dataclass
class ReturnableLine:
    line: OrderLine
    shipped: int
    returned: int
    unit_refund: Decimal  # what the next unit returned would refund (merchandise and tax)

    @property
    def returnable(self) -> int:
        return max(self.shipped - self.returned, 0)


def returnable_lines(order: Order) -> list[ReturnableLine]:
    """The order's lines with what shipped, what is already on returns, and the next unit's
    refund: what the CSR picks from."""
    lines = list(OrderLine.objects.filter(order=order).select_related("sku").order_by("pk"))
    ids = [x.pk for x in lines]
    shipped, returned = shipped_quantities(ids), returned_quantities(ids)
    taxes = line_tax_shares(order)
    rows = []
    for line in lines:
        done = returned.get(line.pk, 0)
        unit = ZERO
        if done < line.quantity:
            unit = refunds.refund_for_units(
                line_total=line.line_total,
                tax_share=taxes[line.pk],
                quantity=line.quantity,
                already_returned=done,
                count=1,
                currency=order.currency,
            ).total
        rows.append(ReturnableLine(line, shipped.get(line.pk, 0), done, unit))
    return rows


def return_get(return_id) -> ReturnRequest | None:
    return (
        ReturnRequest.objects.select_related("order", "customer", "created_by")
        .filter(pk=return_id)
        .first()
    )


def return_lines(return_request: ReturnRequest) -> list[ReturnLine]:
    return list(
        ReturnLine.objects.filter(return_request=return_request).select_related(
            "sku", "reason", "order_line"
        )
    )


@dataclass(frozen=True)
class RefundSummary:
    merchandise: Decimal
    tax: Decimal
    lines: Decimal  # the lines' refunds
    clawback: Decimal  # what the kept goods no longer earn
    shipping: Decimal  # the shipping charge with its tax, when the policy refunds it
    total: Decimal
    store_credit: Decimal
    original_payment: Decimal


def refund_summary(return_request: ReturnRequest) -> RefundSummary:
    """ "Calculate refund amount": the lines' refunds less the clawback, and how it is paid."""
    cents = Value(Decimal("0.00"))  # not ZERO: "0.00" on the screens and in the e-mail
    sums = ReturnLine.objects.filter(return_request=return_request).aggregate(
        m=Coalesce(Sum("merchandise_amount"), cents),
        t=Coalesce(Sum("tax_amount"), cents),
        r=Coalesce(Sum("refund_amount"), cents),
    )
    lines = sums["r"]
    clawback = min(return_request.clawback_amount, lines)
    total = lines - clawback + return_request.shipping_amount
    credit = store_credit_part(return_request, total)
    if return_request.refund_method == "exchange":  # the replacement order is the refund
        return RefundSummary(
            sums["m"], sums["t"], lines, clawback, return_request.shipping_amount, total, ZERO, ZERO
        )
    return RefundSummary(
        sums["m"],
        sums["t"],
        lines,
        clawback,
        return_request.shipping_amount,
        total,
        credit,
        total - credit,
    )


def taken_by_other_returns(order_id: int, *, exclude_return_id: int) -> dict[str, Decimal]:
    """The clawback and shipping refund the order's other returns hold already."""
    sums = (
        ReturnRequest.objects.filter(order_id=order_id, status__in=ACTIVE)
        .exclude(pk=exclude_return_id)
        .aggregate(clawback=Sum("clawback_amount"), shipping=Sum("shipping_amount"))
    )
    return {k: v if v is not None else ZERO for k, v in sums.items()}


def shipping_charge(order: Order) -> Decimal:
    """The order's shipping charge with its tax: what refunding shipping gives back."""
    tax = refunds.goods_tax(
        tax_total=order.tax_total,
        shipping_charges=(order.pricing_detail or {}).get("shipping") or [],
        currency=order.currency,
    )
    return order.shipping_total + order.tax_total - tax


def everything_shipped_is_back(order: Order) -> bool:
    """Every unit shipped is on an active return (so the shipping can be refunded)."""
    ids = list(OrderLine.objects.filter(order=order).values_list("pk", flat=True))
    shipped, returned = shipped_quantities(ids), returned_quantities(ids)
    return any(shipped.values()) and all(returned.get(k, 0) >= n for k, n in shipped.items())


def store_credit_part(return_request: ReturnRequest, total: Decimal) -> Decimal:
    method = return_request.refund_method
    if method == "store_credit":
        return total
    if method == "mixed":
        return min(return_request.store_credit_amount, total)
    return ZERO


def return_list(
    *, query: str = "", status: str = "", order_id=None, customer_id=None
) -> QuerySet[ReturnRequest]:
    """Find returns: by RMA number, order number, customer or guest name, e-mail."""
    qs = ReturnRequest.objects.select_related("order", "customer").annotate(
        refund_total=Coalesce(Sum("lines__refund_amount"), ZERO)
        - F("clawback_amount")
        + F("shipping_amount")
    )
    if query:
        q = query.strip()
        qs = qs.filter(
            Q(rma_number__iexact=q)
            | Q(order__number__iexact=q)
            | Q(customer__last_name__istartswith=q)
            | Q(guest_last_name__istartswith=q)
            | Q(customer__email__iexact=q)
            | Q(guest_email__iexact=q)
        )
    if status:
        qs = qs.filter(status=status)
    if order_id:
        qs = qs.filter(order_id=order_id)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-created_at", "-id")


def stuck_before(now=None):
    """A return "refunding" since before this moment was left so by a worker that died."""
    return (now or timezone.now()) - timedelta(minutes=settings.RETURNS_REFUND_STUCK_MINUTES)


def refunds_needing_attention(now=None) -> QuerySet[ReturnRequest]:
    """The payment-attention list's returns: refunds that failed, and refunds stuck in
    "refunding" (their worker died; the recovery job or a retry finishes them)."""
    stuck = Q(status=ReturnStatus.REFUNDING, modified_at__lt=stuck_before(now))
    return return_list().filter(Q(status=ReturnStatus.REFUND_FAILED) | stuck).order_by("pk")


def supervisor_queue() -> QuerySet[ReturnRequest]:
    return return_list(status=ReturnStatus.PENDING_APPROVAL).order_by("created_at", "id")


def receiving_queue() -> QuerySet[ReturnRequest]:
    return return_list(status=ReturnStatus.APPROVED).order_by("approved_at", "id")


def active_reasons() -> QuerySet[ReturnReason]:
    return ReturnReason.objects.filter(is_active=True)


def store_credit_balance(customer_id: int) -> Decimal:
    """The customer's store credit (customers own the ledger: returns credit it, orders spend
    it)."""
    return credit.store_credit_balance(customer_id)
