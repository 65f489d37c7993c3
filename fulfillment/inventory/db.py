"""The statements of an allocation's write, built for `core.db.execute_together` so the caller's
own statements (the lines' status, the order's event) travel in the same round trip."""

from __future__ import annotations

from core.db import Statement, bulk_set_statement
from fulfillment.models import ExpectedInventory, Inventory, LineAllocation


def delete_allocations_statement(ids: list[int]) -> Statement | None:
    if not ids:
        return None
    return Statement(
        sql="DELETE FROM fulfillment_lineallocation WHERE id = ANY(%s::bigint[])",
        params=[list(ids)],
        orm=lambda: LineAllocation.objects.filter(pk__in=ids).delete(),
    )


def _insert_statement(rows: list[LineAllocation]) -> Statement | None:
    if not rows:
        return None
    return Statement(
        sql=(
            "INSERT INTO fulfillment_lineallocation (line_id, kind, sku_id, quantity, center_id, "
            "inventory_id, expected_id, expected_date, allocated_at) SELECT * FROM unnest("
            "%s::bigint[], %s::text[], %s::bigint[], %s::int[], %s::bigint[], %s::bigint[], "
            "%s::bigint[], %s::date[], %s::timestamptz[])"
        ),
        params=[
            [x.line_id for x in rows],
            [str(x.kind) for x in rows],
            [x.sku_id for x in rows],
            [x.quantity for x in rows],
            [x.center_id for x in rows],
            [x.inventory_id for x in rows],
            [x.expected_id for x in rows],
            [x.expected_date for x in rows],
            [x.allocated_at for x in rows],
        ],
        orm=lambda: LineAllocation.objects.bulk_create(rows),
    )


def allocation_statements(
    *,
    inventory: dict[int, int],
    expected: dict[int, int],
    delete_ids: list[int],
    new_allocations: list[LineAllocation],
) -> list[Statement | None]:
    """inventory.allocated and expected.promised_quantity set, allocation rows replaced."""
    return [
        bulk_set_statement(Inventory, "allocated", inventory),
        bulk_set_statement(ExpectedInventory, "promised_quantity", expected),
        delete_allocations_statement(delete_ids),
        _insert_statement(new_allocations),
    ]
