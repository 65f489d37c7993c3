"""Ship confirmation: partial shipments, capture (and its failure), refusals, the e-mail."""

from decimal import Decimal

import pytest
from django.core import mail

from core import payments
from core.errors import DomainError, NotAllowed
from fulfillment.models import Inventory, Release, Shipment
from fulfillment.releases import run_release
from fulfillment.shipping import capture_shipment, confirm_shipment
from orders.models import Order, OrderEvent, OrderLine, OrderPayment
from tests.catalog.factories import SKUFactory
from tests.fulfillment.factories import ArrangementFactory, stock
from tests.fulfillment.release_helpers import accepted_order
from tests.ownership import only_owners_write


@pytest.fixture
def released(db, tor, ground, operations):
    ArrangementFactory(center=tor, shipping_method=ground)
    a, b = SKUFactory(), SKUFactory()
    stock(a, tor, 10)
    stock(b, tor, 10)
    order = accepted_order(created_by=operations, method=ground, lines=[(a, 2), (b, 1)])
    Order.objects.filter(pk=order.pk).update(guest_email="gail@example.com")
    run_release()
    release = Release.objects.get(order=order)
    lines = {x.sku_id: x for x in OrderLine.objects.filter(order=order)}
    return order, release, lines[a.pk], lines[b.pk]


def state(order):
    order.refresh_from_db()
    return order.status, sorted(
        OrderLine.objects.filter(order=order).values_list("inventory_status", flat=True)
    )


def test_partial_then_complete_shipment_captures_what_shipped(
    released, operations, django_capture_on_commit_callbacks
):
    order, release, la, _lb = released
    with django_capture_on_commit_callbacks(execute=True):
        first = confirm_shipment(
            actor=operations,
            release_id=release.pk,
            carrier="UPS",
            tracking_number="1Z001",
            lines=[{"line": la.pk, "quantity": 1}],
        )
    assert first.capture_status == "captured" and first.amount == Decimal("10.00")
    assert state(order) == ("released", ["released", "released"])
    assert Release.objects.get(pk=release.pk).status == "partial"
    inv = Inventory.objects.get(sku=la.sku)
    assert (inv.on_hand, inv.allocated) == (9, 1)

    with django_capture_on_commit_callbacks(execute=True):
        second = confirm_shipment(
            actor=operations, release_id=release.pk, carrier="UPS", tracking_number="1Z002"
        )
    # the last shipment captures the rest of the total (incl. shipping)
    assert second.amount == order.total - Decimal("10.00")
    assert state(order) == ("shipped", ["shipped", "shipped"])
    assert Release.objects.get(pk=release.pk).status == "shipped"
    inv = Inventory.objects.get(sku=la.sku)
    assert (inv.on_hand, inv.allocated) == (8, 0)
    assert OrderPayment.objects.get(order=order).status == "captured"
    kinds = list(OrderEvent.objects.filter(order=order).values_list("event_type", flat=True))
    assert kinds.count(429) == 2 and kinds.count(430) == 2
    assert len(mail.outbox) == 2 and "1Z002" in mail.outbox[1].body


def test_a_capture_failure_needs_attention_and_a_retry_captures_once(
    released, operations, monkeypatch
):
    order, release, _la, _lb = released
    calls = []

    def declined(self, *, authorization_id, amount):
        calls.append(amount)
        return payments.AuthResult(payments.Outcome.DECLINED, "Authorization expired")

    monkeypatch.setattr(payments.SandboxGateway, "capture", declined)
    shipment = confirm_shipment(
        actor=operations, release_id=release.pk, carrier="UPS", tracking_number="1Z9"
    )
    assert shipment.capture_status == "failed"
    order.refresh_from_db()
    assert order.status == "shipped"  # the goods left: nothing is lost, payment needs work
    assert "Authorization expired" in order.attention
    assert OrderEvent.objects.filter(order=order, event_type=431).exists()

    monkeypatch.undo()
    approved = []
    real = payments.SandboxGateway.capture

    def counting(self, **kw):
        approved.append(kw)
        return real(self, **kw)

    monkeypatch.setattr(payments.SandboxGateway, "capture", counting)
    assert capture_shipment(shipment_id=shipment.pk).capture_status == "captured"
    assert capture_shipment(shipment_id=shipment.pk).capture_status == "captured"
    assert len(approved) == 1
    order.refresh_from_db()
    assert order.attention == ""
    assert OrderPayment.objects.get(order=order).status == "captured"


def test_a_gateway_exception_is_a_failed_capture(released, operations, monkeypatch):
    _order, release, _la, _lb = released

    def down(self, **kw):
        raise ConnectionError("timeout")

    monkeypatch.setattr(payments.SandboxGateway, "capture", down)
    shipment = confirm_shipment(
        actor=operations, release_id=release.pk, carrier="UPS", tracking_number="1Z9"
    )
    assert shipment.capture_status == "failed" and "did not answer" in shipment.capture_error


def nothing_changed(order, release):
    assert not Shipment.objects.exists()
    assert Release.objects.get(pk=release.pk).status == "released"
    assert state(order) == ("released", ["released", "released"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lines": [{"line": "A", "quantity": 3}]}, "Only 2 of"),
        ({"lines": [{"line": 999999, "quantity": 1}]}, "is not on this release"),
        ({"lines": [{"line": "A", "quantity": 0}]}, "at least one line"),
        ({"tracking_number": ""}, "tracking number"),
        ({"carrier": ""}, "carrier"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(released, operations, kwargs, message):
    order, release, la, _lb = released
    if "lines" in kwargs:
        kwargs["lines"] = [
            {**x, "line": la.pk if x["line"] == "A" else x["line"]} for x in kwargs["lines"]
        ]
    args = {"carrier": "UPS", "tracking_number": "1Z1", **kwargs}
    with pytest.raises(DomainError, match=message):
        confirm_shipment(actor=operations, release_id=release.pk, **args)
    nothing_changed(order, release)


def test_unknown_release(released, operations):
    with pytest.raises(DomainError, match="Release 424242 does not exist"):
        confirm_shipment(actor=operations, release_id=424242, carrier="UPS", tracking_number="1")


def test_confirming_the_same_parcel_twice_is_refused(released, operations):
    _order, release, la, _lb = released
    one = [{"line": la.pk, "quantity": 1}]
    confirm_shipment(
        actor=operations, release_id=release.pk, carrier="UPS", tracking_number="T1", lines=one
    )
    with pytest.raises(DomainError, match="already confirmed"):
        confirm_shipment(
            actor=operations, release_id=release.pk, carrier="UPS", tracking_number="T1", lines=one
        )
    assert Shipment.objects.count() == 1
    assert sum(x.shipped_quantity for x in release.lines.all()) == 1


def test_tracking_for_a_canceled_line_is_refused(released, operations):
    order, release, la, _lb = released
    from tests.orders.factories import OrderLineFactory

    canceled = OrderLineFactory(order=order, sku=la.sku, quantity=1, inventory_status="canceled")
    with pytest.raises(DomainError, match="is canceled"):
        confirm_shipment(
            actor=operations,
            release_id=release.pk,
            carrier="UPS",
            tracking_number="T1",
            lines=[{"line": canceled.pk, "quantity": 1}],
        )
    assert not Shipment.objects.exists()


def test_a_csr_cannot_confirm_shipments(released, csr):
    _order, release, _la, _lb = released
    with pytest.raises(NotAllowed):
        confirm_shipment(actor=csr, release_id=release.pk, carrier="UPS", tracking_number="1")


def test_the_ship_notification_is_sent_once(
    released, operations, django_capture_on_commit_callbacks
):
    from fulfillment.shipping import ship_notification_send

    _order, release, _la, _lb = released
    with django_capture_on_commit_callbacks(execute=True):
        shipment = confirm_shipment(
            actor=operations, release_id=release.pk, carrier="UPS", tracking_number="1Z5"
        )
    assert len(mail.outbox) == 1 and "1Z5" in mail.outbox[0].body
    assert ship_notification_send(shipment_id=shipment.pk) is False
    assert len(mail.outbox) == 1


def test_only_orders_writes_orders_tables_when_goods_ship_and_are_captured(
    released, operations, monkeypatch, django_capture_on_commit_callbacks
):
    order, release, _la, _lb = released
    monkeypatch.setattr(
        payments.SandboxGateway,
        "capture",
        lambda self, **kw: payments.AuthResult(payments.Outcome.DECLINED, "Expired"),
    )
    with only_owners_write("orders") as shipped, django_capture_on_commit_callbacks(execute=True):
        shipment = confirm_shipment(
            actor=operations, release_id=release.pk, carrier="UPS", tracking_number="1Z7"
        )
    monkeypatch.undo()
    with only_owners_write("orders") as captured:
        assert capture_shipment(shipment_id=shipment.pk).capture_status == "captured"
    assert {w.table for w in shipped} == {"orders_order", "orders_orderline", "orders_orderevent"}
    assert {w.table for w in captured} == {
        "orders_order",
        "orders_orderpayment",
        "orders_orderevent",
    }
    assert OrderEvent.objects.filter(order=order, event_type=432).exists()  # ship notify e-mail
