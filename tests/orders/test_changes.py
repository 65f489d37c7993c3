"""Changing a placed order in place (issue 16): versions, diff, payment delta, inventory."""

from decimal import Decimal

import pytest

from core.errors import DomainError, NotAllowed, StaleVersion
from core.events import EventType as E
from fulfillment.models import LineAllocation
from orders import services
from orders.models import (
    LineInventoryStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderPayment,
    OrderStatus,
    OrderVersion,
    PaymentStatus,
)
from orders.services import versions
from orders.services.changes import ChangeRequest, PaymentDeclined, order_change
from orders.services.versions import version_diff
from tests.fulfillment.factories import ArrangementFactory, CenterFactory, stock
from tests.orders.conftest import make_ready


@pytest.fixture
def center(db, ground, sku, sku2):
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory

    base = PriceListFactory(currency="CAD", priority=100)
    PriceListEntryFactory(price_list=base, sku=sku, price=Decimal("12.00"))
    PriceListEntryFactory(price_list=base, sku=sku2, price=Decimal("1.50"))
    tor = CenterFactory(code="TOR")
    ArrangementFactory(center=tor, shipping_method=ground, precedence=1)
    stock(sku, tor, 100)
    stock(sku2, tor, 100)
    return tor


def place(cart, csr, sku, card="4242424242424242", qty=2):
    make_ready(cart, csr, sku, card=card, qty=qty)
    result = services.submit_order(actor=csr, order=cart, idempotency_key=f"k-{cart.pk}")
    assert result.placed, result.message
    return result.order


def held(order):
    return sum(
        LineAllocation.objects.filter(line_id__in=order.lines.values("pk")).values_list(
            "quantity", flat=True
        )
    )


def test_submit_records_version_one(guest_cart, csr, sku, center):
    order = place(guest_cart, csr, sku)
    v1 = OrderVersion.objects.get(order=order)
    assert v1.number == 1 and v1.total == order.total and v1.delta == 0
    assert [x["quantity"] for x in v1.lines] == [2]
    assert v1.header["card"].endswith("4242 12/35")
    # written from what submit held in memory: the same as the rows read afresh
    assert v1.header == versions.snapshot_header(order) and v1.lines == versions.snapshot_lines(
        order
    )
    assert next(iter(v1.header["ship_tos"].values()))["shipping_method"]


def test_a_quantity_increase_authorizes_the_difference_and_records_a_version(
    guest_cart, csr, sku, center, mailoutbox, django_capture_on_commit_callbacks
):
    order = place(guest_cart, csr, sku)
    line = order.lines.get()
    old_total = order.total
    with django_capture_on_commit_callbacks(execute=True):
        result = order_change(
            actor=csr,
            order=order,
            version=order.version,
            request=ChangeRequest(quantities={line.pk: 5}),
        )
    order = result.order
    assert order.number and order.status == OrderStatus.AUTHORIZED
    assert order.total > old_total
    assert result.version.number == 2 and result.version.delta == order.total - old_total
    assert result.diff.changed[0]["quantity"] == (2, 5)
    assert not result.diff.added and not result.diff.removed
    payment = OrderPayment.objects.get(order=order, status=PaymentStatus.AUTHORIZED)
    assert payment.amount == order.total  # same authorization, increased
    assert "more authorized" in result.payment_note
    assert held(order) == 5
    types = set(OrderEvent.objects.filter(order=order).values_list("event_type", flat=True))
    assert {E.ORDER_CHANGED, E.ORDER_PAYMENT_ADJUSTED, E.ORDER_CHANGE_EMAILED} <= types
    changed_mail = [m for m in mailoutbox if "was changed" in m.subject]
    assert len(changed_mail) == 1 and "quantity 2 → 5" in changed_mail[0].body


def test_a_declined_increase_leaves_the_order_exactly_as_it_was(guest_cart, csr, sku, center):
    order = place(guest_cart, csr, sku, card="4000000000000341")
    line = order.lines.get()
    before = (Order.objects.filter(pk=order.pk).values().get(), list(order.lines.values()))
    payments_before = list(OrderPayment.objects.filter(order=order).values())
    with pytest.raises(PaymentDeclined, match="not changed"):
        order_change(
            actor=csr,
            order=order,
            version=order.version,
            request=ChangeRequest(quantities={line.pk: 9}),
        )
    after = (Order.objects.filter(pk=order.pk).values().get(), list(order.lines.values()))
    assert after == before
    assert list(OrderPayment.objects.filter(order=order).values()) == payments_before
    assert held(order) == 2
    assert OrderVersion.objects.filter(order=order).count() == 1
    assert OrderEvent.objects.filter(order=order, event_type=E.ORDER_CHANGE_REFUSED).exists()


def test_a_decrease_reduces_the_authorization_and_a_line_cancel_frees_stock(
    guest_cart, csr, sku, sku2, center
):
    order = place(guest_cart, csr, sku, qty=4)
    result = order_change(
        actor=csr,
        order=order,
        version=order.version,
        request=ChangeRequest(add=[(sku2.code, 1)]),
    )
    assert len(result.diff.added) == 1 and result.diff.delta > 0
    order = result.order
    line = order.lines.get(sku=sku)
    result = order_change(
        actor=csr,
        order=order,
        version=order.version,
        request=ChangeRequest(cancel_lines=[line.pk]),
    )
    order = result.order
    line.refresh_from_db()
    assert line.inventory_status == LineInventoryStatus.CANCELED and line.line_total == 0
    assert result.diff.delta < 0 and result.diff.changed[0]["status"][1] == "canceled"
    assert order.total == OrderLine.objects.get(order=order, sku=sku2).line_total + (
        order.shipping_total + order.tax_total
    )
    assert OrderPayment.objects.get(order=order, status=PaymentStatus.AUTHORIZED).amount == (
        order.total
    )
    assert held(order) == 1
    assert OrderVersion.objects.filter(order=order).count() == 3
    diff13 = version_diff(
        OrderVersion.objects.get(order=order, number=1),
        OrderVersion.objects.get(order=order, number=3),
    )
    assert len(diff13.added) == 1 and diff13.changed[0]["sku"] == sku.code


def test_a_new_card_is_authorized_in_full_and_replaces_the_old(guest_cart, csr, sku, center):
    order = place(guest_cart, csr, sku)
    old = OrderPayment.objects.get(order=order, status=PaymentStatus.AUTHORIZED)
    card = {"card_number": "5555555555554444", "exp_month": 1, "exp_year": 2033, "cvv": "321"}
    result = order_change(
        actor=csr, order=order, version=order.version, request=ChangeRequest(card=card)
    )
    old.refresh_from_db()
    new = OrderPayment.objects.get(order=order, status=PaymentStatus.AUTHORIZED)
    assert old.status == PaymentStatus.REPLACED and new.last4 == "4444"
    assert new.amount == result.order.total
    assert result.diff.header["card"][1].endswith("4444 01/33") and result.diff.delta == 0


def test_the_second_csr_with_an_old_version_is_told_and_nothing_is_overwritten(
    guest_cart, csr, supervisor, sku, center
):
    order = place(guest_cart, csr, sku)
    line = order.lines.get()
    seen = order.version
    order_change(
        actor=csr, order=order, version=seen, request=ChangeRequest(quantities={line.pk: 3})
    )
    with pytest.raises(StaleVersion, match="changed since you opened it"):
        order_change(
            actor=supervisor,
            order=order,
            version=seen,
            request=ChangeRequest(quantities={line.pk: 7}),
        )
    line.refresh_from_db()
    assert line.quantity == 3


def test_a_released_line_cannot_change_but_the_rest_can(guest_cart, csr, sku, sku2, center):
    order = place(guest_cart, csr, sku)
    order = order_change(
        actor=csr,
        order=order,
        version=order.version,
        request=ChangeRequest(add=[(sku2.code, 1)]),
    ).order
    first = order.lines.get(sku=sku)
    OrderLine.objects.filter(pk=first.pk).update(inventory_status=LineInventoryStatus.RELEASED)
    with pytest.raises(DomainError, match="can no longer change; the rest"):
        order_change(
            actor=csr,
            order=order,
            version=order.version,
            request=ChangeRequest(quantities={first.pk: 3}),
        )
    second = order.lines.get(sku=sku2)
    result = order_change(
        actor=csr,
        order=order,
        version=order.version,
        request=ChangeRequest(quantities={second.pk: 2}),
    )
    by_sku = {c["sku"]: c for c in result.diff.changed}
    assert by_sku[sku2.code]["quantity"] == (1, 2)
    assert "quantity" not in by_sku.get(sku.code, {})  # released by the job: only its status


def test_a_canceled_or_shipped_order_cannot_change_and_roles_are_checked(
    guest_cart, csr, nobody, sku, center
):
    order = place(guest_cart, csr, sku)
    line = order.lines.get()
    with pytest.raises(NotAllowed):
        order_change(
            actor=nobody,
            order=order,
            version=order.version,
            request=ChangeRequest(quantities={line.pk: 3}),
        )
    order = services.cancel_order(actor=csr, order=order)
    with pytest.raises(DomainError, match="can no longer change"):
        order_change(
            actor=csr,
            order=order,
            version=order.version,
            request=ChangeRequest(quantities={line.pk: 3}),
        )


def test_a_price_list_started_after_submit_does_not_reprice_the_order(
    guest_cart, csr, sku, sku2, center
):
    """The order is priced as of its submit time: lists and promotions it was placed with."""
    import datetime as dt

    from django.utils import timezone

    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory

    order = place(guest_cart, csr, sku)
    line = order.lines.get()
    price = line.unit_price
    later = PriceListFactory(
        currency="CAD", priority=1, starts_at=timezone.now() + dt.timedelta(seconds=1)
    )
    PriceListEntryFactory(price_list=later, sku=sku, price=Decimal("99.00"))
    PriceListEntryFactory(price_list=later, sku=sku2, price=Decimal("99.00"))
    Order.objects.filter(pk=order.pk).update(submitted_at=timezone.now() - dt.timedelta(hours=1))
    PriceListFactory._meta.model.objects.filter(pk=later.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=30)
    )
    result = order_change(
        actor=csr,
        order=order,
        version=order.version,
        request=ChangeRequest(add=[(sku2.code, 1)]),
    )
    line.refresh_from_db()
    assert line.unit_price == price == Decimal("12.00")
    assert result.diff.added[0]["unit_price"] == "1.50"
    assert not result.diff.changed


def test_promotions_are_kept_from_the_original_order_until_a_change_disqualifies_them(
    guest_cart, csr, sku, sku2, center
):
    import datetime as dt

    from django.utils import timezone

    from pricing.models import Promotion, Reward
    from tests.pricing.factories import PromotionFactory

    gift = PromotionFactory(
        name="Free pen with 3 notebooks",
        reward=Reward.ORDER_GIFT,
        percent=None,
        gift_sku=sku2,
        min_quantity=3,
    )
    order = place(guest_cart, csr, sku, qty=3)
    assert order.lines.filter(is_gift=True, sku=sku2).exists()
    # The promotion ends after the order was placed: the order keeps it.
    Promotion.objects.filter(pk=gift.pk).update(ends_at=timezone.now() + dt.timedelta(seconds=1))
    Order.objects.filter(pk=order.pk).update(submitted_at=timezone.now() - dt.timedelta(hours=1))
    Promotion.objects.filter(pk=gift.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=1),
        ends_at=timezone.now() - dt.timedelta(minutes=30),
    )
    line = order.lines.get(is_gift=False)
    order.refresh_from_db()
    kept = order_change(
        actor=csr,
        order=order,
        version=order.version,
        request=ChangeRequest(quantities={line.pk: 4}),
    )
    assert kept.order.lines.filter(is_gift=True, sku=sku2).exists()
    from pricing.models import PromotionUsage, UsageStatus

    assert PromotionUsage.objects.get(order_id=order.pk).status == UsageStatus.FINAL
    # Down to 2 notebooks: the condition fails, the gift is revoked (its stock given back).
    revoked = order_change(
        actor=csr,
        order=kept.order,
        version=kept.order.version,
        request=ChangeRequest(quantities={line.pk: 2}),
    )
    assert not revoked.order.lines.filter(is_gift=True).exists()
    assert [x["sku"] for x in revoked.diff.removed] == [sku2.code]
    from pricing.models import PromotionCounter

    usage = PromotionUsage.objects.get(order_id=order.pk, promotion=gift)
    assert usage.status == UsageStatus.RELEASED  # its use goes back to the pool
    counter = PromotionCounter.objects.filter(promotion=gift).first()
    assert counter is None or counter.used == 0


def test_a_gateway_without_increments_reauthorizes_in_full_and_voids_the_old(
    guest_cart, csr, sku, center, monkeypatch, django_capture_on_commit_callbacks
):
    from core.payments import SandboxGateway

    def no_increment(self, **kwargs):
        raise NotImplementedError

    voided = []
    monkeypatch.setattr(SandboxGateway, "increment", no_increment)
    original_void = SandboxGateway.void
    monkeypatch.setattr(
        SandboxGateway,
        "void",
        lambda self, *, authorization_id: (
            voided.append(authorization_id)
            or original_void(self, authorization_id=authorization_id)
        ),
    )
    order = place(guest_cart, csr, sku)
    old = OrderPayment.objects.get(order=order, status=PaymentStatus.AUTHORIZED)
    with django_capture_on_commit_callbacks(execute=True):
        result = order_change(
            actor=csr,
            order=order,
            version=order.version,
            request=ChangeRequest(quantities={order.lines.get().pk: 4}),
        )
    new = OrderPayment.objects.get(order=order, status=PaymentStatus.AUTHORIZED)
    assert new.pk != old.pk and new.amount == result.order.total
    assert voided == [old.authorization_id]


def test_a_change_that_fails_after_the_increase_gives_the_increase_back(
    guest_cart, csr, sku, center, monkeypatch
):
    from core.payments import SandboxGateway
    from orders.services import versions

    reduced = []
    monkeypatch.setattr(
        SandboxGateway,
        "reduce",
        lambda self, *, authorization_id, amount: reduced.append(amount),
    )
    order = place(guest_cart, csr, sku)
    line = order.lines.get()

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(versions, "record_version", broken)
    with pytest.raises(RuntimeError):
        order_change(
            actor=csr,
            order=order,
            version=order.version,
            request=ChangeRequest(quantities={line.pk: 4}),
        )
    line.refresh_from_db()
    assert line.quantity == 2 and held(order) == 2
    assert reduced == [Decimal("24.00")]  # the 2 more notebooks authorized, given back
