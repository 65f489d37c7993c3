"""Store credit: customers' ledger, credited by returns, spent on a new order in Bill & pay and
at submit (the credit pays part or all, the card the rest); never negative."""

from decimal import Decimal

import pytest

from core.errors import DomainError
from core.events import EventType as E
from customers import credit
from customers.models import CustomerEvent, StoreCreditEntry
from fulfillment.models import Release, Shipment
from fulfillment.releases import run_release
from fulfillment.shipping import confirm_shipment
from orders import services as order_services
from orders.models import Order, OrderPayment
from pricing.loader import bump_rules_version
from pricing.models import ShippingMethod
from tests.catalog.factories import SKUFactory
from tests.concurrency import run_together
from tests.customers.factories import CustomerFactory
from tests.fulfillment.factories import ArrangementFactory, CenterFactory
from tests.fulfillment.factories import stock as put_in_stock
from tests.orders.conftest import ADDRESS
from tests.pricing.factories import PriceListEntryFactory, PriceListFactory


@pytest.fixture
def notebook(db):
    """A 20.00 notebook in stock at a center that ships by ground."""
    sku = SKUFactory(code="NB-CR", name="Notebook")
    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku, price=Decimal("20.00"))
    bump_rules_version()
    ground = ShippingMethod.objects.get_or_create(code="ground", defaults={"name": "Ground"})[0]
    center = CenterFactory(code="TOR", name="Toronto", precedence=1)
    ArrangementFactory(center=center, shipping_method=ground)
    put_in_stock(sku, center, 20)
    return sku


def _cart(csr, customer, sku, *, card=True):
    cart = order_services.cart_create(actor=csr, customer=customer)
    order_services.ship_to_add(actor=csr, order=cart, address=ADDRESS)
    order_services.line_add(actor=csr, order=cart, sku_code=sku.code, quantity=2)
    order_services.billing_address_set(actor=csr, order=cart, address=ADDRESS)
    if card:
        order_services.payment_set_card(
            actor=csr, order=cart, card_number="4242424242424242", exp_month=12, exp_year=2035,
            cvv="123",
        )  # fmt: skip
    cart.refresh_from_db()
    return cart


def _credit(customer, amount, reference="RMA0000001"):
    return credit.store_credit_add(
        actor=None, customer_id=customer.pk, amount=amount, currency="CAD", reference=reference
    )


def _submit(csr, cart, key="k-1"):
    cart.refresh_from_db()
    return order_services.submit_order(actor=csr, order=cart, idempotency_key=key)


def test_the_ledger_credits_once_per_reference_and_never_goes_negative(db):
    customer = CustomerFactory()
    _credit(customer, "15.00")
    _credit(customer, "15.00")  # the same return again: one credit
    assert credit.store_credit_balance(customer.pk) == Decimal("15.00")
    with pytest.raises(DomainError, match=r"store credit is 15\.00"):
        credit.store_credit_spend(
            actor=None, customer_id=customer.pk, amount="15.01", currency="CAD", reference="o:1"
        )
    credit.store_credit_spend(
        actor=None, customer_id=customer.pk, amount="15.00", currency="CAD", reference="o:1"
    )
    assert credit.store_credit_balance(customer.pk) == Decimal("0.00")
    kinds = CustomerEvent.objects.filter(customer=customer).values_list("event_type", flat=True)
    assert list(kinds).count(E.STORE_CREDIT_ADDED) == 1 and E.STORE_CREDIT_SPENT in kinds


def test_credit_pays_part_and_the_card_the_rest(csr, operations, notebook):
    customer = CustomerFactory()
    _credit(customer, "15.00")
    cart = _cart(csr, customer, notebook)
    assert cart.total == Decimal("40.00")
    order_services.payment_set_store_credit(actor=csr, order=cart, amount="15.00")
    result = _submit(csr, cart)
    assert result.placed
    order = result.order
    assert order.store_credit_amount == Decimal("15.00")
    payment = OrderPayment.objects.get(order=order, status="authorized")
    assert payment.amount == Decimal("25.00")
    assert credit.store_credit_balance(customer.pk) == Decimal("0.00")
    spend = StoreCreditEntry.objects.get(customer=customer, kind="spend")
    assert (spend.amount, spend.reference) == (Decimal("-15.00"), f"order:{order.pk}")
    # the shipment captures only what the card pays
    run_release()
    release = Release.objects.get(order=order)
    confirm_shipment(actor=operations, release_id=release.pk, carrier="UPS", tracking_number="1")
    assert Shipment.objects.get(order=order).amount == Decimal("25.00")


def test_credit_pays_it_all_without_a_card_and_cancel_gives_it_back(csr, notebook):
    customer = CustomerFactory()
    _credit(customer, "50.00")
    cart = _cart(csr, customer, notebook, card=False)
    assert "payment" in order_services.submit_problems(cart)
    order_services.payment_set_store_credit(actor=csr, order=cart, amount="40.00")
    cart.refresh_from_db()
    assert "payment" not in order_services.submit_problems(cart)
    result = _submit(csr, cart)
    assert result.placed and not OrderPayment.objects.filter(order=result.order).exists()
    assert credit.store_credit_balance(customer.pk) == Decimal("10.00")
    order_services.cancel_order(actor=csr, order=result.order, reason="changed mind")
    assert credit.store_credit_balance(customer.pk) == Decimal("50.00")


def test_bill_and_pay_refuses_more_than_the_balance_or_the_total(csr, notebook):
    customer = CustomerFactory()
    _credit(customer, "100.00")
    cart = _cart(csr, customer, notebook)
    with pytest.raises(DomainError, match=r"total is 40\.00"):
        order_services.payment_set_store_credit(actor=csr, order=cart, amount="40.01")
    with pytest.raises(DomainError, match="negative"):
        order_services.payment_set_store_credit(actor=csr, order=cart, amount="-1")
    other = CustomerFactory()
    cart2 = _cart(csr, other, notebook)
    with pytest.raises(DomainError, match="store credit is 0"):
        order_services.payment_set_store_credit(actor=csr, order=cart2, amount="1.00")
    guest = order_services.cart_create(actor=csr, guest={"first_name": "G", "last_name": "H"})
    with pytest.raises(DomainError, match="guest has no store credit"):
        order_services.payment_set_store_credit(actor=csr, order=guest, amount="1.00")


def test_spent_meanwhile_refuses_the_submit_and_keeps_the_cart(csr, notebook):
    customer = CustomerFactory()
    _credit(customer, "15.00")
    cart = _cart(csr, customer, notebook)
    order_services.payment_set_store_credit(actor=csr, order=cart, amount="15.00")
    credit.store_credit_spend(
        actor=None, customer_id=customer.pk, amount="10.00", currency="CAD", reference="other"
    )
    with pytest.raises(DomainError, match=r"store credit is 5\.00"):
        _submit(csr, cart)
    cart.refresh_from_db()
    assert cart.status == "pending"


def test_the_bill_and_pay_panel_shows_the_balance_and_applies_credit(client, csr, notebook):
    customer = CustomerFactory()
    _credit(customer, "15.00")
    cart = _cart(csr, customer, notebook)
    client.force_login(csr)
    hx = {"HTTP_HX_REQUEST": "true"}
    panel = client.get(f"/orders/{cart.pk}/panel/billing/", **hx)
    assert b"Store credit balance: 15.00" in panel.content
    response = client.post(f"/orders/{cart.pk}/panel/billing/", {"store_credit": "12.50"}, **hx)
    assert response.status_code == 200
    cart.refresh_from_db()
    assert cart.store_credit_amount == Decimal("12.50")
    response = client.post(f"/orders/{cart.pk}/panel/billing/", {"store_credit": "99"}, **hx)
    assert b"store credit is 15.00" in response.content
    assert Order.objects.get(pk=cart.pk).store_credit_amount == Decimal("12.50")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_orders_cannot_spend_the_same_credit(csr, notebook):
    customer = CustomerFactory()
    _credit(customer, "20.00")
    carts = [_cart(csr, customer, notebook) for _ in range(2)]
    for cart in carts:
        order_services.payment_set_store_credit(actor=csr, order=cart, amount="15.00")

    def submit(cart, key):
        return lambda: _submit(csr, cart, key)

    results, errors = run_together(submit(carts[0], "k-a"), submit(carts[1], "k-b"))
    placed = [r for r in results if r.placed]
    refused = [r for r in results if not r.placed] + errors
    assert len(placed) == 1 and len(refused) == 1
    assert credit.store_credit_balance(customer.pk) == Decimal("5.00")
    assert StoreCreditEntry.objects.filter(customer=customer, kind="spend").count() == 1
    statuses = sorted(
        Order.objects.filter(pk__in=[c.pk for c in carts]).values_list("status", flat=True)
    )
    assert statuses == ["authorized", "pending"]


def test_advance_credit_is_issued_at_approval_and_not_again_at_receipt(
    csr, operations, shipped, skus, reason
):
    from returns import receiving
    from returns import services as return_services
    from returns.models import ReturnPolicy
    from tests.returns.conftest import order_line

    notebook, _case = skus
    customer = CustomerFactory()
    Order.objects.filter(pk=shipped.pk).update(customer=customer)
    shipped.refresh_from_db()
    ReturnPolicy.objects.create(pk=1, advance_credit=True)
    rr = return_services.create_return(actor=csr, order=shipped)
    return_services.add_order_line(
        actor=csr,
        return_request=rr,
        order_line_id=order_line(shipped, notebook).pk,
        quantity=1,
        reason=reason.code,
    )
    return_services.set_refund_method(actor=csr, return_request=rr, method="store_credit")
    rr = return_services.submit_return(actor=csr, return_request=rr)
    rr.refresh_from_db()
    assert rr.status == "approved" and rr.credit_issued_at is not None
    assert credit.store_credit_balance(customer.pk) == Decimal("9.97")  # before the goods
    with pytest.raises(DomainError, match="credit was issued"):
        return_services.set_refund_method(actor=csr, return_request=rr, method="original")
    rr = receiving.receive_return(actor=operations, return_request=rr)
    assert rr.status == "refunded"
    assert credit.store_credit_balance(customer.pk) == Decimal("9.97")  # not credited twice
    assert not rr.refunds.exists()  # all store credit: nothing to the card


def test_without_advance_credit_the_credit_waits_for_the_goods(csr, shipped, skus, reason):
    from returns import services as return_services
    from tests.returns.conftest import order_line

    notebook, _case = skus
    customer = CustomerFactory()
    Order.objects.filter(pk=shipped.pk).update(customer=customer)
    shipped.refresh_from_db()
    rr = return_services.create_return(actor=csr, order=shipped)
    return_services.add_order_line(
        actor=csr,
        return_request=rr,
        order_line_id=order_line(shipped, notebook).pk,
        quantity=1,
        reason=reason.code,
    )
    return_services.set_refund_method(actor=csr, return_request=rr, method="store_credit")
    return_services.submit_return(actor=csr, return_request=rr)
    rr.refresh_from_db()
    assert rr.status == "approved" and rr.credit_issued_at is None
    assert credit.store_credit_balance(customer.pk) == Decimal("0")


def test_an_exchange_creates_a_replacement_order_at_the_price_paid(
    client, csr, operations, shipped, skus, reason
):
    from returns import receiving
    from returns import services as return_services
    from tests.returns.conftest import order_line

    notebook, _case = skus
    rr = return_services.create_return(actor=csr, order=shipped)
    return_services.add_order_line(
        actor=csr,
        return_request=rr,
        order_line_id=order_line(shipped, notebook).pk,
        quantity=1,
        reason=reason.code,
    )
    return_services.set_refund_method(actor=csr, return_request=rr, method="exchange")
    rr = return_services.submit_return(actor=csr, return_request=rr)
    rr.refresh_from_db()
    assert rr.status == "approved"
    replacement = rr.exchange_order
    assert replacement is not None and replacement.exchange_for == rr.rma_number
    assert replacement.status == "authorized" and replacement.number
    line = replacement.lines.get()
    # the returned unit's price (18.00 for 2 after 2.00 off: 9.00) and its tax share, no reprice
    assert (line.sku, line.quantity, line.line_total) == (notebook, 1, Decimal("9.00"))
    assert replacement.total == Decimal("9.97")
    assert replacement.customer_id == shipped.customer_id
    assert replacement.lines.get().ship_to.line1 == order_line(shipped, notebook).ship_to.line1
    with pytest.raises(DomainError, match="replacement order"):
        return_services.set_refund_method(actor=csr, return_request=rr, method="original")
    # the goods come back: no card refund, the replacement is the refund
    rr = receiving.receive_return(actor=operations, return_request=rr)
    assert rr.status == "refunded" and not rr.refunds.exists()
    # the replacement ships without a capture
    run_release()
    release = Release.objects.get(order=replacement)
    confirm_shipment(actor=operations, release_id=release.pk, carrier="UPS", tracking_number="2")
    assert Shipment.objects.get(order=replacement).amount == Decimal("0.00")
    client.force_login(csr)
    assert rr.rma_number.encode() in client.get(f"/orders/{replacement.pk}/").content
    assert replacement.number.encode() in client.get(f"/returns/{rr.pk}/").content


def test_an_exchange_needs_an_order(csr, reason):
    from returns import services as return_services

    customer = CustomerFactory()
    rr = return_services.create_return(actor=csr, customer=customer)
    with pytest.raises(DomainError, match="exchange replaces goods of an order"):
        return_services.set_refund_method(actor=csr, return_request=rr, method="exchange")


def test_the_api_applies_store_credit_to_a_cart(api_client, csr, notebook):
    customer = CustomerFactory()
    _credit(customer, "15.00")
    cart = _cart(csr, customer, notebook)
    api_client.force_authenticate(csr)
    url = f"/api/v1/carts/{cart.pk}/store-credit/"
    response = api_client.put(url, {"amount": "15.00", "version": cart.version}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["store_credit_amount"] == "15.00"
    stale = api_client.put(url, {"amount": "1.00", "version": cart.version}, format="json")
    assert stale.status_code == 409
    too_much = api_client.put(url, {"amount": "16.00", "version": cart.version + 1}, format="json")
    assert too_much.status_code == 400 and "store credit is 15.00" in too_much.content.decode()


def test_an_advance_credit_whose_goods_never_came_is_taken_back(csr, shipped, skus, reason):
    from datetime import timedelta

    from django.utils import timezone

    from returns import receiving
    from returns import services as return_services
    from returns.models import ReturnPolicy, ReturnRequest
    from tests.returns.conftest import order_line

    notebook, _case = skus
    customer = CustomerFactory()
    Order.objects.filter(pk=shipped.pk).update(customer=customer)
    shipped.refresh_from_db()
    ReturnPolicy.objects.create(pk=1, advance_credit=True)
    rr = return_services.create_return(actor=csr, order=shipped)
    return_services.add_order_line(
        actor=csr,
        return_request=rr,
        order_line_id=order_line(shipped, notebook).pk,
        quantity=2,
        reason=reason.code,
    )
    return_services.set_refund_method(actor=csr, return_request=rr, method="store_credit")
    return_services.submit_return(actor=csr, return_request=rr)
    balance = credit.store_credit_balance(customer.pk)
    assert balance == Decimal("19.94")
    credit.store_credit_spend(  # the customer spent part of it meanwhile
        actor=None, customer_id=customer.pk, amount="4.94", currency="CAD", reference="order:9"
    )
    ReturnRequest.objects.filter(pk=rr.pk).update(approved_at=timezone.now() - timedelta(days=31))
    assert receiving.expire_returns() == 1
    assert credit.store_credit_balance(customer.pk) == Decimal("0.00")  # never negative
    reversal = StoreCreditEntry.objects.get(customer=customer, kind="reversal")
    assert reversal.amount == Decimal("-15.00") and reversal.reference == rr.rma_number
    assert receiving.expire_returns() == 0


def test_the_customer_page_shows_the_store_credit(client, csr, db):
    customer = CustomerFactory()
    _credit(customer, "15.00")
    client.force_login(csr)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Store credit" in page and "15.00" in page and "RMA0000001" in page
