"""Quotes: a cart whose prices and stock are held while the caller decides.

`quote_create` freezes the cart's priced lines and totals (the price lock, applied on every
reprice by `orders/price_lock.py`), keeps its allocation (the stock hold: the stale sweep skips
open quotes' lines), within the store's cap of held units per SKU (what is over it, or not in
stock, is shown as a backorder with its date), takes the limited promotions' uses (pricing
finalizes them, so a promotion that runs out meanwhile still applies to the quote) and e-mails
the customer after commit.

Converting is the cart's ordinary submit (`submit_order`): before expiry it charges the quoted
total; after, the cart is repriced and the CSR confirms the new total, shown as a diff. The
expiry job gives back the stock and the promotion uses, exactly once (SKIP LOCKED), and sends a
reminder a day before.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from core.errors import DomainError, NotFound
from core.events import EventType as E
from core.jobs import heartbeat
from core.money import ZERO, quantize
from core.permissions import require
from core.roles import Perm
from orders import allocation
from orders import integrations as ext
from orders import pricing as order_pricing
from orders.models import (
    LineInventoryStatus,
    Order,
    OrderLine,
    OrderStatus,
    Quote,
    QuoteLine,
    QuoteStatus,
    quote_number,
)
from orders.services._common import SubmitResult, _claim, _event, _reprice
from orders.services.after_submit import reorder
from orders.services.comments import order_email
from orders.services.submit import submit_order
from orders.workflow import check_quote_transition

REMIND_BEFORE = dt.timedelta(days=1)
# pg_advisory_xact_lock(namespace, sku id): quotes that hold the same SKU take turns at the cap.
_HOLD_LOCK_NAMESPACE = 22001


class QuoteRepriced(DomainError):
    """An expired quote's cart was repriced: the CSR confirms the new total with the caller."""

    code = "quote_repriced"
    http_status = 409


# --- create ----------------------------------------------------------------------------------


def max_quote_days(actor) -> int:
    """The longest expiry this person may give: supervisors more than CSRs."""
    if actor.has_perm(Perm.SUPERVISE):
        return settings.QUOTES_MAX_DAYS_SUPERVISOR
    return settings.QUOTES_MAX_DAYS_CSR


def _expiry(actor, days, now) -> dt.datetime:
    if days in (None, ""):
        days = settings.QUOTES_DEFAULT_DAYS
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise DomainError("Enter the days as a whole number.", field="days") from None
    limit = max_quote_days(actor)
    if days < 1 or days > limit:
        raise DomainError(f"A quote can be held 1 to {limit} days.", field="days")
    return now + dt.timedelta(days=days)


def _lock_skus_for_holds(sku_ids) -> None:
    """Serialize quotes holding the same SKUs (in id order), so the cap is never overrun."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for sku_id in sorted(set(sku_ids)):
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_HOLD_LOCK_NAMESPACE, sku_id])


def _held_by_open_quotes(sku_ids) -> dict[int, int]:
    return dict(
        QuoteLine.objects.filter(quote__status=QuoteStatus.OPEN, sku_id__in=list(sku_ids))
        .values("sku_id")
        .annotate(n=Sum("held"))
        .values_list("sku_id", "n")
    )


def _holds(lines: list[OrderLine], actor) -> dict[int, tuple[int, dt.date | None]]:
    """{line id: (units held, backorder date)}: each line keeps its on-hand allocation while the
    SKU's units held by open quotes stay within the cap; a line over it gives its stock back."""
    sku_ids = {line.sku_id for line in lines}
    _lock_skus_for_holds(sku_ids)
    cap = settings.QUOTES_HOLD_CAP_PER_SKU
    held_now = _held_by_open_quotes(sku_ids)
    summary = ext.held_stock(line_ids=[line.pk for line in lines])
    out: dict[int, tuple[int, dt.date | None]] = {}
    over = []
    for line in lines:
        s = summary.get(line.pk, {})
        on_hand = s.get("on_hand", 0)  # a partly backordered line holds some on hand too
        if on_hand and held_now.get(line.sku_id, 0) + on_hand > cap:
            over.append(line)
            on_hand = 0
        held_now[line.sku_id] = held_now.get(line.sku_id, 0) + on_hand
        out[line.pk] = (on_hand, s.get("expected_date"))
    for line in over:
        allocation.deallocate_line(line=line, actor=actor)
    missing = [line.sku_id for line in lines if out[line.pk][0] < line.quantity]
    if missing:
        atp = ext.availability(sku_ids=set(missing))
        for line in lines:
            held, date = out[line.pk]
            if held < line.quantity and date is None and line.sku_id in atp:
                out[line.pk] = (held, atp[line.sku_id].expected_date)
    return out


def _applied_promotions(order: Order) -> list[dict]:
    applied = (order.pricing_detail or {}).get("explanation", {}).get("applied", [])
    return [{"name": a.get("name", ""), "amount": str(a.get("amount", ""))} for a in applied]


@transaction.atomic
def quote_create(*, actor, order: Order, days=None, version=None) -> Quote:
    """Turn the cart into a quote (the Q key on the cart screen)."""
    require(actor, Perm.USE_DESK, "quote carts")
    now = timezone.now()
    expires_at = _expiry(actor, days, now)
    cart = _claim(order, version)
    existing = Quote.objects.filter(order=cart).first()
    if existing is not None:
        raise DomainError(
            f"This cart is already quote {existing} ({existing.get_status_display()})."
        )
    if not OrderLine.objects.filter(order=cart).exists():
        raise DomainError("Add at least one item before quoting.", field="lines")
    if ext.awaiting_approval(order_id=cart.pk):
        raise DomainError(
            "An adjustment on this cart waits for a supervisor's approval: have it approved or "
            "remove it before quoting.",
            field="adjustment",
        )
    allocation.refresh_cart_allocation(order=cart, actor=actor)
    _reprice(cart, actor)
    # The limited promotions' uses are taken now: a promotion that runs out before the caller
    # decides still applies to this quote (given back on expiry or cancel).
    order_pricing.finalize_pricing(order=cart, actor=actor)
    lines = list(OrderLine.objects.filter(order=cart).select_related("sku").order_by("pk"))
    holds = _holds(lines, actor)
    quote = Quote.objects.create(
        order=cart,
        expires_at=expires_at,
        currency=cart.currency,
        subtotal=cart.subtotal,
        discount_total=cart.discount_total,
        shipping_total=cart.shipping_total,
        tax_total=cart.tax_total,
        total=cart.total,
        promotions=_applied_promotions(cart),
        email=order_email(cart) or "",
        created_by=actor,
    )
    quote.number = quote_number(quote.pk)
    Quote.objects.filter(pk=quote.pk).update(number=quote.number)
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(
                quote=quote,
                line=line,
                sku_id=line.sku_id,
                quantity=line.quantity,
                is_gift=line.is_gift,
                unit_price=line.unit_price,
                discount_total=line.discount_total,
                line_total=line.line_total,
                held=holds[line.pk][0],
                backorder_date=None if holds[line.pk][0] >= line.quantity else holds[line.pk][1],
            )
            for line in lines
        ]
    )
    _event(
        cart,
        E.QUOTE_CREATED,
        actor,
        number=quote.number,
        total=str(quote.total),
        expires_at=expires_at.isoformat(),
        not_held=[line.sku.code for line in lines if holds[line.pk][0] < line.quantity],
    )
    _queue_email(quote.pk, "created")
    return quote


def _queue_email(quote_id: int, kind: str) -> None:
    from orders import tasks  # tasks import these services

    transaction.on_commit(lambda: tasks.send_quote_email.delay(quote_id, kind))


# --- close: cancel, expire -------------------------------------------------------------------


def _give_back(quote: Quote, actor) -> None:
    """The quote's stock and promotion uses go back (the cart stays, priced as any cart)."""
    lines = allocation.lock_lines(
        order_id=quote.order_id,
        inventory_status__in=[LineInventoryStatus.ALLOCATED, LineInventoryStatus.BACKORDERED],
    )
    if lines:
        allocation.release_lines(lines, actor=actor)
    order_pricing.release_pricing(order=quote.order, actor=actor)
    QuoteLine.objects.filter(quote=quote).update(held=0)


def _cart_state(quote: Quote) -> tuple[str, str | None]:
    """The quoted cart's status and number, read under its row lock (quote, then cart: the
    order every quote path takes them in)."""
    return Order.objects.select_for_update().values_list("status", "number").get(pk=quote.order_id)


def _close(quote: Quote, target: str, actor, event_type: E, **data) -> None:
    """Move the (locked) quote to `target`, giving back what an open one holds while its cart
    is a cart (a canceled cart gave it back already)."""
    check_quote_transition(quote.status, target)
    if quote.status == QuoteStatus.OPEN and _cart_state(quote)[0] == OrderStatus.PENDING:
        _give_back(quote, actor)
    old = quote.status
    quote.status, quote.closed_at = target, timezone.now()
    Quote.objects.filter(pk=quote.pk).update(status=target, closed_at=quote.closed_at)
    _event(quote.order, event_type, actor, number=quote.number, old=old, new=target, **data)


def _locked_quote(quote: Quote | int) -> Quote:
    pk = quote if isinstance(quote, int) else quote.pk
    found = Quote.objects.select_for_update(of=("self",)).select_related("order").filter(pk=pk)
    locked = found.first()
    if locked is None:
        raise NotFound("This quote does not exist.")
    return locked


@transaction.atomic
def quote_cancel(*, actor, quote: Quote | int, reason: str = "") -> Quote:
    """Cancel the quote: its stock and promotion uses go back; the cart stays a cart."""
    require(actor, Perm.USE_DESK, "cancel quotes")
    locked = _locked_quote(quote)
    check_quote_transition(locked.status, QuoteStatus.CANCELED)
    status, number = _cart_state(locked)
    if status not in (OrderStatus.PENDING, OrderStatus.CANCELED):
        raise DomainError(
            f"Quote {locked} was submitted as order {number or locked.order}: cancel the order "
            "instead."
        )
    _close(locked, QuoteStatus.CANCELED, actor, E.QUOTE_CANCELED, reason=reason[:200])
    return locked


@transaction.atomic
def quote_extend(*, actor, quote: Quote | int, days) -> Quote:
    """Change an open quote's expiry to `days` after it was made, within the person's limit."""
    require(actor, Perm.USE_DESK, "change quotes")
    locked = _locked_quote(quote)
    if locked.status != QuoteStatus.OPEN:
        raise DomainError(f"Quote {locked} is {locked.get_status_display().lower()}.")
    new = _expiry(actor, days, locked.created_at)
    if new <= timezone.now():
        raise DomainError("That expiry has already passed.", field="days")
    old = locked.expires_at
    locked.expires_at = new
    Quote.objects.filter(pk=locked.pk).update(
        expires_at=new, reminded_at=None if new > old else locked.reminded_at
    )
    _event(
        locked.order,
        E.QUOTE_EXPIRY_CHANGED,
        actor,
        number=locked.number,
        old=old.isoformat(),
        new=new.isoformat(),
    )
    return locked


def _expire_one(quote_id: int, now) -> bool:
    """Expire one quote past its date; False if another worker has it or it is closed."""
    with transaction.atomic():
        quote = (
            Quote.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order")
            .filter(pk=quote_id, status=QuoteStatus.OPEN, expires_at__lte=now)
            .first()
        )
        if quote is None:
            return False
        status, number = _cart_state(quote)
        if status == OrderStatus.SUBMITTED:
            return False  # a submit is under way: it places the order or gives the cart back
        if status not in (OrderStatus.PENDING, OrderStatus.CANCELED):
            # The cart was submitted on the review screen, not through the quote: it is placed.
            Quote.objects.filter(pk=quote.pk).update(
                status=QuoteStatus.CONVERTED, closed_at=timezone.now()
            )
            _event(quote.order, E.QUOTE_CONVERTED, None, number=quote.number, order_number=number)
            return False
        _close(quote, QuoteStatus.EXPIRED, None, E.QUOTE_EXPIRED)
        return True


def expire_quotes(*, now=None, limit: int = 1000, progress=None) -> int:
    """The beat job: quotes past their date expire (stock and promotion uses go back), one
    transaction each, SKIP LOCKED (two workers never expire one quote twice)."""
    now = now or timezone.now()
    due = list(
        Quote.objects.filter(status=QuoteStatus.OPEN, expires_at__lte=now)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for quote_id in due:
        if _expire_one(quote_id, now):
            expired += 1
            heartbeat()
            if progress:
                progress(expired)
    return expired


@transaction.atomic
def remind_quotes(*, now=None, limit: int = 1000) -> int:
    """Quotes expiring within a day get one reminder e-mail (after commit)."""
    now = now or timezone.now()
    due = list(
        Quote.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("order")
        .filter(
            status=QuoteStatus.OPEN,
            reminded_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + REMIND_BEFORE,
        )
        .exclude(email="")
        .order_by("pk")[:limit]
    )
    Quote.objects.filter(pk__in=[q.pk for q in due]).update(reminded_at=now)
    for quote in due:
        _event(quote.order, E.QUOTE_REMINDED, None, number=quote.number, to=quote.email)
        _queue_email(quote.pk, "reminder")
    return len(due)


# --- convert, copy ---------------------------------------------------------------------------


def reprice_diff(quote: Quote, order: Order) -> list[str]:
    """What changed from the quoted prices to the cart's prices now, one sentence each
    ("Spring sale ended: +4.20")."""
    now_applied = {a["name"]: Decimal(a["amount"]) for a in _applied_promotions(order)}
    quoted = {a["name"]: Decimal(a["amount"]) for a in quote.promotions}
    diff = []
    for name, amount in quoted.items():
        if name not in now_applied:
            diff.append(f"{name} ended: +{amount}")
        elif now_applied[name] != amount:
            change = amount - now_applied[name]
            diff.append(f"{name} changed: {'+' if change >= 0 else ''}{change}")
    for name, amount in now_applied.items():
        if name not in quoted:
            diff.append(f"{name} now applies: -{amount}")
    now_prices = dict(
        OrderLine.objects.filter(order=order, is_gift=False).values_list("pk", "unit_price")
    )
    for ql in quote.lines.filter(is_gift=False).select_related("sku"):
        price = now_prices.get(ql.line_id)
        if price is not None and price != ql.unit_price:
            change = (price - ql.unit_price) * ql.quantity
            diff.append(
                f"{ql.sku.code} price {ql.unit_price} → {price}: "
                f"{'+' if change >= 0 else ''}{change}"
            )
    total_change = order.total - quote.total
    if total_change != ZERO:
        diff.append(
            f"Total {quote.total} → {order.total}: {'+' if total_change >= 0 else ''}{total_change}"
        )
    return diff


def _confirmed(value, currency) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return quantize(Decimal(str(value)), currency)
    except (InvalidOperation, ValueError):
        raise DomainError("The confirmed total is not a number.", field="confirmed_total") from None


def _expired_reprice(actor, quote: Quote) -> tuple[Order, list[str]]:
    """The expired quote's cart repriced now (its hold given back first), with the diff."""
    with transaction.atomic():
        locked = _locked_quote(quote)
        if locked.status == QuoteStatus.OPEN:
            _close(locked, QuoteStatus.EXPIRED, None, E.QUOTE_EXPIRED)
        cart = _claim(locked.order_id, None)
        _reprice(cart, actor)
        diff = reprice_diff(locked, cart)
        _event(
            cart, E.QUOTE_REPRICED, actor, number=locked.number, diff=diff, total=str(cart.total)
        )
    return cart, diff


def quote_convert(
    *, actor, quote: Quote | int, idempotency_key: str, confirmed_total=None
) -> SubmitResult:
    """Convert the quote to an order: the cart's ordinary submit with the caller's card.

    Open and not past its date: the quoted total is charged (the price lock). Past its date:
    the cart is repriced; without `confirmed_total` equal to the new total, QuoteRepriced says
    what changed (the CSR confirms with the caller and converts again with it)."""
    require(actor, Perm.USE_DESK, "convert quotes")
    found = Quote.objects.select_related("order").filter(pk=getattr(quote, "pk", quote)).first()
    if found is None:
        raise NotFound("This quote does not exist.")
    if found.status == QuoteStatus.CONVERTED:  # a retried convert gets its submit's answer
        return submit_order(actor=actor, order=found.order, idempotency_key=idempotency_key)
    check_quote_transition(found.status, QuoteStatus.CONVERTED)
    if found.status == QuoteStatus.OPEN and found.expires_at > timezone.now():
        expected = found.total
    else:
        confirmed = _confirmed(confirmed_total, found.currency)
        cart, diff = _expired_reprice(actor, found)
        if confirmed is None or confirmed != cart.total:
            raise QuoteRepriced(
                f"Quote {found.number} expired: the prices were checked again and the total is "
                f"now {cart.total} {cart.currency} (quoted {found.total}). Confirm with the caller "
                "and convert again.",
                extra={"total": str(cart.total), "quoted_total": str(found.total), "diff": diff},
            )
        expected = cart.total
    result = submit_order(
        actor=actor, order=found.order, idempotency_key=idempotency_key, expected_total=expected
    )
    if result.placed:
        _mark_converted(found.pk, result.order, actor)
    return result


@transaction.atomic
def _mark_converted(quote_id: int, order: Order, actor) -> None:
    locked = _locked_quote(quote_id)
    if locked.status == QuoteStatus.CONVERTED:
        return  # a repeated convert
    check_quote_transition(locked.status, QuoteStatus.CONVERTED)
    now = timezone.now()
    Quote.objects.filter(pk=locked.pk).update(status=QuoteStatus.CONVERTED, closed_at=now)
    _event(order, E.QUOTE_CONVERTED, actor, number=locked.number, order_number=order.number)


@transaction.atomic
def quote_copy(*, actor, quote: Quote | int) -> Order:
    """A new cart with the quote's items, priced and allocated as any cart (the quote stays)."""
    require(actor, Perm.USE_DESK, "copy quotes")
    found = Quote.objects.select_related("order").filter(pk=getattr(quote, "pk", quote)).first()
    if found is None:
        raise NotFound("This quote does not exist.")
    cart = reorder(actor=actor, order=found.order)
    _event(cart, E.QUOTE_COPIED, actor, number=found.number)
    return cart


# --- e-mail ----------------------------------------------------------------------------------


def quote_email_send(*, quote_id: int, kind: str = "created") -> bool:
    """Send the quote (or its reminder) to the customer; the task calls this after commit."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    quote = Quote.objects.select_related("order").get(pk=quote_id)
    if not quote.email or quote.status != QuoteStatus.OPEN:
        return False
    if kind == "created" and quote.emailed_at is not None:
        return False
    lines = list(quote.lines.select_related("sku").order_by("pk"))
    body = render_to_string(
        "orders/email/quote.txt", {"quote": quote, "lines": lines, "reminder": kind == "reminder"}
    )
    subject = (
        f"Reminder: your quote {quote.number} expires soon — {settings.STORE_NAME}"
        if kind == "reminder"
        else f"Your quote {quote.number} — {settings.STORE_NAME}"
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [quote.email])
    if kind == "created":
        Quote.objects.filter(pk=quote.pk).update(emailed_at=timezone.now())
    _event(quote.order, E.QUOTE_EMAILED, None, number=quote.number, to=quote.email, kind=kind)
    return True
