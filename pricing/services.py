"""Pricing's write paths: reprice an order, codes, coupons, CSR adjustments, promotion usage.

Every function takes keyword arguments and the acting staff user, runs in one transaction,
checks permissions with `core.permissions.require` and writes a PricingEvent for every change a
person makes. `reprice_order` is called by orders after each cart change; the code, coupon and
adjustment services change what is attached to the order and leave the repricing to the caller
(orders reprices right after), except where noted.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import authenticate
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.errors import DomainError, NotAllowed, NotFound
from core.events import EventType as E
from core.money import ZERO, quantize
from core.permissions import require
from core.roles import Perm, StaffPerm
from pricing import engine, loader
from pricing import models as m
from pricing.engine import PricedOrder


class PricingChanged(DomainError):
    """The order's pricing changed under the CSR (a promotion ran out): review, then submit.

    `priced` holds the new price. Raised before anything is consumed.
    """

    code = "pricing_changed"
    http_status = 409

    def __init__(self, message: str, *, priced: PricedOrder | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.priced = priced


class ApprovalNeeded(DomainError):
    code = "approval_needed"
    http_status = 409


def _event(event_type: E, actor, *, order=None, subject: str = "", **data) -> m.PricingEvent:
    return m.PricingEvent.objects.create(
        event_type=int(event_type),
        actor=actor if actor is not None and actor.is_authenticated else None,
        order=order,
        subject=subject[:200],
        data={k: str(v) if isinstance(v, Decimal) else v for k, v in data.items()},
    )


# --- reprice -----------------------------------------------------------------------------------


def price_order(*, order, now=None) -> tuple[PricedOrder, loader.Loaded]:
    """Price the order as it stands, writing nothing."""
    loaded = loader.load_order(order, now=now)
    return engine.price(loaded.snapshot, loaded.rules), loaded


# No savepoint of its own (two round trips on every cart change): it is atomic on its own, and
# inside a caller's transaction a failure rolls back with that transaction (no caller catches
# and goes on).
@transaction.atomic(savepoint=False)
def reprice_order(*, order, actor=None, now=None) -> PricedOrder:
    """Price the order and write the result onto it: line prices and totals, free-gift lines
    (added or removed), order totals, and pending promotion usage in step.

    Returns the priced result; its `explanation` says what applied, what did not and why,
    and what almost applied.
    """
    priced, loaded = price_order(order=order, now=now)
    _write_lines(loaded, priced)
    _write_gifts(order, loaded, priced, actor)
    _write_totals(order, priced)
    _sync_usage(order, loaded, priced)
    return priced


def _update_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Set different values on many rows in one UPDATE: `rows` are (pk, *values of fields).

    bulk_update writes the same single statement, but builds a CASE WHEN per row and field
    through the ORM's expressions: ~8 ms of CPU for a 50-line cart whose order promotions
    moved every line, on every cart change. A VALUES list joined on the primary key (UPDATE
    ... FROM, PostgreSQL and SQLite 3.33+) costs a string join."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    model_fields = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(
        f"{qn(field.column)} = v.column{i}" for i, field in enumerate(model_fields, start=2)
    )
    row_sql = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    params = []
    for pk, *values in rows:
        params.append(pk)
        for field, value in zip(model_fields, values, strict=True):
            params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row_sql] * len(rows))})"
            f" AS v WHERE {table}.{qn(model._meta.pk.column)} = v.column1",
            params,
        )


def _write_lines(loaded: loader.Loaded, priced: PricedOrder) -> None:
    from orders.models import OrderLine

    by_id = {p.line_id: p for p in priced.lines}
    changed = []
    for line in loaded.lines:
        p = by_id[line.pk]
        new = (p.unit_price, p.discount_total, p.line_total)
        if (line.unit_price, line.discount_total, line.line_total) != new:
            changed.append((line.pk, *new))
    _update_rows(OrderLine, ["unit_price", "discount_total", "line_total"], changed)


def _fulfillment(name: str):
    try:
        from fulfillment import services as fulfillment_services
    except ImportError:  # pragma: no cover - fulfillment is part of the project
        return None
    return getattr(fulfillment_services, name, None)


def _write_gifts(order, loaded: loader.Loaded, priced: PricedOrder, actor) -> None:
    """Gift lines follow the promotions: added when earned, removed when no longer earned."""
    from orders.models import OrderLine

    wanted: dict[int, list] = {}
    for gift in priced.gifts:
        entry = wanted.setdefault(gift.sku_id, [0, gift.ship_to])
        entry[0] += gift.quantity
    existing = {}
    for row in loaded.gift_lines:
        if row.sku_id in existing or row.sku_id not in wanted:
            line = OrderLine.objects.filter(pk=row.pk).first()
            if line is None:
                continue
            deallocate = _fulfillment("deallocate_line")
            if deallocate is not None:
                deallocate(line=line, actor=actor)
            line.delete()
            continue
        existing[row.sku_id] = row
    for sku_id, (quantity, ship_to) in wanted.items():
        row = existing.get(sku_id)
        if row is not None:
            if row.quantity != quantity or row.unit_price or row.line_total:
                OrderLine.objects.filter(pk=row.pk).update(
                    quantity=quantity, unit_price=ZERO, discount_total=ZERO, line_total=ZERO
                )
            continue
        line = OrderLine.objects.create(
            order_id=order.pk,
            sku_id=sku_id,
            quantity=quantity,
            ship_to_id=int(ship_to) if ship_to else None,
            is_gift=True,
            unit_price=ZERO,
            discount_total=ZERO,
            line_total=ZERO,
        )
        allocate = _fulfillment("allocate_line")
        if allocate is not None:
            allocate(line=line, actor=actor)


def _write_totals(order, priced: PricedOrder) -> None:
    values = {
        "subtotal": priced.subtotal,
        "discount_total": priced.discount_total,
        "shipping_total": priced.shipping_total,
        "tax_total": priced.tax_total,
        "total": priced.total,
    }
    if any(getattr(order, k) != v for k, v in values.items()):
        type(order).objects.filter(pk=order.pk).update(**values)
    for k, v in values.items():
        setattr(order, k, v)


def _applied_amounts(priced: PricedOrder) -> dict[int, Decimal]:
    amounts: dict[int, Decimal] = {}
    for a in priced.explanation.applied:
        if a.source == "promotion":
            amounts[a.source_id] = amounts.get(a.source_id, ZERO) + a.amount
    for pid in priced.applied_promotion_ids:
        amounts.setdefault(pid, ZERO)
    return amounts


def _sync_usage(order, loaded: loader.Loaded, priced: PricedOrder) -> None:
    """Pending usage follows the cart. After submit, final usage stays (released on cancel)."""
    amounts = _applied_amounts(priced)
    rows = {u.promotion_id: u for u in loaded.usages}
    create, update = [], []
    for pid, amount in amounts.items():
        row = rows.get(pid)
        if row is None:
            create.append(
                m.PromotionUsage(
                    promotion_id=pid,
                    order_id=order.pk,
                    customer_id=order.customer_id,
                    status=m.UsageStatus.PENDING,
                    amount=amount,
                )
            )
        elif row.status == m.UsageStatus.RELEASED and order.status == "pending":
            update.append((row.pk, m.UsageStatus.PENDING.value, amount))
        elif row.amount != amount:
            update.append((row.pk, row.status, amount))
    if create:
        m.PromotionUsage.objects.bulk_create(create)
    _update_rows(m.PromotionUsage, ["status", "amount"], update)
    stale = [
        u.pk for pid, u in rows.items() if pid not in amounts and u.status == m.UsageStatus.PENDING
    ]
    if stale:
        m.PromotionUsage.objects.filter(pk__in=stale).delete()


# --- submit and cancel ---------------------------------------------------------------------


def _lock_counters(promotion_ids) -> dict[int, m.PromotionCounter]:
    """Lock the counters of these promotions, in promotion id order (no deadlocks)."""
    ids = sorted(set(promotion_ids))
    if not ids:
        return {}
    m.PromotionCounter.objects.bulk_create(
        [m.PromotionCounter(promotion_id=pid) for pid in ids], ignore_conflicts=True
    )
    return {
        c.promotion_id: c
        for c in m.PromotionCounter.objects.select_for_update()
        .filter(promotion_id__in=ids)
        .order_by("promotion_id")
    }


@transaction.atomic
def finalize_order_pricing(*, order, actor) -> PricedOrder:
    """At submit: make promotion usage final and consume the coupons used.

    Re-checks every limited promotion under its counter's row lock. If one ran out since the
    cart was priced, raises PricingChanged (with the new price) before anything is consumed;
    the caller rolls back, and the next `reprice_order` shows the promotion as "limit reached".
    An adjustment still awaiting approval refuses the submit (ApprovalNeeded).
    """
    pending_adj = m.OrderAdjustment.objects.filter(
        order_id=order.pk, status=m.OrderAdjustment.Status.PENDING
    ).first()
    if pending_adj is not None:
        raise ApprovalNeeded(
            f"The adjustment “{pending_adj}” awaits a supervisor's approval: have it approved "
            "or remove it before submitting."
        )
    loaded = loader.load_order(order)
    # Price as the CSR saw it: promotions the cart holds (pending usage) count as available,
    # and their limits are checked below under lock, where the answer is final.
    held = {u.promotion_id for u in loaded.usages if u.status == m.UsageStatus.PENDING}
    as_seen = dataclasses.replace(
        loaded.snapshot,
        allowances=tuple(a for a in loaded.snapshot.allowances if a.promotion_id not in held),
    )
    priced = engine.price(as_seen, loaded.rules)
    applied = _applied_amounts(priced)
    limited = {
        p.id: p
        for p in loaded.rules.promotions
        if p.id in applied and (p.limit_overall is not None or p.limit_per_customer is not None)
    }
    counters = _lock_counters(limited)
    own_final = set(
        m.PromotionUsage.objects.filter(
            order_id=order.pk, status=m.UsageStatus.FINAL, promotion_id__in=list(limited)
        ).values_list("promotion_id", flat=True)
    )
    lost = []
    for pid, p in limited.items():
        if pid in own_final:
            continue
        if p.limit_overall is not None and counters[pid].used >= p.limit_overall:
            lost.append(p)
            continue
        if p.limit_per_customer is not None and order.customer_id is not None:
            used_by_customer = (
                m.PromotionUsage.objects.filter(
                    promotion_id=pid, customer_id=order.customer_id, status=m.UsageStatus.FINAL
                )
                .exclude(order_id=order.pk)
                .count()
            )
            if used_by_customer >= p.limit_per_customer:
                lost.append(p)
    if lost:
        # Reprice as it would be now (the counters are read under lock, so this is current).
        repriced = engine.price(_without_uses(loaded.snapshot, [p.id for p in lost]), loaded.rules)
        names = ", ".join(f"“{p.name}”" for p in lost)
        _event(
            E.PROMOTION_LIMIT_LOST,
            actor,
            order=order,
            subject=names,
            promotions=[p.id for p in lost],
            old_total=str(priced.total),
            new_total=str(repriced.total),
        )
        raise PricingChanged(
            f"{names} reached its usage limit just now and no longer applies. The total is now "
            f"{repriced.total} {order.currency} (was {priced.total}). Review the order with the "
            "customer and submit again.",
            priced=repriced,
            extra={"total": str(repriced.total), "previous_total": str(priced.total)},
        )
    for pid in limited:
        if pid not in own_final:
            m.PromotionCounter.objects.filter(promotion_id=pid).update(used=F("used") + 1)
    rows = {u.promotion_id: u for u in m.PromotionUsage.objects.filter(order_id=order.pk)}
    for pid, amount in applied.items():
        row = rows.get(pid)
        if row is None:
            m.PromotionUsage.objects.create(
                promotion_id=pid,
                order_id=order.pk,
                customer_id=order.customer_id,
                status=m.UsageStatus.FINAL,
                amount=amount,
            )
        else:
            row.status, row.amount = m.UsageStatus.FINAL, amount
            row.save(update_fields=["status", "amount", "modified_at"])
    m.PromotionUsage.objects.filter(order_id=order.pk, status=m.UsageStatus.PENDING).exclude(
        promotion_id__in=list(applied)
    ).delete()
    # A submitted order changed and no longer earns a promotion: its use goes back.
    dropped = [
        u.promotion_id
        for u in rows.values()
        if u.status == m.UsageStatus.FINAL and u.promotion_id not in applied
    ]
    if dropped:
        _lock_counters(dropped)
        m.PromotionCounter.objects.filter(promotion_id__in=dropped, used__gt=0).update(
            used=F("used") - 1
        )
        m.PromotionUsage.objects.filter(order_id=order.pk, promotion_id__in=dropped).update(
            status=m.UsageStatus.RELEASED
        )
    now = timezone.now()
    for coupon in m.Coupon.objects.select_for_update().filter(
        order_id=order.pk, status=m.Coupon.Status.AVAILABLE
    ):
        if coupon.promotion_id in applied:
            coupon.status, coupon.consumed_at = m.Coupon.Status.CONSUMED, now
            coupon.save(update_fields=["status", "consumed_at"])
            _event(E.COUPON_CONSUMED, actor, order=order, subject=coupon.code)
        else:
            coupon.order = None
            coupon.save(update_fields=["order"])
    _event(
        E.PRICING_FINALIZED,
        actor,
        order=order,
        promotions=sorted(applied),
        total=str(priced.total),
    )
    return priced


def _without_uses(snapshot: engine.Snapshot, exhausted) -> engine.Snapshot:
    exhausted = set(exhausted)
    kept = tuple(a for a in snapshot.allowances if a.promotion_id not in exhausted)
    gone = tuple(engine.Allowance(pid, 0, None) for pid in sorted(exhausted))
    return dataclasses.replace(snapshot, allowances=kept + gone)


@transaction.atomic
def release_order_pricing(*, order, actor) -> None:
    """On cancel: release promotion usage (final uses go back to the pool) and return the
    coupons to the customer's wallet."""
    usages = list(
        m.PromotionUsage.objects.filter(order_id=order.pk).exclude(status=m.UsageStatus.RELEASED)
    )
    final_ids = [u.promotion_id for u in usages if u.status == m.UsageStatus.FINAL]
    counters = _lock_counters(final_ids)
    for pid in final_ids:
        if counters[pid].used > 0:
            m.PromotionCounter.objects.filter(promotion_id=pid).update(used=F("used") - 1)
    if usages:
        m.PromotionUsage.objects.filter(pk__in=[u.pk for u in usages]).update(
            status=m.UsageStatus.RELEASED, modified_at=timezone.now()
        )
    for coupon in m.Coupon.objects.select_for_update().filter(order_id=order.pk):
        was_consumed = coupon.status == m.Coupon.Status.CONSUMED
        coupon.status, coupon.order, coupon.consumed_at = m.Coupon.Status.AVAILABLE, None, None
        coupon.save(update_fields=["status", "order", "consumed_at"])
        if was_consumed:
            _event(E.COUPON_RETURNED, actor, order=order, subject=coupon.code)
    _event(
        E.PRICING_RELEASED,
        actor,
        order=order,
        released=[u.promotion_id for u in usages],
    )


# --- promotion codes -------------------------------------------------------------------------


def _normalize_code(code: str) -> str:
    return (code or "").strip().upper()


@transaction.atomic
def enter_promotion_code(*, order, code: str, actor, now=None) -> m.OrderPromotionCode:
    """Attach a promotion code the customer quoted. Unknown or expired codes are refused with
    the reason. Call `reprice_order` afterwards."""
    require(actor, Perm.USE_DESK, "enter promotion codes")
    now = now or timezone.now()
    normalized = _normalize_code(code)
    if not normalized:
        raise DomainError("Enter the promotion code.", field="code")
    promotion = m.Promotion.objects.filter(code__iexact=normalized).first()
    if promotion is None:
        raise DomainError(
            f"{normalized} is not a promotion code we know. Check the spelling with the customer.",
            field="code",
        )
    if not promotion.is_active:
        raise DomainError(f"{normalized} is no longer offered.", field="code")
    if promotion.ends_at and promotion.ends_at <= now:
        raise DomainError(
            f"{normalized} expired on {timezone.localtime(promotion.ends_at):%Y-%m-%d %H:%M}.",
            field="code",
        )
    if promotion.starts_at and promotion.starts_at > now:
        raise DomainError(
            f"{normalized} starts on {timezone.localtime(promotion.starts_at):%Y-%m-%d %H:%M}; "
            "it cannot be used yet.",
            field="code",
        )
    segment_names = list(promotion.segments.values_list("name", flat=True))
    if segment_names:
        customer = order.customer if order.customer_id else None
        if (
            customer is None
            or not customer.segments.filter(pk__in=promotion.segments.all()).exists()
        ):
            raise DomainError(
                f"{normalized} is only for {' or '.join(segment_names)} customers.", field="code"
            )
    if m.OrderPromotionCode.objects.filter(order_id=order.pk, promotion=promotion).exists():
        raise DomainError(f"{normalized} is already on this order.", field="code")
    entered = m.OrderPromotionCode.objects.create(
        order_id=order.pk, code=normalized, promotion=promotion, entered_by=actor
    )
    _event(E.PROMOTION_CODE_ENTERED, actor, order=order, subject=normalized, new=normalized)
    return entered


@transaction.atomic
def remove_promotion_code(*, order, code: str, actor) -> None:
    require(actor, Perm.USE_DESK, "remove promotion codes")
    normalized = _normalize_code(code)
    deleted, _ = m.OrderPromotionCode.objects.filter(
        order_id=order.pk, code__iexact=normalized
    ).delete()
    if not deleted:
        raise NotFound(f"{normalized} is not on this order.", field="code")
    _event(E.PROMOTION_CODE_REMOVED, actor, order=order, subject=normalized, old=normalized)


# --- coupons ---------------------------------------------------------------------------------


def _coupon_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "CPN-" + "".join(secrets.choice(alphabet) for _ in range(10))


@transaction.atomic
def issue_coupon(*, promotion, customer, actor, now=None) -> m.Coupon:
    """Put a coupon of a coupon promotion into a customer's wallet; it expires after the
    promotion's `coupon_valid_days`."""
    if not (actor and (actor.has_perm(Perm.MANAGE_STORE) or actor.has_perm(Perm.SUPERVISE))):
        raise NotAllowed("You do not have permission to issue coupons.")
    if not promotion.is_coupon:
        raise DomainError(f"“{promotion}” is not a coupon promotion.", field="promotion")
    now = now or timezone.now()
    coupon = m.Coupon.objects.create(
        promotion=promotion,
        customer=customer,
        code=_coupon_code(),
        issued_at=now,
        expires_at=now + timedelta(days=promotion.coupon_valid_days or 30),
    )
    _event(
        E.COUPON_ISSUED,
        actor,
        subject=coupon.code,
        customer=customer.pk,
        promotion=promotion.pk,
        expires_at=coupon.expires_at.isoformat(),
    )
    return coupon


@transaction.atomic
def redeem_coupon(*, order, coupon_id, actor, now=None) -> m.Coupon:
    """ "Select coupon to redeem": the coupon applies to this order; consumed on submit."""
    require(actor, Perm.USE_DESK, "redeem coupons")
    now = now or timezone.now()
    coupon = (
        m.Coupon.objects.select_for_update()
        .select_related("promotion")
        .filter(pk=coupon_id)
        .first()
    )
    if coupon is None or coupon.customer_id != order.customer_id or order.customer_id is None:
        raise NotFound("That coupon is not in this customer's wallet.", field="coupon")
    if coupon.status != m.Coupon.Status.AVAILABLE:
        raise DomainError(f"Coupon {coupon.code} was already used.", field="coupon")
    if coupon.expires_at <= now:
        raise DomainError(
            f"Coupon {coupon.code} expired on {timezone.localtime(coupon.expires_at):%Y-%m-%d}.",
            field="coupon",
        )
    if coupon.order_id and coupon.order_id != order.pk:
        from orders.models import Order

        other = Order.objects.filter(pk=coupon.order_id).first()
        if other is not None and other.status == "pending":
            raise DomainError(
                f"Coupon {coupon.code} is selected on {other}; remove it there first.",
                field="coupon",
            )
    if coupon.order_id == order.pk:
        return coupon
    coupon.order_id = order.pk
    coupon.save(update_fields=["order"])
    _event(E.COUPON_SELECTED, actor, order=order, subject=coupon.code, new=coupon.code)
    return coupon


@transaction.atomic
def remove_coupon(*, order, coupon_id, actor) -> None:
    require(actor, Perm.USE_DESK, "remove coupons")
    coupon = m.Coupon.objects.select_for_update().filter(pk=coupon_id, order_id=order.pk).first()
    if coupon is None or coupon.status != m.Coupon.Status.AVAILABLE:
        raise NotFound("That coupon is not selected on this order.", field="coupon")
    coupon.order = None
    coupon.save(update_fields=["order"])
    _event(E.COUPON_DESELECTED, actor, order=order, subject=coupon.code, old=coupon.code)


# --- CSR adjustments ---------------------------------------------------------------------------


def adjustment_limit_for(user) -> tuple[bool, Decimal | None, Decimal | None]:
    """(may adjust at all, max percent, max amount) from the user's roles; None = unlimited.

    The most generous of the user's groups counts. No AdjustmentLimit row for any of the
    user's groups: supervisors are unlimited, everybody else needs approval for any amount.
    """
    rows = list(m.AdjustmentLimit.objects.filter(group__in=user.groups.all()))
    if not rows:
        if user.has_perm(Perm.SUPERVISE):
            return True, None, None
        return False, ZERO, ZERO
    percent: Decimal | None = ZERO
    amount: Decimal | None = ZERO
    for row in rows:
        if row.max_percent is None:
            percent = None
        elif percent is not None:
            percent = max(percent, row.max_percent)
        if row.max_amount is None:
            amount = None
        elif amount is not None:
            amount = max(amount, row.max_amount)
    return True, percent, amount


def _within_limit(user, kind: str, value: Decimal, effect: Decimal) -> bool:
    allowed, max_percent, max_amount = adjustment_limit_for(user)
    if not allowed:
        return False
    K = m.OrderAdjustment.Kind
    if kind in (K.ORDER_PERCENT, K.LINE_PERCENT):
        return max_percent is None or value <= max_percent
    return max_amount is None or effect <= max_amount


def _money_effect(order, kind: str, value: Decimal, line) -> Decimal:
    """How much the adjustment gives away, at today's prices."""
    K = m.OrderAdjustment.Kind
    cur = order.currency
    if kind == K.ORDER_PERCENT:
        return quantize((order.subtotal - order.discount_total) * value / 100, cur)
    if kind == K.LINE_PERCENT:
        return quantize(line.line_total * value / 100, cur)
    if kind == K.SHIPPING_OVERRIDE:
        return max(quantize(order.shipping_total - value, cur), ZERO)
    return quantize(value, cur)


def _supervisor(username: str, password: str):
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise NotAllowed("Those supervisor credentials are not valid.", field="supervisor")
    if not user.has_perm(Perm.SUPERVISE):
        raise NotAllowed(f"{username} is not a supervisor.", field="supervisor")
    return user


@transaction.atomic
def add_adjustment(
    *,
    order,
    actor,
    kind: str,
    value,
    reason_code: str,
    comment: str = "",
    line=None,
    supervisor_username: str = "",
    supervisor_password: str = "",
) -> m.OrderAdjustment:
    """A CSR price adjustment: an amount or percentage off the order or a line, or an amount
    that becomes the shipping charge, with a reason code and a comment.

    Within the actor's role limit it applies at once. Over it, it needs a supervisor: with
    their credentials given now it applies approved by them; without, it is saved as awaiting
    approval (shown in the approval queue) and does not apply until approved. Never silently.
    Call `reprice_order` afterwards.
    """
    require(actor, Perm.USE_DESK, "adjust order prices")
    K = m.OrderAdjustment.Kind
    if kind not in K.values:
        raise DomainError("Choose what to adjust.", field="kind")
    if reason_code not in m.OrderAdjustment.ReasonCode.values:
        raise DomainError("Choose a reason code.", field="reason_code")
    if reason_code == m.OrderAdjustment.ReasonCode.OTHER and not comment.strip():
        raise DomainError("Say why in the comment when the reason is “Other”.", field="comment")
    try:
        value = quantize(Decimal(str(value)), order.currency)
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError("Enter the amount as a number, e.g. 10.00.", field="value") from None
    if value < 0:
        raise DomainError("The amount must not be negative.", field="value")
    if kind != K.SHIPPING_OVERRIDE and value == 0:
        raise DomainError("The amount must be more than 0.", field="value")
    if kind in (K.ORDER_PERCENT, K.LINE_PERCENT) and value > 100:
        raise DomainError("A percentage cannot be over 100.", field="value")
    if kind in (K.LINE_AMOUNT, K.LINE_PERCENT):
        if line is None or line.order_id != order.pk:
            raise DomainError("Choose the line to adjust.", field="line")
        if kind == K.LINE_AMOUNT and value > line.line_total:
            raise DomainError(
                f"The line is {line.line_total}; the adjustment cannot be more.", field="value"
            )
    else:
        line = None
    effect = _money_effect(order, kind, value, line)
    approver = None
    if _within_limit(actor, kind, value, effect):
        status = m.OrderAdjustment.Status.APPROVED
        approver = actor
    elif supervisor_username:
        approver = _supervisor(supervisor_username, supervisor_password)
        if not _within_limit(approver, kind, value, effect):
            raise NotAllowed(
                f"{supervisor_username}'s own limit does not cover this adjustment.",
                field="supervisor",
            )
        status = m.OrderAdjustment.Status.APPROVED
    else:
        status = m.OrderAdjustment.Status.PENDING
    adjustment = m.OrderAdjustment.objects.create(
        order_id=order.pk,
        line=line,
        kind=kind,
        value=value,
        reason_code=reason_code,
        comment=comment.strip(),
        status=status,
        requested_by=actor,
        approved_by=approver,
        decided_at=timezone.now() if approver else None,
    )
    _event(
        E.ADJUSTMENT_ADDED if approver else E.ADJUSTMENT_REQUESTED,
        actor,
        order=order,
        subject=str(adjustment),
        adjustment=adjustment.pk,
        kind=kind,
        value=str(value),
        effect=str(effect),
        reason=reason_code,
        comment=adjustment.comment,
        approved_by=approver.get_username() if approver else None,
        status=status,
    )
    return adjustment


@transaction.atomic
def approve_adjustment(*, adjustment, actor, reprice: bool = True) -> m.OrderAdjustment:
    """A supervisor approves a pending adjustment from the queue; the order is repriced."""
    require(actor, Perm.SUPERVISE, "approve price adjustments")
    adj = (
        m.OrderAdjustment.objects.select_for_update().select_related("order").get(pk=adjustment.pk)
    )
    if adj.status != m.OrderAdjustment.Status.PENDING:
        raise DomainError(f"This adjustment is already {adj.get_status_display().lower()}.")
    effect = _money_effect(adj.order, adj.kind, adj.value, adj.line)
    if not _within_limit(actor, adj.kind, adj.value, effect):
        raise NotAllowed("Your own adjustment limit does not cover this adjustment.")
    adj.status, adj.approved_by, adj.decided_at = (
        m.OrderAdjustment.Status.APPROVED,
        actor,
        timezone.now(),
    )
    adj.save(update_fields=["status", "approved_by", "decided_at"])
    _event(
        E.ADJUSTMENT_APPROVED,
        actor,
        order=adj.order,
        subject=str(adj),
        adjustment=adj.pk,
        old="pending",
        new="approved",
    )
    if reprice:
        reprice_order(order=adj.order, actor=actor)
    return adj


@transaction.atomic
def reject_adjustment(*, adjustment, actor, comment: str = "") -> m.OrderAdjustment:
    require(actor, Perm.SUPERVISE, "reject price adjustments")
    adj = (
        m.OrderAdjustment.objects.select_for_update().select_related("order").get(pk=adjustment.pk)
    )
    if adj.status != m.OrderAdjustment.Status.PENDING:
        raise DomainError(f"This adjustment is already {adj.get_status_display().lower()}.")
    adj.status, adj.approved_by, adj.decided_at = (
        m.OrderAdjustment.Status.REJECTED,
        actor,
        timezone.now(),
    )
    adj.save(update_fields=["status", "approved_by", "decided_at"])
    _event(
        E.ADJUSTMENT_REJECTED,
        actor,
        order=adj.order,
        subject=str(adj),
        adjustment=adj.pk,
        old="pending",
        new="rejected",
        comment=comment,
    )
    return adj


@transaction.atomic
def remove_adjustment(*, adjustment, actor) -> None:
    require(actor, Perm.USE_DESK, "remove price adjustments")
    adj = m.OrderAdjustment.objects.select_related("order").get(pk=adjustment.pk)
    if adj.order.status != "pending":
        raise DomainError("Adjustments can only be removed while the order is a cart.")
    _event(
        E.ADJUSTMENT_REMOVED,
        actor,
        order=adj.order,
        subject=str(adj),
        adjustment=adj.pk,
        old=str(adj.value),
    )
    adj.delete()


# --- rules -------------------------------------------------------------------------------------


def rules_changed(*, actor, subject: str, **data) -> None:
    """Admin and API writes of rules call this: new cache version and an audit row."""
    loader.bump_rules_version()
    _event(E.PRICING_RULE_CHANGED, actor, subject=subject, **data)


# --- appeasement coupons -------------------------------------------------------------------------


def _write_coupons(*, promotion, customers, actor, now, **event_data) -> list[m.Coupon]:
    """One coupon of `promotion` per customer, expiring after the promotion's days; one audit
    row per coupon."""
    expires_at = now + timedelta(days=promotion.coupon_valid_days or 30)
    coupons = m.Coupon.objects.bulk_create(
        m.Coupon(
            promotion=promotion,
            customer=customer,
            code=_coupon_code(),
            issued_at=now,
            expires_at=expires_at,
        )
        for customer in customers
    )
    m.PricingEvent.objects.bulk_create(
        m.PricingEvent(
            event_type=int(E.COUPON_ISSUED),
            actor=actor,
            subject=coupon.code,
            data={
                "customer": coupon.customer_id,
                "promotion": promotion.pk,
                "expires_at": expires_at.isoformat(),
                **event_data,
            },
        )
        for coupon in coupons
    )
    return coupons


def appeasement_limit_problem(*, actor, promotion) -> str | None:
    """Why `actor` may not give this coupon away (None when they may). The value counts
    against the same limits as CSR adjustments (AdjustmentLimit of the actor's roles): a
    percentage off against the largest percentage, an amount off against the largest amount;
    a coupon worth neither (free shipping, a gift) needs unlimited rights. Store admins have
    no limit."""
    if actor.has_perm(Perm.MANAGE_STORE):
        return None
    allowed, max_percent, max_amount = adjustment_limit_for(actor)
    if promotion.reward in m.PERCENT_REWARDS:
        within = allowed and (max_percent is None or promotion.percent <= max_percent)
    elif promotion.reward in m.AMOUNT_REWARDS:
        within = allowed and (max_amount is None or promotion.amount <= max_amount)
    else:
        within = allowed and max_percent is None and max_amount is None
    if within:
        return None
    return f"“{promotion}” is over your limit; a supervisor can issue it."


@transaction.atomic
def issue_appeasement_coupon(*, promotion, customer, actor, reason: str, now=None) -> m.Coupon:
    """A CSR puts a coupon into a caller's wallet to make up for a problem, within their limit
    (appeasement_limit_problem); the reason is kept in the audit row."""
    require(actor, StaffPerm.ISSUE_APPEASEMENT, "issue appeasement coupons")
    if not (promotion.is_coupon and promotion.is_active):
        raise DomainError(f"“{promotion}” is not an active coupon promotion.", field="promotion")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the customer gets the coupon.", field="reason")
    problem = appeasement_limit_problem(actor=actor, promotion=promotion)
    if problem:
        raise NotAllowed(problem)
    (coupon,) = _write_coupons(
        promotion=promotion,
        customers=[customer],
        actor=actor,
        now=now or timezone.now(),
        appeasement=reason,
    )
    return coupon


@transaction.atomic
def issue_coupons_to_segment(*, promotion, segment, actor, now=None) -> list[m.Coupon]:
    """Store admins: a coupon of `promotion` for every member of `segment` who has no usable
    one of it yet (so running it again issues only to new members)."""
    require(actor, Perm.MANAGE_STORE, "issue coupons to a member group")
    if not (promotion.is_coupon and promotion.is_active):
        raise DomainError(f"“{promotion}” is not an active coupon promotion.", field="promotion")
    now = now or timezone.now()
    holders = m.Coupon.objects.filter(
        promotion=promotion, status=m.Coupon.Status.AVAILABLE, expires_at__gt=now
    ).values("customer_id")
    members = segment.customers.filter(is_enabled=True).exclude(pk__in=holders)
    return _write_coupons(
        promotion=promotion, customers=list(members), actor=actor, now=now, segment=segment.code
    )
