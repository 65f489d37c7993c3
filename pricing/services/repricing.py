"""Repricing an order and keeping its promotion usage in step; finalizing it at submit and
releasing it on cancel. Writes only pricing's tables: orders writes the priced result onto its
own rows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.bulk import update_rows_statement
from core.db import Statement, execute_together, int_array
from core.events import EventType as E
from core.money import ZERO
from pricing import engine, loader
from pricing import models as m
from pricing.engine import PricedOrder
from pricing.loader import OrderFacts
from pricing.services.adjustments import percent_given, within_limit
from pricing.services.events import ApprovalNeeded, PricingChanged, event

AlsoWrite = Callable[[PricedOrder], Iterable[Statement | None]]


def price_order(*, order: OrderFacts, now=None) -> tuple[PricedOrder, loader.Loaded]:
    """Price the order orders described, writing nothing."""
    loaded = loader.load_order(order, now=now)
    return engine.price(loaded.snapshot, loaded.rules), loaded


# No savepoint of its own: it is atomic on its own, and inside a caller's transaction (orders'
# reprice, on every cart change) a failure rolls back with that transaction.
@transaction.atomic(savepoint=False)
def reprice_order(
    *, order: OrderFacts, now=None, also_write: AlsoWrite | None = None
) -> PricedOrder:
    """Price the order and keep its pending promotion usage in step; returns the priced result
    for orders to write (line prices, gift lines, totals). Its `explanation` says what applied,
    what did not and why, and what almost applied. `also_write(priced)` returns the caller's
    writes of the result, sent with the usage rows in one round trip (core.db)."""
    priced, loaded = price_order(order=order, now=now)
    priced = _keep_adjustments_within_limits(order, loaded, priced)
    execute_together(
        [*_usage_statements(order, loaded, priced), *(also_write(priced) if also_write else ())]
    )
    return priced


def _keep_adjustments_within_limits(
    order: OrderFacts, loaded: loader.Loaded, priced: PricedOrder
) -> PricedOrder:
    """An approved adjustment whose money value (or its share of what it applies to) grew
    past its approver's limits as the cart changed goes back to awaiting approval, with a
    note saying so; the order is priced again without it."""
    approved = [a for a in loaded.snapshot.adjustments if a.approved]
    if not approved:
        return priced
    grown = _grown_past_limits(approved, priced)
    if not grown:
        return priced
    m.OrderAdjustment.objects.filter(pk__in=list(grown)).update(
        status=m.OrderAdjustment.Status.PENDING, approved_by=None, decided_at=None
    )
    for adj_id, message in grown.items():
        event(
            E.ADJUSTMENT_REQUESTED,
            None,
            order_id=order.order_id,
            subject=message,
            adjustment=adj_id,
            old="approved",
            new="pending",
        )
    snapshot = dataclasses.replace(
        loaded.snapshot,
        adjustments=tuple(
            dataclasses.replace(a, approved=False) if a.id in grown else a
            for a in loaded.snapshot.adjustments
        ),
    )
    again = engine.price(snapshot, loaded.rules)
    notes = again.explanation.notes + tuple(grown.values())
    return dataclasses.replace(
        again, explanation=dataclasses.replace(again.explanation, notes=notes)
    )


def _grown_past_limits(approved, priced: PricedOrder) -> dict[int, str]:
    """{adjustment id: why it waits again} for the approved adjustments now over the limits
    of whoever approved them."""
    approvers = dict(
        m.OrderAdjustment.objects.filter(pk__in=[a.id for a in approved]).values_list(
            "pk", "approved_by"
        )
    )
    users = {u.pk: u for u in _users(set(approvers.values()) - {None})}
    grown = {}
    for adj in approved:
        user = users.get(approvers.get(adj.id))
        effect, base = _given_away(adj, priced)
        percent = percent_given(adj.kind.value, adj.value, effect, base)
        if user is not None and not within_limit(user, percent, effect):
            grown[adj.id] = (
                f"The adjustment ({adj.reason or adj.kind.value.replace('_', ' ')}) now gives away "
                f"{effect} {priced.currency}, over {user.get_username()}'s limit: it waits "
                "for a supervisor's approval again."
            )
    return grown


def _users(ids):
    return get_user_model().objects.filter(pk__in=ids)


def _given_away(adj: engine.Adjustment, priced: PricedOrder) -> tuple[Decimal, Decimal]:
    """(what the adjustment took off, what it applied to before the CSR's adjustments)."""
    effect, base = ZERO, ZERO
    kind = engine.AdjustmentKind
    for line in priced.lines:
        promotions = sum((d.amount for d in line.discounts if d.source == "promotion"), ZERO)
        if adj.kind in (kind.ORDER_AMOUNT, kind.ORDER_PERCENT) or line.line_id == adj.line_id:
            base += line.subtotal - promotions
        effect += sum(
            (d.amount for d in line.discounts if (d.source, d.source_id) == ("adjustment", adj.id)),
            ZERO,
        )
    for charge in priced.shipping:  # a shipping override: the charges it replaced
        mine = [
            d.amount for d in charge.discounts if (d.source, d.source_id) == ("adjustment", adj.id)
        ]
        if mine:
            base += charge.charge
            effect += sum(mine, ZERO)
    return effect, base


def _applied_amounts(priced: PricedOrder) -> dict[int, Decimal]:
    amounts: dict[int, Decimal] = {}
    for a in priced.explanation.applied:
        if a.source == "promotion":
            amounts[a.source_id] = amounts.get(a.source_id, ZERO) + a.amount
    for pid in priced.applied_promotion_ids:
        amounts.setdefault(pid, ZERO)
    return amounts


def _usage_statements(
    order: OrderFacts, loaded: loader.Loaded, priced: PricedOrder
) -> list[Statement | None]:
    """Pending usage follows the cart. After submit, final usage stays (released on cancel).
    The writes of the new, changed and stale rows, for one round trip: a cart change that
    makes one promotion apply and another stop paid three."""
    amounts = _applied_amounts(priced)
    rows = {u.promotion_id: u for u in loaded.usages}
    create, update = {}, []
    for pid, amount in amounts.items():
        row = rows.get(pid)
        if row is None:
            create[pid] = amount
        elif row.status == m.UsageStatus.RELEASED and order.is_cart:
            update.append((row.pk, m.UsageStatus.PENDING.value, amount))
        elif row.amount != amount:
            update.append((row.pk, row.status, amount))
    stale = [
        u.pk for pid, u in rows.items() if pid not in amounts and u.status == m.UsageStatus.PENDING
    ]
    # Disjoint rows (new promotions, then rows read with the order), as execute_together needs.
    return [
        _insert_pending_usages(order, create),
        update_rows_statement(m.PromotionUsage, ["status", "amount"], update),
        _delete_usages(stale),
    ]


def _usages(
    order: OrderFacts, amounts: dict[int, Decimal], status: m.UsageStatus
) -> list[m.PromotionUsage]:
    """The order's use of each of these promotions (by id: the amount it gave), unsaved."""
    return [
        m.PromotionUsage(
            promotion_id=pid,
            order_id=order.order_id,
            customer_id=order.customer_id,
            status=status,
            amount=amount,
        )
        for pid, amount in amounts.items()
    ]


def _insert_pending_usages(order: OrderFacts, amounts: dict[int, Decimal]) -> Statement | None:
    """The order's pending use of each of these promotions (by id: the amount it gave)."""
    if not amounts:
        return None
    usages = _usages(order, amounts, m.UsageStatus.PENDING)
    now = timezone.now()
    amount_field = m.PromotionUsage._meta.get_field("amount")
    params = []
    for u in usages:
        amount = amount_field.get_db_prep_save(u.amount, connection)
        params += [u.promotion_id, u.order_id, u.customer_id, u.status.value, amount, now, now]
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(usages))
    return Statement(
        sql=(
            "INSERT INTO pricing_promotionusage (promotion_id, order_id, customer_id, status,"
            f" amount, created_at, modified_at) VALUES {values}"
        ),
        params=params,
        orm=lambda: m.PromotionUsage.objects.bulk_create(usages),
    )


# --- submit and cancel ---------------------------------------------------------------------


def _lock_counters(promotion_ids) -> dict[int, m.PromotionCounter]:
    """Lock the counters of these promotions (made at their first use), in promotion id order
    (no deadlocks)."""
    ids = sorted(set(promotion_ids))
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        return _upsert_counters(ids)
    m.PromotionCounter.objects.bulk_create(
        [m.PromotionCounter(promotion_id=pid) for pid in ids], ignore_conflicts=True
    )
    return {
        c.promotion_id: c
        for c in m.PromotionCounter.objects.select_for_update()
        .filter(promotion_id__in=ids)
        .order_by("promotion_id")
    }


def _upsert_counters(ids: list[int]) -> dict[int, m.PromotionCounter]:
    """Make and lock the counters in one round trip: an INSERT whose conflict is an UPDATE
    locks the existing row, waiting for a concurrent first use to commit and then seeing its
    row (a SELECT ... FOR UPDATE after an INSERT ... DO NOTHING in the same statement would
    not: it reads the statement's snapshot)."""
    table = m.PromotionCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" (promotion_id, used) '  # the name from model meta
            "SELECT id, 0 FROM unnest(%s::bigint[]) AS v(id) ORDER BY id "
            f'ON CONFLICT (promotion_id) DO UPDATE SET used = "{table}".used '
            "RETURNING promotion_id, used",
            [int_array(ids)],
        )
        return {pid: m.PromotionCounter(promotion_id=pid, used=used) for pid, used in cursor}


# No savepoint of its own (two round trips on every submit): atomic alone, and inside the
# caller's transaction a failure (PricingChanged) rolls back with it; no caller goes on after.
@transaction.atomic(savepoint=False)
def finalize_order_pricing(
    *,
    order: OrderFacts,
    actor,
    hold_pending_adjustments: bool = False,
    priced: PricedOrder | None = None,
) -> PricedOrder:
    """At submit: make promotion usage final and consume the coupons used.

    Re-checks every limited promotion under its counter's row lock. If one ran out since the
    cart was priced, raises PricingChanged (with the new price) before anything is consumed;
    the caller rolls back, and the next `reprice_order` shows the promotion as "limit reached".
    An adjustment still awaiting approval refuses the submit (ApprovalNeeded), unless orders
    places the order on hold for it (`hold_pending_adjustments`; it does not apply meanwhile).

    `priced`: the result the order was confirmed at, moments before under the order's lock
    (submit's own reprice, whose usage rows `reprice_order` kept in step); its promotions are
    the ones made final. Without it the order is priced here as the CSR saw it.
    """
    loaded = loader.load_order(order)
    if not hold_pending_adjustments:
        _refuse_pending_adjustment(loaded.snapshot)
    priced = priced or _price_as_seen(loaded)
    applied = _applied_amounts(priced)
    counted = _take_limited_uses(order, loaded, priced, applied, actor)
    _finalize_usage(order, loaded.usages, applied, counted)
    _consume_coupons(order.order_id, applied, actor)
    event(
        E.PRICING_FINALIZED,
        actor,
        order_id=order.order_id,
        promotions=sorted(applied),
        total=str(priced.total),
    )
    return priced


def _price_as_seen(loaded: loader.Loaded) -> PricedOrder:
    """The order priced as the CSR saw it: promotions the cart holds (pending usage) count as
    available; their limits are checked under lock, where the answer is final."""
    held = {u.promotion_id for u in loaded.usages if u.status == m.UsageStatus.PENDING}
    as_seen = dataclasses.replace(
        loaded.snapshot,
        allowances=tuple(a for a in loaded.snapshot.allowances if a.promotion_id not in held),
    )
    return engine.price(as_seen, loaded.rules)


def _refuse_pending_adjustment(snapshot: engine.Snapshot) -> None:
    """ApprovalNeeded for the first adjustment still waiting, among those the loader read with
    the order (not rejected, in the order they were made): no second read of them."""
    pending = next((a for a in snapshot.adjustments if not a.approved), None)
    if pending is not None:
        described = m.OrderAdjustment(kind=pending.kind.value, value=pending.value)  # its __str__
        raise ApprovalNeeded(
            f"The adjustment “{described}” awaits a supervisor's approval: have it approved "
            "or remove it before submitting."
        )


def _take_limited_uses(
    order: OrderFacts, loaded: loader.Loaded, priced: PricedOrder, applied, actor
) -> Statement | None:
    """Check each limited promotion the order earns under its counter's row lock;
    PricingChanged (nothing counted) when one ran out meanwhile. Returns the counting of this
    order's uses (one UPDATE for every counter, all locked here), for the caller to write with
    the usage rows."""
    limited = _limited_applied(loaded.rules, applied)
    counters = _lock_counters(limited)
    # The order's own usage rows change only under its row lock, which the caller holds.
    own_final = {u.promotion_id for u in loaded.usages if u.status == m.UsageStatus.FINAL}
    lost = [
        p
        for pid, p in limited.items()
        if pid not in own_final and _ran_out(p, counters[pid], order)
    ]
    if lost:
        _refuse_lost(order, loaded, priced, lost, actor)
    return _count_uses(sorted(pid for pid in limited if pid not in own_final))


def _limited_applied(rules: engine.Rules, applied) -> dict[int, engine.PromotionRule | m.Promotion]:
    """The limited promotions among those applied, by id. One ended or deactivated since the
    order was priced (it is no longer among the active rules) still takes its use: it is in
    the total the customer confirmed."""
    found = loader.limited_promotions(p for p in rules.promotions if p.id in applied)
    active = {p.id for p in rules.promotions}
    if gone := [pid for pid in applied if pid not in active]:
        found |= loader.limited_promotions(m.Promotion.objects.filter(pk__in=gone))
    return found


def _count_uses(promotion_ids: list[int]) -> Statement | None:
    if not promotion_ids:
        return None
    return Statement(
        sql=(
            "UPDATE pricing_promotioncounter SET used = used + 1 "
            "WHERE promotion_id = ANY(%s::bigint[])"
        ),
        params=[promotion_ids],
        orm=lambda: m.PromotionCounter.objects.filter(promotion_id__in=promotion_ids).update(
            used=F("used") + 1
        ),
    )


def _ran_out(
    p: engine.PromotionRule | m.Promotion, counter: m.PromotionCounter, order: OrderFacts
) -> bool:
    if p.limit_overall is not None and counter.used >= p.limit_overall:
        return True
    if p.limit_per_customer is None or order.customer_id is None:
        return False
    used_by_customer = (
        m.PromotionUsage.objects.filter(
            promotion_id=p.id, customer_id=order.customer_id, status=m.UsageStatus.FINAL
        )
        .exclude(order_id=order.order_id)
        .count()
    )
    return used_by_customer >= p.limit_per_customer


SUBMIT_AGAIN = "Review the order with the customer and submit again."


def _refuse_lost(
    order: OrderFacts, loaded: loader.Loaded, priced: PricedOrder, lost, actor, then=SUBMIT_AGAIN
):
    """PricingChanged: the `lost` promotions ran out; the total without them, and `then`, what
    the CSR does next."""
    # Reprice as it would be now (the counters are read under lock, so this is current).
    repriced = engine.price(_without_uses(loaded.snapshot, [p.id for p in lost]), loaded.rules)
    names = ", ".join(f"“{p.name}”" for p in lost)
    event(
        E.PROMOTION_LIMIT_LOST,
        actor,
        order_id=order.order_id,
        subject=names,
        promotions=[p.id for p in lost],
        old_total=str(priced.total),
        new_total=str(repriced.total),
    )
    raise PricingChanged(
        f"{names} reached its usage limit just now and no longer applies. The total is now "
        f"{repriced.total} {order.currency} (was {priced.total}). {then}",
        priced=repriced,
        extra={"total": str(repriced.total), "previous_total": str(priced.total)},
    )


def _finalize_usage(
    order: OrderFacts, usages, applied: dict[int, Decimal], counted: Statement | None
) -> None:
    """The uses of the promotions applied become final; pending ones not applied go; final
    ones no longer earned (a submitted order changed) go back to the pool. `usages`: the
    order's usage rows as the loader read them; `counted`: the counters' increment for the
    uses taken (`_take_limited_uses`), written in the same round trip as the usage rows."""
    rows = {u.promotion_id: u for u in usages}
    now = timezone.now()
    m.PromotionUsage.objects.bulk_create(
        _usages(
            order,
            {pid: amount for pid, amount in applied.items() if pid not in rows},
            m.UsageStatus.FINAL,
        )
    )
    # The order's usage rows change only under its row lock, which the caller holds: the rows
    # the loader read are all there are, and a cart whose pending uses all apply deletes none.
    stale = [
        u.pk for u in usages if u.status == m.UsageStatus.PENDING and u.promotion_id not in applied
    ]
    execute_together(
        [
            counted,
            update_rows_statement(  # one UPDATE for every use pending (or final, on a change)
                m.PromotionUsage,
                ["status", "amount", "modified_at"],
                [
                    (rows[pid].pk, m.UsageStatus.FINAL.value, amount, now)
                    for pid, amount in applied.items()
                    if pid in rows
                ],
            ),
            _delete_usages(stale),
        ]
    )
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
        m.PromotionUsage.objects.filter(order_id=order.order_id, promotion_id__in=dropped).update(
            status=m.UsageStatus.RELEASED
        )


def _delete_usages(ids: list[int]) -> Statement | None:
    if not ids:
        return None
    return Statement(
        sql="DELETE FROM pricing_promotionusage WHERE id = ANY(%s::bigint[])",
        params=[ids],
        orm=lambda: m.PromotionUsage.objects.filter(pk__in=ids).delete(),
    )


def _consume_coupons(order_id: int, applied: dict[int, Decimal], actor) -> None:
    """Coupons whose promotion applied are consumed; the others go back to the wallet."""
    now = timezone.now()
    for coupon in m.Coupon.objects.select_for_update().filter(
        order_id=order_id, status=m.Coupon.Status.AVAILABLE
    ):
        if coupon.promotion_id in applied:
            coupon.status, coupon.consumed_at = m.Coupon.Status.CONSUMED, now
            coupon.save(update_fields=["status", "consumed_at"])
            event(E.COUPON_CONSUMED, actor, order_id=order_id, subject=coupon.code)
        else:
            coupon.order = None
            coupon.save(update_fields=["order"])


def _without_uses(snapshot: engine.Snapshot, exhausted) -> engine.Snapshot:
    exhausted = set(exhausted)
    kept = tuple(a for a in snapshot.allowances if a.promotion_id not in exhausted)
    gone = tuple(engine.Allowance(pid, 0, None) for pid in sorted(exhausted))
    return dataclasses.replace(snapshot, allowances=kept + gone)


@transaction.atomic
def release_order_pricing(*, order_id: int, actor) -> None:
    """On cancel: release promotion usage (final uses go back to the pool) and return the
    coupons to the customer's wallet."""
    usages = list(
        m.PromotionUsage.objects.filter(order_id=order_id).exclude(status=m.UsageStatus.RELEASED)
    )
    final_ids = [u.promotion_id for u in usages if u.status == m.UsageStatus.FINAL]
    if final_ids:
        _lock_counters(final_ids)
        m.PromotionCounter.objects.filter(promotion_id__in=final_ids, used__gt=0).update(
            used=F("used") - 1
        )
    if usages:
        m.PromotionUsage.objects.filter(pk__in=[u.pk for u in usages]).update(
            status=m.UsageStatus.RELEASED, modified_at=timezone.now()
        )
    for coupon in m.Coupon.objects.select_for_update().filter(order_id=order_id):
        was_consumed = coupon.status == m.Coupon.Status.CONSUMED
        coupon.status, coupon.order, coupon.consumed_at = m.Coupon.Status.AVAILABLE, None, None
        coupon.save(update_fields=["status", "order", "consumed_at"])
        if was_consumed:
            event(E.COUPON_RETURNED, actor, order_id=order_id, subject=coupon.code)
    event(
        E.PRICING_RELEASED,
        actor,
        order_id=order_id,
        released=[u.promotion_id for u in usages],
    )
