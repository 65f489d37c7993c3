"""Usage limits hold when many orders race for the last uses (PostgreSQL, real threads)."""

from decimal import Decimal

import pytest

from orders.pricing import finalize_pricing, reprice_order
from pricing import models as m
from pricing import services
from tests.concurrency import run_together
from tests.customers.factories import CustomerFactory
from tests.pricing.conftest import Store
from tests.pricing.factories import PromotionFactory

pytestmark = [pytest.mark.postgres]


def race(orders, actor) -> dict:
    """Finalize every order at once; each one's outcome: "won", "lost" or the error."""

    def submit(order):
        try:
            finalize_pricing(order=order, actor=actor)
            return order.pk, "won"
        except services.PricingChanged:
            return order.pk, "lost"

    results, errors = run_together(*[lambda o=o: submit(o) for o in orders])
    assert errors == []
    return dict(results)


def test_exactly_the_overall_limit_is_granted(transactional_db, csr):
    store = Store()
    promotion = PromotionFactory(name="Last three", limit_overall=3)
    orders = [store.cart(notebook=1) for _ in range(10)]
    for order in orders:
        assert reprice_order(order=order).discount_total == Decimal("1.20")
    outcomes = race(orders, csr)
    assert sorted(outcomes.values()) == ["lost"] * 7 + ["won"] * 3, outcomes
    assert m.PromotionCounter.objects.get(promotion=promotion).used == 3
    assert m.PromotionUsage.objects.filter(status=m.UsageStatus.FINAL).count() == 3
    # a loser, repriced, shows why and no longer gets the discount
    loser = next(o for o in orders if outcomes[o.pk] == "lost")
    priced = reprice_order(order=loser)
    assert priced.discount_total == 0
    assert [n.reason for n in priced.explanation.not_applied] == ["limit_reached"]


def test_exactly_the_per_customer_limit_is_granted(transactional_db, csr):
    store = Store()
    PromotionFactory(name="Once per customer", limit_per_customer=1)
    customer = CustomerFactory()
    orders = [store.cart(customer=customer, pen=2) for _ in range(6)]
    for order in orders:
        reprice_order(order=order)
    outcomes = race(orders, csr)
    assert sorted(outcomes.values()) == ["lost"] * 5 + ["won"], outcomes
