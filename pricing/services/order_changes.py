"""A placed order changed (issue 16): its promotion usage follows the change.

Orders reprices a changed order as of its submit time (orders/services/changes.py); the reprice
keeps the usage rows in step as on a cart (`_usage_statements`: a promotion newly applied gets a
pending use). Then, in the change's transaction, `settle_changed_usage` makes them what submit
would have made them:

- a promotion the change newly earns (a pending use, or one an earlier change gave back) takes
  its use: final, its counter counted, its limits checked under the counter's row lock as at
  submit. If the last use went meanwhile, nothing is taken and PricingChanged says so with the
  total without it: the change is not made, and made again it is priced without it;
- a promotion whose condition the change breaks gives its final use and its counter back, as on
  cancel (`release_order_pricing`), and a coupon consumed for it on this order goes back to the
  customer's wallet.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.events import EventType as E
from pricing import loader
from pricing import models as m
from pricing.engine import PricedOrder
from pricing.loader import OrderFacts
from pricing.services.events import event
from pricing.services.repricing import _lock_counters, _ran_out, _refuse_lost

TRY_THE_CHANGE_AGAIN = (
    "The order was not changed: review the change with the customer and make it again."
)


@transaction.atomic(savepoint=False)
def settle_changed_usage(*, order: OrderFacts, priced: PricedOrder, now, actor) -> None:
    """Newly earned promotions take their use, those no longer earned give it back (see the
    module). `priced`: the change's reprice, as of `now` (the order's submit time)."""
    applied = set(priced.applied_promotion_ids)
    usages = list(m.PromotionUsage.objects.filter(order_id=order.order_id))
    earned = [u for u in usages if u.promotion_id in applied and u.status != m.UsageStatus.FINAL]
    dropped = [
        u for u in usages if u.promotion_id not in applied and u.status == m.UsageStatus.FINAL
    ]
    limited = {
        p.pk: p
        for p in m.Promotion.objects.filter(pk__in=[u.promotion_id for u in earned]).filter(
            Q(limit_overall__isnull=False) | Q(limit_per_customer__isnull=False)
        )
    }
    # Every counter this change moves, locked in one batch in id order (no deadlocks).
    counters = _lock_counters([*limited, *(u.promotion_id for u in dropped)])
    if earned:
        _take_earned(order, priced, now, earned, limited, counters, actor)
    if dropped:
        _give_back_dropped(order.order_id, [u.promotion_id for u in dropped], actor)


def _take_earned(order: OrderFacts, priced, now, earned, limited, counters, actor) -> None:
    lost = [p for pid, p in limited.items() if _ran_out(p, counters[pid], order)]
    if lost:
        loaded = loader.load_order(order, now=now)
        _refuse_lost(order, loaded, priced, lost, actor, then=TRY_THE_CHANGE_AGAIN)
    if limited:
        m.PromotionCounter.objects.filter(promotion_id__in=list(limited)).update(used=F("used") + 1)
    m.PromotionUsage.objects.filter(pk__in=[u.pk for u in earned]).update(
        status=m.UsageStatus.FINAL, modified_at=timezone.now()
    )
    event(
        E.PRICING_FINALIZED,
        actor,
        order_id=order.order_id,
        promotions=sorted(u.promotion_id for u in earned),
        total=str(priced.total),
        why="order changed",
    )


def _give_back_dropped(order_id: int, promotion_ids: list[int], actor) -> None:
    """Final uses back to the pool, counters down, the coupons consumed for them returned."""
    m.PromotionCounter.objects.filter(promotion_id__in=promotion_ids, used__gt=0).update(
        used=F("used") - 1
    )
    m.PromotionUsage.objects.filter(order_id=order_id, promotion_id__in=promotion_ids).update(
        status=m.UsageStatus.RELEASED, modified_at=timezone.now()
    )
    for coupon in m.Coupon.objects.select_for_update().filter(
        order_id=order_id, promotion_id__in=promotion_ids, status=m.Coupon.Status.CONSUMED
    ):
        coupon.status, coupon.order, coupon.consumed_at = m.Coupon.Status.AVAILABLE, None, None
        coupon.save(update_fields=["status", "order", "consumed_at"])
        event(E.COUPON_RETURNED, actor, order_id=order_id, subject=coupon.code, why="order changed")
    event(E.PRICING_RELEASED, actor, order_id=order_id, released=promotion_ids, why="order changed")
