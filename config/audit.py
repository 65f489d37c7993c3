"""The supervisors' audit screen: every audit row of every app, newest first, in one list.

Each app keeps its own audit table (an `AuditEvent`: orders, customers, pricing, catalog,
fulfillment and its stock adjustments, returns, auctions) and core keeps the job runs. Reading
across them all is only allowed at the top layer, so the screen lives here, next to the URLs
that wire the apps together. Each table is asked for at most a page of its newest matching
rows (its `occurred_at` index), and the pages are merged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from auctions.event_types import AuctionEventType
from auctions.models import AuctionEvent
from catalog.models import CatalogEvent
from core.events import EventType
from core.models import JobRun
from core.permissions import desk_view
from core.roles import Perm
from customers.models import CustomerEvent
from fulfillment.models import FulfillmentEvent, InventoryAdjustment
from orders.models import OrderEvent
from pricing.models import PricingEvent
from returns.models import ReturnEvent

PAGE = 200
OBJECT_TYPES = (
    ("order", "Order"),
    ("customer", "Customer"),
    ("sku", "SKU"),
    ("return", "Return (RMA)"),
    ("auction", "Auction"),
    ("job", "Job"),
)
JOB_RUN = "JOB_RUN"
# Auctions number their codes in their own enum (core's block 700-799); the names of both
# enums are distinct, so the type filter takes either by name.
EVENT_CODES = {t.name: t.value for t in (*EventType, *AuctionEventType)}


@dataclass
class AuditRow:
    occurred_at: dt.datetime
    app: str
    actor: str
    event: str
    object_label: str
    url: str
    details: dict


@dataclass
class AuditFilter:
    actor: str = ""
    event_type: str = ""  # an EventType or AuctionEventType name, or JOB_RUN
    object_type: str = ""
    object_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _common_q(f: AuditFilter, *, time_field: str = "occurred_at") -> Q | None:
    """Actor, type and dates on an AuditEvent table; None when the type is not one of its."""
    q = Q()
    if f.actor:
        q &= Q(actor__username__iexact=f.actor)
    if f.event_type:
        if f.event_type == JOB_RUN:
            return None
        q &= Q(event_type=EVENT_CODES[f.event_type])
    if f.date_from:
        q &= Q(**{f"{time_field}__gte": _start_of(f.date_from)})
    if f.date_to:
        q &= Q(**{f"{time_field}__lt": _start_of(f.date_to + dt.timedelta(days=1))})
    return q


def _order_q(object_id: str, field: str = "order") -> Q:
    text = object_id.strip()
    q = Q(**{f"{field}__number__iexact": text})
    return q | Q(**{f"{field}_id": int(text)}) if text.isdigit() else q


def _row(event, app: str, object_label: str, url: str) -> AuditRow:
    return AuditRow(
        event.occurred_at, app, event.actor_label, event.event_label, object_label, url, event.data
    )


def _orders(f: AuditFilter, q: Q) -> list[AuditRow]:
    if f.object_type and f.object_type != "order":
        return []
    if f.object_id:
        q &= _order_q(f.object_id)
    rows = OrderEvent.objects.filter(q).select_related("actor", "order")[:PAGE]
    return [
        _row(e, "orders", str(e.order), reverse("orders:order", args=[e.order_id])) for e in rows
    ]


def _pricing(f: AuditFilter, q: Q) -> list[AuditRow]:
    if f.object_type and f.object_type != "order":
        return []
    if f.object_id:
        q &= _order_q(f.object_id)
    rows = PricingEvent.objects.filter(q).select_related("actor", "order")[:PAGE]
    return [
        _row(
            e,
            "pricing",
            " · ".join(p for p in (str(e.order) if e.order_id else "", e.subject) if p),
            reverse("orders:order", args=[e.order_id]) if e.order_id else "",
        )
        for e in rows
    ]


def _customers(f: AuditFilter, q: Q) -> list[AuditRow]:
    if f.object_type and f.object_type != "customer":
        return []
    if f.object_id:
        text = f.object_id.strip()
        by_id = Q(customer_id=int(text)) if text.isdigit() else Q()
        q &= Q(customer__logon_id__iexact=text) | by_id
    rows = CustomerEvent.objects.filter(q).select_related("actor", "customer")[:PAGE]
    return [
        _row(e, "customers", e.customer.logon_id, reverse("customers:detail", args=[e.customer_id]))
        for e in rows
    ]


def _sku_link(sku) -> tuple[str, str]:
    return (sku.code, reverse("catalog:sku", args=[sku.code])) if sku else ("", "")


def _catalog(f: AuditFilter, q: Q) -> list[AuditRow]:
    if f.object_type and f.object_type != "sku":
        return []
    if f.object_id:
        q &= Q(sku__code__iexact=f.object_id.strip())
    rows = CatalogEvent.objects.filter(q).select_related("actor", "sku", "product")[:PAGE]
    result = []
    for e in rows:
        label, url = _sku_link(e.sku)
        result.append(_row(e, "catalog", label or str(e.product or ""), url))
    return result


def _fulfillment(f: AuditFilter, q: Q) -> list[AuditRow]:
    if f.object_type and f.object_type != "sku":
        rows = []
    else:
        stock_q = q & Q(inventory__sku__code__iexact=f.object_id.strip()) if f.object_id else q
        rows = [
            _row(e, "fulfillment", *_sku_link(e.inventory.sku))
            for e in InventoryAdjustment.objects.filter(stock_q).select_related(
                "actor", "inventory__sku"
            )[:PAGE]
        ]
    if not f.object_type:
        rows += [
            _row(e, "fulfillment", f"{e.object_type} {e.object_id or ''}".strip(), "")
            for e in FulfillmentEvent.objects.filter(q).select_related("actor")[:PAGE]
        ]
    return rows


def _returns(f: AuditFilter, q: Q) -> list[AuditRow]:
    if f.object_type and f.object_type != "return":
        return []
    if f.object_id:
        text = f.object_id.strip()
        by_id = Q(return_request_id=int(text)) if text.isdigit() else Q()
        q &= Q(return_request__rma_number__iexact=text) | by_id
    rows = ReturnEvent.objects.filter(q).select_related("actor", "return_request")[:PAGE]
    return [
        _row(
            e,
            "returns",
            str(e.return_request),
            reverse("returns:detail", args=[e.return_request_id]),
        )
        for e in rows
    ]


def _auctions(f: AuditFilter, q: Q) -> list[AuditRow]:
    if f.object_type and f.object_type != "auction":
        return []
    if f.object_id:
        text = f.object_id.strip()
        by_id = Q(auction_id=int(text)) if text.isdigit() else Q()
        q &= Q(auction__title__iexact=text) | by_id
    rows = AuctionEvent.objects.filter(q).select_related("actor", "auction")[:PAGE]
    return [
        _row(e, "auctions", str(e.auction), reverse("auctions:detail", args=[e.auction_id]))
        for e in rows
    ]


def _jobs(f: AuditFilter) -> list[AuditRow]:
    if (f.event_type and f.event_type != JOB_RUN) or (f.object_type not in ("", "job")):
        return []
    q = Q()
    if f.actor:
        q &= Q(triggered_by__iexact=f.actor)
    if f.object_id:
        q &= Q(job__iexact=f.object_id.strip())
    if f.date_from:
        q &= Q(started_at__gte=_start_of(f.date_from))
    if f.date_to:
        q &= Q(started_at__lt=_start_of(f.date_to + dt.timedelta(days=1)))
    return [
        AuditRow(
            run.started_at,
            "jobs",
            run.triggered_by or "system",
            f"Job run: {run.get_status_display().lower()}",
            run.job,
            reverse("fulfillment:ops"),
            {"counts": run.counts, "error": run.error} if run.error else {"counts": run.counts},
        )
        for run in JobRun.objects.filter(q).order_by("-started_at", "-id")[:PAGE]
    ]


def audit_events(f: AuditFilter) -> list[AuditRow]:
    """The newest PAGE audit rows across every app matching the filter."""
    rows = _jobs(f)
    q = _common_q(f)
    if q is not None:
        sources = (_orders, _pricing, _customers, _catalog, _fulfillment, _returns, _auctions)
        for source in sources:
            rows += source(f, q)
    rows.sort(key=lambda row: row.occurred_at, reverse=True)
    return rows[:PAGE]


def _date(value: str, errors: dict, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = "Use a date like 2026-11-25."
        return None


@desk_view(Perm.SUPERVISE)
def audit(request):
    params = {
        k: request.GET.get(k, "").strip()
        for k in ("actor", "event_type", "object_type", "object_id", "date_from", "date_to")
    }
    errors: dict = {}
    if params["event_type"] and params["event_type"] not in [*EVENT_CODES, JOB_RUN]:
        errors["event_type"] = "Pick a type from the list."
    if params["object_type"] and params["object_type"] not in dict(OBJECT_TYPES):
        errors["object_type"] = "Pick an object type from the list."
    filters = AuditFilter(
        actor=params["actor"],
        event_type=params["event_type"],
        object_type=params["object_type"],
        object_id=params["object_id"],
        date_from=_date(params["date_from"], errors, "date_from"),
        date_to=_date(params["date_to"], errors, "date_to"),
    )
    rows = [] if errors else audit_events(filters)
    return render(
        request,
        "audit/events.html",
        {
            "params": params,
            "errors": errors,
            "rows": rows,
            "page": PAGE,
            "event_types": [(t.name, t.label) for t in (*EventType, *AuctionEventType)]
            + [(JOB_RUN, "Job run")],
            "object_types": OBJECT_TYPES,
        },
    )
