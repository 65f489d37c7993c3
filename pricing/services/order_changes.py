"""A placed order changed (issue 16): the final uses of promotions it no longer earns go back.

Orders reprices a changed order as of its submit time (orders/services/changes.py); a promotion
whose condition the change breaks drops out of the priced result. Its final use is released and
its counter given back, as on cancel (`release_order_pricing`), for that promotion only.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.events import EventType as E
from pricing import models as m
from pricing.services.events import event
from pricing.services.repricing import _lock_counters


@transaction.atomic(savepoint=False)
def release_disqualified_usage(*, order_id: int, applied_promotion_ids, actor) -> list[int]:
    """Release the order's final promotion uses not in `applied_promotion_ids`; returns the
    promotion ids released."""
    usages = list(
        m.PromotionUsage.objects.filter(order_id=order_id, status=m.UsageStatus.FINAL).exclude(
            promotion_id__in=list(applied_promotion_ids)
        )
    )
    if not usages:
        return []
    ids = [u.promotion_id for u in usages]
    counters = _lock_counters(ids)
    for pid in ids:
        if counters[pid].used > 0:
            m.PromotionCounter.objects.filter(promotion_id=pid).update(used=F("used") - 1)
    m.PromotionUsage.objects.filter(pk__in=[u.pk for u in usages]).update(
        status=m.UsageStatus.RELEASED, modified_at=timezone.now()
    )
    event(E.PRICING_RELEASED, actor, order_id=order_id, released=ids, why="order changed")
    return ids
