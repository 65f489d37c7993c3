"""PostgreSQL: two CSRs change one order at once; a change races the release job; two changes
race for the last use of a promotion (issue 16)."""

from decimal import Decimal

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


@pytest.mark.parametrize("attempt", range(3))
def test_two_changes_earning_the_last_use_of_a_promotion_never_exceed_its_limit(
    transactional_db, csr, sku, ground, attempt
):
    from orders import services
    from pricing.models import PromotionCounter, PromotionUsage, UsageStatus
    from tests.fulfillment.factories import ArrangementFactory, CenterFactory, stock
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory, PromotionFactory

    PriceListEntryFactory(price_list=PriceListFactory(currency="CAD"), sku=sku, price="10.00")
    tor = CenterFactory(code="TOR")
    ArrangementFactory(center=tor, shipping_method=ground, precedence=1)
    stock(sku, tor, 100)
    promotion = PromotionFactory(name="Last one", min_quantity=3, limit_overall=1)
    orders = [
        place(
            services.cart_create(actor=csr, guest={"last_name": f"G{n}", "email": "g@x.ca"}),
            csr,
            sku,
        )
        for n in range(2)
    ]

    def change(order):
        return lambda: order_change(
            actor=csr,
            order=order.pk,
            version=order.version,
            request=ChangeRequest(quantities={order.lines.get().pk: 3}),
        )

    results, errors = run_together(*[change(order) for order in orders])
    # The loser was priced without it (the limit read as reached), or refused (the use went
    # between its preview and its commit, or between its reprice and the counter's lock).
    assert results and all(isinstance(error, DomainError) for error in errors), errors
    assert PromotionCounter.objects.get(promotion=promotion).used == 1
    final = PromotionUsage.objects.filter(promotion=promotion, status=UsageStatus.FINAL)
    assert final.count() == 1
    for order in Order.objects.filter(pk__in=[o.pk for o in orders]):
        discounted = order.pk == final.get().order_id
        assert order.discount_total == (Decimal("3.00") if discounted else 0)
