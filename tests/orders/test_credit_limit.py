"""A business account's credit limit (issue 16): an order that takes the account's open orders
over it is held at submit, or when a change raises its total, until a supervisor releases it."""

from decimal import Decimal

import pytest

from core.errors import NotAllowed
from core.events import EventType as E
from fulfillment.releases import run_release
from orders import services
from orders.models import HoldType, Order, OrderEvent, OrderHold, OrderStatus
from orders.selectors import account_open_total
from orders.services.changes import ChangeRequest, order_change
from orders.services.holds import hold_release
from tests.customers.factories import CustomerFactory, OrganizationFactory
from tests.fulfillment.factories import stock
from tests.orders.conftest import make_ready


def place(csr, customer, sku, qty):
    cart = make_ready(services.cart_create(actor=csr, customer=customer), csr, sku, qty=qty)
    result = services.submit_order(actor=csr, order=cart, idempotency_key=f"k-{cart.pk}")
    assert result.placed, result.message
    return result.order


def credit_holds(order):
    return OrderHold.objects.filter(order=order, type=HoldType.CREDIT_LIMIT)


def test_an_order_over_the_accounts_credit_limit_is_held_with_the_figures(
    client, csr, supervisor, operations, sku, center
):
    account = OrganizationFactory(name="Acme", account_number="B-1", credit_limit=Decimal("50"))
    first = place(csr, CustomerFactory(organization=account), sku, qty=2)
    assert first.total == Decimal("20.00") and not credit_holds(first).exists()

    second = place(csr, CustomerFactory(organization=account), sku, qty=4)
    hold = credit_holds(second).get()
    assert hold.reason == (
        "Account Acme (B-1): open orders 20.00 + this order 40.00 over the credit limit 50.00 CAD."
    )
    assert hold.placed_by_rule == "submit: credit limit"
    assert OrderEvent.objects.filter(order=second, event_type=E.ORDER_HOLD_PLACED).exists()
    client.force_login(csr)
    placed_page = client.get(f"/orders/{second.pk}/placed/").content.decode()
    assert f"On hold (credit limit of a business account): {hold.reason}" in placed_page
    run_release(actor=operations)
    assert Order.objects.get(pk=first.pk).status == OrderStatus.RELEASED
    assert Order.objects.get(pk=second.pk).status == OrderStatus.AUTHORIZED

    with pytest.raises(NotAllowed):
        hold_release(actor=csr, hold_id=hold.pk)
    hold_release(actor=supervisor, hold_id=hold.pk, note="customer paid the last invoice")
    run_release(actor=operations)
    assert Order.objects.get(pk=second.pk).status == OrderStatus.RELEASED


def test_within_the_limit_without_a_limit_or_for_canceled_orders_nothing_is_held(csr, sku, center):
    limited = OrganizationFactory(credit_limit=Decimal("40.00"))
    buyer = CustomerFactory(organization=limited)
    canceled = place(csr, buyer, sku, qty=3)
    services.cancel_order(actor=csr, order=canceled)
    exactly_at_limit = place(csr, buyer, sku, qty=4)  # the canceled 30.00 no longer counts
    unlimited = place(csr, CustomerFactory(organization=OrganizationFactory()), sku, qty=90)
    no_account = place(csr, CustomerFactory(), sku, qty=90)
    for order in (exactly_at_limit, unlimited, no_account):
        assert not credit_holds(order).exists()
    assert account_open_total(
        organization_id=limited.pk, currency="CAD", exclude_order_id=None
    ) == Decimal("40.00")


def test_a_change_that_raises_the_total_over_the_limit_holds_the_order(csr, sku, center):
    account = OrganizationFactory(credit_limit=Decimal("50.00"))
    order = place(csr, CustomerFactory(organization=account), sku, qty=2)
    line = order.lines.get()
    lowered = order_change(
        actor=csr,
        order=order,
        version=order.version,
        request=ChangeRequest(quantities={line.pk: 1}),
    ).order
    assert not credit_holds(order).exists()

    raised = order_change(
        actor=csr,
        order=lowered,
        version=lowered.version,
        request=ChangeRequest(quantities={line.pk: 6}),
    )
    hold = credit_holds(order).get()
    assert raised.order.total == Decimal("60.00") and raised.held_for == hold.reason
    assert "open orders 0.00 + this order 60.00 over the credit limit 50.00" in hold.reason
    assert hold.placed_by_rule == "change: credit limit"


def test_the_change_screen_tells_the_csr_the_order_is_now_held(client, csr, sku, center):
    account = OrganizationFactory(name="Acme", account_number="B-1", credit_limit=Decimal("50"))
    order = place(csr, CustomerFactory(organization=account), sku, qty=2)
    line = order.lines.get()
    client.force_login(csr)
    data = {"version": order.version, f"qty_{line.pk}": "6", "reason": "customer called"}
    r = client.post(f"/orders/{order.pk}/change/submit/", data, follow=True)
    assert "On hold: Account Acme (B-1): open orders 0.00 + this order 60.00" in (
        r.content.decode()
    )


@pytest.mark.postgres
def test_two_changes_of_one_account_at_once_count_each_other(
    transactional_db, csr, sku, sku2, center, monkeypatch
):
    """Each change alone stays within the limit, both together do not. The first check waits,
    holding the account, until the second has begun its own: the account's row lock makes the
    second wait for the first change and count it, so exactly one order is held."""
    import threading

    from orders import integrations
    from tests.concurrency import run_together
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory

    # Two SKUs: the changes share no inventory row, whose lock would keep the second one from
    # reaching its check while the first waits for it.
    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku2, price=Decimal("10.00"))
    stock(sku2, center, 100)
    account = OrganizationFactory(credit_limit=Decimal("50.00"))
    orders = [place(csr, CustomerFactory(organization=account), s, qty=2) for s in (sku, sku2)]
    first, second_began = threading.Lock(), threading.Event()
    credit_account = integrations.credit_account

    def checked_together(customer_id, *, lock=False):
        if first.acquire(blocking=False):
            account = credit_account(customer_id, lock=lock)
            # Only a guard against a hang should the second change block elsewhere: waiting
            # less changes the interleaving, never what the lock guarantees.
            second_began.wait(timeout=60)
            return account
        second_began.set()
        return credit_account(customer_id, lock=lock)

    monkeypatch.setattr(integrations, "credit_account", checked_together)

    def change(order):
        def run():
            try:
                return order_change(
                    actor=csr,
                    order=order.pk,
                    version=order.version,
                    request=ChangeRequest(quantities={order.lines.get().pk: 3}),
                )
            finally:  # a change that fails before its check never keeps the first one waiting
                second_began.set()

        return run

    results, errors = run_together(*[change(order) for order in orders])
    assert errors == [] and [r.order.total for r in results] == [Decimal("30.00")] * 2
    assert OrderHold.objects.filter(order__in=orders, type=HoldType.CREDIT_LIMIT).count() == 1
