"""Row locks of inventory, always taken in primary-key order so writers can't deadlock.

`select_for_update` does nothing on SQLite (which serializes writers anyway); the concurrency
tests run on PostgreSQL.
"""

from collections.abc import Iterable
from typing import NamedTuple

from django.db import connection
from django.db.models import F, Q

from core.db import int_array
from fulfillment.models import ExpectedInventory, Inventory, LineAllocation


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


class HeldRow(NamedTuple):
    """What one allocation row of a line holds (what giving it back needs)."""

    pk: int
    kind: str
    quantity: int
    inventory_id: int | None
    expected_id: int | None


class LinesStock(NamedTuple):
    """What some lines hold, and the stock rows they may hold or take, locked, by id."""

    held: list[HeldRow]
    inventory: dict[int, Inventory]
    expected: dict[int, ExpectedInventory]


def lock_stock_of_lines(line_ids, sku_ids, center_ids) -> LinesStock:
    """What these (locked) lines hold, and locked in key order, inventory rows then expected
    rows: those they hold and those of these SKUs in these centers (expected ones still to
    receive). One round trip on PostgreSQL: allocation runs on every cart change."""
    line_ids, sku_ids, center_ids = list(line_ids), list(sku_ids), list(center_ids)
    if connection.vendor == "postgresql":
        return _lock_stock_of_lines_in_one_statement(line_ids, sku_ids, center_ids)
    held = [
        HeldRow(*row)
        for row in LineAllocation.objects.filter(line_id__in=line_ids).values_list(
            "pk", "kind", "quantity", "inventory_id", "expected_id"
        )
    ]
    inventory = Inventory.objects.select_for_update().filter(
        Q(pk__in=[a.inventory_id for a in held if a.inventory_id])
        | Q(sku_id__in=sku_ids, center_id__in=center_ids)
    )
    expected = ExpectedInventory.objects.select_for_update().filter(
        Q(pk__in=[a.expected_id for a in held if a.expected_id])
        | Q(sku_id__in=sku_ids, center_id__in=center_ids, received_quantity__lt=F("quantity"))
    )
    return LinesStock(
        held,
        {row.pk: row for row in inventory.order_by("pk")},
        {row.pk: row for row in expected.order_by("pk")},
    )


# The three reads as WITH queries, their rows in one shape (held, inventory, expected: in that
# order, so inventory rows are locked before expected ones, each in key order as FOR UPDATE
# after ORDER BY locks them).
_LOCK_STOCK_OF_LINES = """
WITH held AS (
    SELECT id, kind, quantity, inventory_id, expected_id FROM fulfillment_lineallocation
    WHERE line_id = ANY(%(lines)s::bigint[])
), inventory AS (
    SELECT id, sku_id, center_id, on_hand, allocated FROM fulfillment_inventory
    WHERE id IN (SELECT inventory_id FROM held)
        OR (sku_id = ANY(%(skus)s::bigint[]) AND center_id = ANY(%(centers)s::bigint[]))
    ORDER BY id FOR UPDATE
), expected AS (
    SELECT id, sku_id, center_id, quantity, received_quantity, promised_quantity, expected_date
    FROM fulfillment_expectedinventory
    WHERE id IN (SELECT expected_id FROM held)
        OR (sku_id = ANY(%(skus)s::bigint[]) AND center_id = ANY(%(centers)s::bigint[])
            AND received_quantity < quantity)
    ORDER BY id FOR UPDATE
)
SELECT 1, id, quantity, inventory_id, expected_id, NULL::int, NULL::int, kind, NULL::date
FROM held
UNION ALL
SELECT 2, id, sku_id, center_id, on_hand, allocated, NULL, NULL, NULL FROM inventory
UNION ALL
SELECT 3, id, sku_id, center_id, quantity, received_quantity, promised_quantity, NULL,
    expected_date
FROM expected
"""
_INVENTORY_COLUMNS = ["id", "sku_id", "center_id", "on_hand", "allocated"]
_EXPECTED_COLUMNS = [
    "id",
    "sku_id",
    "center_id",
    "quantity",
    "received_quantity",
    "promised_quantity",
    "expected_date",
]


def _lock_stock_of_lines_in_one_statement(line_ids, sku_ids, center_ids) -> LinesStock:
    arrays = {"lines": line_ids, "skus": sku_ids, "centers": center_ids}
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_STOCK_OF_LINES, {k: int_array(v) for k, v in arrays.items()})
        rows = cursor.fetchall()
    found, alias = LinesStock([], {}, {}), connection.alias
    for part, pk, a, b, c, d, e, kind, expected_date in rows:
        if part == 1:
            found.held.append(HeldRow(pk, kind, a, b, c))
        elif part == 2:
            found.inventory[pk] = Inventory.from_db(alias, _INVENTORY_COLUMNS, (pk, a, b, c, d))
        else:
            found.expected[pk] = ExpectedInventory.from_db(
                alias, _EXPECTED_COLUMNS, (pk, a, b, c, d, e, expected_date)
            )
    return found
