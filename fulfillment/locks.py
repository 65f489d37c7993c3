"""Row locks of the fulfillment app, always taken in primary-key order so writers can't deadlock.

`select_for_update` does nothing on SQLite (which serializes writers anyway); the concurrency
tests run on PostgreSQL.
"""

from collections.abc import Iterable

from fulfillment.models import ExpectedInventory, Inventory


def lock_lines(line_ids: Iterable[int] | None = None, **filters):
    """Lock order lines (by ids, or by filters such as order=...) in pk order."""
    from orders.models import OrderLine

    qs = OrderLine.objects.select_for_update(of=("self",)).select_related(
        "sku", "ship_to__shipping_method"
    )
    if line_ids is not None:
        qs = qs.filter(pk__in=list(line_ids))
    return list(qs.filter(**filters).order_by("pk"))


def lock_inventory(*, sku_ids: Iterable[int], center_ids: Iterable[int] | None = None):
    qs = Inventory.objects.select_for_update().filter(sku_id__in=list(sku_ids))
    if center_ids is not None:
        qs = qs.filter(center_id__in=list(center_ids))
    return list(qs.order_by("pk"))


def lock_inventory_rows(ids: Iterable[int]):
    return list(Inventory.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk"))


def lock_expected(*, sku_ids: Iterable[int], center_ids: Iterable[int] | None = None):
    """Open expected-inventory rows for these SKUs, locked in pk order."""
    from django.db.models import F

    qs = ExpectedInventory.objects.select_for_update().filter(
        sku_id__in=list(sku_ids), received_quantity__lt=F("quantity")
    )
    if center_ids is not None:
        qs = qs.filter(center_id__in=list(center_ids))
    return list(qs.order_by("pk"))


def lock_expected_rows(ids: Iterable[int]):
    return list(
        ExpectedInventory.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk")
    )
