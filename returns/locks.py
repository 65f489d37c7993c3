"""Row locks of the returns app, each set taken in primary-key order so writers can't deadlock.

Lock order: the return, then the order lines it returns.
"""

from collections.abc import Iterable

from core.errors import NotFound
from orders.models import OrderLine
from returns.models import ReturnRequest


def lock_return(return_id: int) -> ReturnRequest:
    found = ReturnRequest.objects.select_for_update().filter(pk=return_id).first()
    if found is None:
        raise NotFound("This return does not exist.")
    return found


def lock_order_lines(line_ids: Iterable[int]) -> list[OrderLine]:
    """The order lines being returned: two returns of one line (by two CSRs) take turns here,
    so each counts what the other already returned. Only read afterwards, never written."""
    return list(
        OrderLine.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(line_ids)))
        .select_related("sku")
        .order_by("pk")
    )
