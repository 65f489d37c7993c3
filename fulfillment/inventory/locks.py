"""Row locks of inventory, always taken in primary-key order so writers can't deadlock.

`select_for_update` does nothing on SQLite (which serializes writers anyway); the concurrency
tests run on PostgreSQL.
"""

from collections.abc import Iterable

from fulfillment.models import ExpectedInventory, Inventory


def lock_inventory(*, sku_ids: Iterable[int], center_ids: Iterable[int] | None = None):
    qs = Inventory.objects.select_for_update().filter(sku_id__in=list(sku_ids))
    if center_ids is not None:
        qs = qs.filter(center_id__in=list(center_ids))
    return list(qs.order_by("pk"))


def lock_inventory_rows(ids: Iterable[int]):
    return list(Inventory.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk"))


def lock_expected_rows(ids: Iterable[int]):
    return list(
        ExpectedInventory.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk")
    )
