"""Orders with real prices: codes, adjustments (limits, supervisor), limits at submit."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from core.roles import Role
from orders import services
from orders.models import Order, OrderEvent, OrderStatus
from tests.orders.conftest import make_ready


@pytest.fixture
def prices(db, sku, sku2):
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory

    base = PriceListFactory(name="Base CAD")
    PriceListEntryFactory(price_list=base, sku=sku, price=Decimal("12.00"))
    PriceListEntryFactory(price_list=base, sku=sku2, price=Decimal("1.50"))
    return base


@pytest.fixture
def csr_limit(db):
    from pricing.models import AdjustmentLimit

    AdjustmentLimit.objects.create(
        group=Group.objects.get(name=Role.CSR.value),
        max_percent=Decimal("10"),
        max_amount=Decimal("5.00"),
    )


def test_lines_are_priced_and_a_code_discounts(guest_cart, csr, sku, prices, ground):
    from tests.pricing.factories import PromotionFactory

    PromotionFactory(name="Spring", code="SPRING15", percent=Decimal("15"))
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=2)
    cart = Order.objects.get(pk=guest_cart.pk)
    assert cart.subtotal == Decimal("24.00") and cart.discount_total == 0
    services.promotion_code_enter(actor=csr, order=cart, code="spring15")
    cart.refresh_from_db()
    assert cart.discount_total == Decimal("3.60")
    assert cart.pricing_detail["explanation"]["applied"][0]["name"] == "Spring"
    with pytest.raises(Exception, match=r"(?i)code"):
        services.promotion_code_enter(actor=csr, order=cart, code="NOPE")


def test_an_adjustment_over_the_limit_waits_or_is_approved_on_the_spot(
    guest_cart, csr, supervisor, sku, prices, csr_limit
):
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=5)
    pending = services.adjustment_add(
        actor=csr, order=guest_cart, kind="order_amount", value="8.00", reason_code="appeasement"
    )
    assert pending.status == "pending"
    assert Order.objects.get(pk=guest_cart.pk).discount_total == 0
    applied = services.adjustment_add(
        actor=csr,
        order=guest_cart,
        kind="order_amount",
        value="8.00",
        reason_code="appeasement",
        supervisor_username="super1",
        supervisor_password="pw-super1",
    )
    assert applied.status == "approved" and applied.approved_by == supervisor
    assert Order.objects.get(pk=guest_cart.pk).discount_total == Decimal("8.00")
    event = OrderEvent.objects.filter(order=guest_cart, event_type=413).latest("id")
    assert event.data["approved_by"] == "super1" and event.data["status"] == "approved"


def test_a_promotion_limit_reached_before_submit_shows_the_new_total(
    csr, sku, prices, ground, django_capture_on_commit_callbacks
):
    from pricing.models import PromotionCounter
    from tests.pricing.factories import PromotionFactory

    promotion = PromotionFactory(name="Last one", limit_overall=1, percent=Decimal("10"))
    carts = []
    for name in ("first", "second"):
        cart = services.cart_create(
            actor=csr, guest={"last_name": name, "email": f"{name}@example.com"}
        )
        carts.append(make_ready(cart, csr, sku, qty=1))
    first, second = carts
    assert first.discount_total == second.discount_total == Decimal("1.20")
    assert services.submit_order(
        actor=csr, order=first, idempotency_key="a", expected_total=first.total
    ).placed
    assert PromotionCounter.objects.get(promotion=promotion).used == 1
    with pytest.raises(services.PricesChanged, match="total is now") as exc:
        services.submit_order(
            actor=csr, order=second, idempotency_key="b", expected_total=second.total
        )
    second.refresh_from_db()
    assert second.status == OrderStatus.PENDING and second.discount_total == 0
    assert Decimal(exc.value.extra["total"]) == second.total
    assert PromotionCounter.objects.get(promotion=promotion).used == 1
    assert "limit" in str(second.pricing_detail["explanation"]["not_applied"])
    # The CSR confirms the new total with a new submit.
    result = services.submit_order(
        actor=csr, order=second, idempotency_key="c", expected_total=second.total
    )
    assert result.placed and PromotionCounter.objects.get(promotion=promotion).used == 1


def test_cancel_releases_the_promotion_usage(csr, sku, prices, ground):
    from pricing.models import PromotionCounter
    from tests.pricing.factories import PromotionFactory

    promotion = PromotionFactory(name="Limited", limit_overall=5, percent=Decimal("10"))
    cart = services.cart_create(actor=csr, guest={"last_name": "C", "email": "c@example.com"})
    cart = make_ready(cart, csr, sku)
    order = services.submit_order(actor=csr, order=cart, idempotency_key="x").order
    assert PromotionCounter.objects.get(promotion=promotion).used == 1
    services.cancel_order(actor=csr, order=order, reason="test")
    assert PromotionCounter.objects.get(promotion=promotion).used == 0


def test_queries_per_step_are_bounded(csr, customer, sku, sku2, prices, ground):
    """Each step's query count does not grow with the cart (10 lines here)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.catalog.factories import SKUFactory
    from tests.pricing.factories import PriceListEntryFactory

    extra = [SKUFactory() for _ in range(10)]
    for s in extra:
        PriceListEntryFactory(price_list=prices, sku=s, price=Decimal("3.00"))
    counts = {}

    def step(name, fn):
        with CaptureQueriesContext(connection) as ctx:
            result = fn()
        counts[name] = len(ctx)
        return result

    cart = step("cart_create", lambda: services.cart_create(actor=csr, customer=customer))
    for s in extra[:9]:
        services.line_add(actor=csr, order=cart, sku_code=s.code)
    line = step("line_add", lambda: services.line_add(actor=csr, order=cart, sku_code=sku.code))
    step(
        "line_update",
        lambda: services.line_update(actor=csr, order=cart, line_id=line.pk, quantity=3),
    )
    step("line_remove", lambda: services.line_remove(actor=csr, order=cart, line_id=line.pk))
    from tests.orders.conftest import ADDRESS2

    step("ship_to_add", lambda: services.ship_to_add(actor=csr, order=cart, address=ADDRESS2))
    step(
        "payment_set_card",
        lambda: services.payment_set_card(
            actor=csr,
            order=cart,
            card_number="4242424242424242",
            exp_month=1,
            exp_year=2031,
            cvv="123",
        ),
    )
    cart.refresh_from_db()
    step("submit", lambda: services.submit_order(actor=csr, order=cart, idempotency_key="q"))
    print(counts)
    limits = {
        "cart_create": 12,
        "line_add": 40,
        "line_update": 40,
        "line_remove": 35,
        "ship_to_add": 35,
        "payment_set_card": 10,
        "submit": 80,
    }
    assert {k: v for k, v in counts.items() if v > limits[k]} == {}


def test_a_reprice_that_changes_nothing_does_not_rewrite_the_pricing_detail(
    guest_cart, csr, sku, ground
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.services import _reprice

    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=2)
    order = Order.objects.get(pk=guest_cart.pk)
    assert order.pricing_detail
    with CaptureQueriesContext(connection) as queries:
        _reprice(order, csr)
    assert not [q for q in queries.captured_queries if "pricing_detail" in q["sql"]]


@pytest.mark.postgres
def test_a_big_pricing_detail_is_stored_lz4_compressed(guest_cart):
    """Every cart change writes the detail anew; lz4 compresses it in less time than pglz."""
    from django.db import connection

    detail = {"lines": {str(n): [f"Promotion {n % 37}"] * 18 for n in range(50)}}
    Order.objects.filter(pk=guest_cart.pk).update(pricing_detail=detail)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(pricing_detail) FROM orders_order WHERE id = %s",
            [guest_cart.pk],
        )
        assert cursor.fetchone() == ("lz4",)


def test_a_code_whose_promotion_does_not_apply_says_why_instead_of_applied(
    csr_client, guest_cart, csr, sku, prices, ground
):
    from django.urls import reverse

    from tests.pricing.factories import PromotionFactory

    PromotionFactory(name="Big order", code="BIG100", percent=Decimal("10"), min_amount=100)
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=2)
    cart = Order.objects.get(pk=guest_cart.pk)
    response = csr_client.post(
        reverse("orders:panel", args=[cart.pk, "promo"]),
        {"code": "big100", "version": cart.version},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert "BIG100 is on the order but does not apply:" in page
    assert "BIG100 applied" not in page and "msg-warning" in page


def test_an_order_waiting_for_approval_is_refused_before_the_card_is_touched(
    guest_cart, csr, sku, prices, ground, csr_limit, monkeypatch
):
    from core.payments import SandboxGateway
    from pricing.services import ApprovalNeeded

    cart = make_ready(guest_cart, csr, sku, qty=5)
    services.adjustment_add(
        actor=csr, order=cart, kind="order_amount", value="8.00", reason_code="appeasement"
    )
    touched = []
    monkeypatch.setattr(SandboxGateway, "authorize", lambda *a, **k: touched.append("auth"))
    monkeypatch.setattr(SandboxGateway, "void", lambda *a, **k: touched.append("void"))
    with pytest.raises(ApprovalNeeded, match="waits for a supervisor's approval") as refused:
        services.submit_order(actor=csr, order=cart, idempotency_key="k")
    assert refused.value.code == "approval_needed" and refused.value.http_status == 409
    assert touched == []
    assert Order.objects.get(pk=cart.pk).status == OrderStatus.PENDING
