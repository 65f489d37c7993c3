"""PostgreSQL: two CSRs change one order at once; a change races the release job (issue 16)."""

import pytest

from core.errors import DomainError
from fulfillment.models import LineAllocation, ReleaseLine
from fulfillment.releases import run_release
from orders.models import Order, OrderLine, OrderPayment, OrderVersion, PaymentStatus
from orders.services.changes import ChangeRequest, order_change
from tests.concurrency import run_together
from tests.orders.test_changes import place

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def placed(transactional_db, guest_cart, csr, sku, sku2, ground):
    from tests.fulfillment.factories import ArrangementFactory, CenterFactory, stock
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory

    base = PriceListFactory(currency="CAD")
    PriceListEntryFactory(price_list=base, sku=sku, price="12.00")
    tor = CenterFactory(code="TOR")
    ArrangementFactory(center=tor, shipping_method=ground, precedence=1)
    stock(sku, tor, 100)
    return place(guest_cart, csr, sku)


def test_two_csrs_change_one_order_one_is_told_nothing_lost(placed, csr, supervisor):
    order = placed
    line = order.lines.get()
    seen = order.version

    def change(actor, qty):
        return lambda: order_change(
            actor=actor,
            order=order.pk,
            version=seen,
            request=ChangeRequest(quantities={line.pk: qty}),
        )

    results, errors = run_together(change(csr, 3), change(supervisor, 7))
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], DomainError) and "changed since you opened it" in str(errors[0])
    won = results[0]
    line.refresh_from_db()
    assert line.quantity == won.version.lines[0]["quantity"]
    assert OrderVersion.objects.filter(order=order).count() == 2
    assert (
        sum(LineAllocation.objects.filter(line_id=line.pk).values_list("quantity", flat=True))
        == line.quantity
    )
    payment = OrderPayment.objects.get(order=order, status=PaymentStatus.AUTHORIZED)
    assert payment.amount == Order.objects.get(pk=order.pk).total


@pytest.mark.parametrize("attempt", range(3))
def test_a_change_racing_the_release_job_lands_before_or_is_refused(
    placed, csr, operations, attempt
):
    order = placed
    line = order.lines.get()

    def change():
        return order_change(
            actor=csr,
            order=order.pk,
            version=order.version,
            request=ChangeRequest(quantities={line.pk: 5}),
        )

    results, errors = run_together(change, lambda: run_release(actor=operations))
    line.refresh_from_db()
    versions = OrderVersion.objects.filter(order=order).count()
    changed = [r for r in results if hasattr(r, "version")]
    if changed:  # the change landed (and the job skipped the locked order, or ran after it)
        assert line.quantity == 5 and versions == 2 and not errors
    else:  # refused: nothing of it is on the order
        assert len(errors) == 1 and isinstance(errors[0], DomainError)
        assert line.quantity == 2 and versions == 1
    released = list(ReleaseLine.objects.filter(line_id=line.pk).values_list("quantity", flat=True))
    assert released in ([], [line.quantity])  # a release never carries a half-changed line
    if released:
        assert OrderLine.objects.get(pk=line.pk).inventory_status == "released"
