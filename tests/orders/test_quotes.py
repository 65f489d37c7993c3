"""Quotes: price lock, stock hold within the cap, e-mails, expiry exactly once, convert, copy."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.errors import DomainError, InvalidTransition, NotAllowed
from core.events import EventType as E
from core.jobs import get_job
from orders import services
from orders.models import Order, OrderEvent, OrderLine, OrderStatus, Quote, QuoteStatus
from orders.services import quotes
from tests.orders.conftest import make_ready


@pytest.fixture
def prices(db, sku, sku2):
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory

    base = PriceListFactory(name="Base CAD")
    PriceListEntryFactory(price_list=base, sku=sku, price=Decimal("12.00"))
    PriceListEntryFactory(price_list=base, sku=sku2, price=Decimal("1.50"))
    return base


@pytest.fixture
def toronto(db, ground):
    from tests.fulfillment.factories import ArrangementFactory, CenterFactory

    center = CenterFactory(code="TOR")
    ArrangementFactory(center=center, shipping_method=ground)
    return center


@pytest.fixture
def stocked(sku, toronto):
    from tests.fulfillment.factories import stock

    return stock(sku, toronto, 10)


def new_cart(csr, sku, name="gail", qty=2):
    cart = services.cart_create(
        actor=csr, guest={"last_name": name.title(), "email": f"{name}@example.com"}
    )
    return make_ready(cart, csr, sku, qty=qty)


def allocated(sku):
    from fulfillment.models import Inventory

    return Inventory.objects.get(sku=sku).allocated


def events_of(order, event_type):
    return OrderEvent.objects.filter(order=order, event_type=event_type)


def test_a_quote_freezes_prices_holds_the_stock_and_emails_the_customer(
    csr, sku, prices, stocked, mailoutbox, django_capture_on_commit_callbacks
):
    cart = new_cart(csr, sku)
    with django_capture_on_commit_callbacks(execute=True):
        quote = quotes.quote_create(actor=csr, order=cart)
    quote.refresh_from_db()
    assert quote.number == f"Q-{quote.pk:06d}" and quote.status == QuoteStatus.OPEN
    assert (
        quote.total
        == Order.objects.get(pk=cart.pk).total
        == Decimal("24.00") + (quote.shipping_total + quote.tax_total)
    )
    expected = timezone.now() + dt.timedelta(days=7)
    assert abs((quote.expires_at - expected).total_seconds()) < 60
    (line,) = quote.lines.all()
    assert (line.unit_price, line.quantity, line.held) == (Decimal("12.00"), 2, 2)
    assert allocated(sku) == 2
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert quote.number in mailoutbox[0].subject and mailoutbox[0].to == ["gail@example.com"]
    assert str(quote.total) in body and "12.00" in body and str(quote.expires_at.year) in body
    assert events_of(cart, E.QUOTE_CREATED).get().actor == csr
    assert events_of(cart, E.QUOTE_EMAILED).exists()
    with pytest.raises(DomainError, match="already quote"):
        quotes.quote_create(actor=csr, order=cart)


def test_the_expiry_is_within_the_role_limit(csr, supervisor, sku, prices, stocked):
    with pytest.raises(DomainError, match="1 to 14 days"):
        quotes.quote_create(actor=csr, order=new_cart(csr, sku, "a"), days=15)
    with pytest.raises(DomainError, match="1 to 14 days"):
        quotes.quote_create(actor=csr, order=new_cart(csr, sku, "b"), days=0)
    quote = quotes.quote_create(actor=supervisor, order=new_cart(csr, sku, "c"), days=30)
    assert quote.expires_at > timezone.now() + dt.timedelta(days=29)


def test_only_desk_staff_quote(django_user_model, csr, sku, prices, stocked):
    from tests.conftest import make_staff

    outsider = make_staff(django_user_model, "nobody", None)
    with pytest.raises(NotAllowed):
        quotes.quote_create(actor=outsider, order=new_cart(csr, sku))


def test_held_units_per_sku_are_capped_and_the_rest_is_a_dated_backorder(
    csr, sku, prices, toronto, settings
):
    from tests.fulfillment.factories import expect, stock

    settings.QUOTES_HOLD_CAP_PER_SKU = 3
    stock(sku, toronto, 10)
    arrival = expect(sku, toronto, 5, days=9).expected_date
    first = quotes.quote_create(actor=csr, order=new_cart(csr, sku, "a", qty=2))
    second = quotes.quote_create(actor=csr, order=new_cart(csr, sku, "b", qty=2))
    assert first.lines.get().held == 2
    over = second.lines.get()
    assert over.held == 0 and over.backorder_date == arrival
    assert OrderLine.objects.get(pk=over.line_id).inventory_status == "unallocated"
    assert allocated(sku) == 2
    assert events_of(second.order, E.QUOTE_CREATED).get().data["not_held"] == [sku.code]


def test_converting_an_open_quote_charges_the_quoted_prices_after_a_rule_change(
    csr, sku, prices, stocked
):
    from pricing.models import PriceListEntry, PromotionCounter
    from tests.pricing.factories import PromotionFactory

    promotion = PromotionFactory(name="Spring sale", limit_overall=1, percent=Decimal("10"))
    quote = quotes.quote_create(actor=csr, order=new_cart(csr, sku, qty=2))
    assert quote.discount_total == Decimal("2.40")
    # The one use of the limited promotion is the quote's; the price goes up meanwhile.
    assert PromotionCounter.objects.get(promotion=promotion).used == 1
    PriceListEntry.objects.filter(sku=sku).update(price=Decimal("15.00"))
    from pricing.loader import bump_rules_version

    bump_rules_version()
    rival = new_cart(csr, sku, "rival", qty=1)
    assert rival.discount_total == 0 and rival.subtotal == Decimal("15.00")
    result = quotes.quote_convert(actor=csr, quote=quote, idempotency_key="conv-1")
    order = result.order
    assert result.placed and order.status == OrderStatus.AUTHORIZED
    assert order.total == quote.total and order.discount_total == Decimal("2.40")
    assert order.lines.get().unit_price == Decimal("12.00")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.CONVERTED
    assert events_of(order, E.QUOTE_CONVERTED).get().data["order_number"] == order.number
    assert PromotionCounter.objects.get(promotion=promotion).used == 1
    again = quotes.quote_convert(actor=csr, quote=quote, idempotency_key="conv-1")
    assert again.repeated and again.order.number == order.number
    with pytest.raises(InvalidTransition):
        quotes.quote_cancel(actor=csr, quote=quote)


def test_an_expired_quote_is_repriced_and_the_csr_confirms_the_diff(csr, sku, prices, stocked):
    from pricing.models import Promotion, PromotionCounter
    from tests.pricing.factories import PromotionFactory

    promotion = PromotionFactory(name="Spring sale", limit_overall=5, percent=Decimal("10"))
    quote = quotes.quote_create(actor=csr, order=new_cart(csr, sku, qty=2))
    Promotion.objects.filter(pk=promotion.pk).update(is_active=False)
    from pricing.loader import bump_rules_version

    bump_rules_version()
    Quote.objects.filter(pk=quote.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(quotes.QuoteRepriced) as exc:
        quotes.quote_convert(actor=csr, quote=quote, idempotency_key="late-1")
    assert "Spring sale ended: +2.40" in exc.value.extra["diff"]
    new_total = Decimal(exc.value.extra["total"])
    assert new_total == quote.total + Decimal("2.40")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED
    assert PromotionCounter.objects.get(promotion=promotion).used == 0
    result = quotes.quote_convert(
        actor=csr, quote=quote, idempotency_key="late-2", confirmed_total=str(new_total)
    )
    assert result.placed and result.order.total == new_total
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.CONVERTED


def test_the_stale_sweep_skips_open_quotes(csr, sku, prices, stocked):
    from fulfillment.sweep import sweep_stale_allocations

    quoted = new_cart(csr, sku, "q", qty=2)
    quotes.quote_create(actor=csr, order=quoted)
    parked = new_cart(csr, sku, "p", qty=3)
    assert allocated(sku) == 5
    sweep_stale_allocations(now=timezone.now() + dt.timedelta(hours=3))
    assert allocated(sku) == 2
    assert quoted.lines.get().inventory_status == "allocated"
    assert parked.lines.get().inventory_status == "unallocated"


def test_the_expiry_job_gives_everything_back_exactly_once(
    csr, sku, prices, stocked, django_capture_on_commit_callbacks
):
    from pricing.models import PromotionCounter, PromotionUsage
    from tests.pricing.factories import PromotionFactory

    promotion = PromotionFactory(name="Spring sale", limit_overall=5, percent=Decimal("10"))
    quote = quotes.quote_create(actor=csr, order=new_cart(csr, sku, qty=2))
    assert allocated(sku) == 2 and PromotionCounter.objects.get(promotion=promotion).used == 1
    later = timezone.now() + dt.timedelta(days=8)
    assert quotes.expire_quotes(now=later) == 1
    assert quotes.expire_quotes(now=later) == 0
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED and quote.lines.get().held == 0
    assert allocated(sku) == 0
    assert PromotionCounter.objects.get(promotion=promotion).used == 0
    assert PromotionUsage.objects.get(order=quote.order).status == "released"
    assert events_of(quote.order, E.QUOTE_EXPIRED).count() == 1
    quotes.quote_cancel(actor=csr, quote=quote)  # closing an expired quote gives nothing back
    assert allocated(sku) == 0
    assert PromotionCounter.objects.get(promotion=promotion).used == 0


def test_a_reminder_goes_a_day_before_once(
    csr, sku, prices, stocked, mailoutbox, django_capture_on_commit_callbacks
):
    quote = quotes.quote_create(actor=csr, order=new_cart(csr, sku), days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert quotes.remind_quotes() == 1
        assert quotes.remind_quotes() == 0
    assert len(mailoutbox) == 1 and "Reminder" in mailoutbox[0].subject
    assert quote.number in mailoutbox[0].body


def test_cancel_gives_back_and_the_cart_stays_a_cart(csr, sku, prices, stocked):
    quote = quotes.quote_create(actor=csr, order=new_cart(csr, sku))
    quotes.quote_cancel(actor=csr, quote=quote, reason="caller said no")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.CANCELED and allocated(sku) == 0
    assert Order.objects.get(pk=quote.order_id).status == OrderStatus.PENDING
    assert events_of(quote.order, E.QUOTE_CANCELED).get().data["reason"] == "caller said no"


def test_copy_makes_a_new_priced_cart(csr, sku, prices, stocked):
    quote = quotes.quote_create(actor=csr, order=new_cart(csr, sku, qty=3))
    cart = quotes.quote_copy(actor=csr, quote=quote)
    assert cart.pk != quote.order_id and cart.status == OrderStatus.PENDING
    assert cart.lines.get().quantity == 3 and events_of(cart, E.QUOTE_COPIED).exists()


def test_the_job_is_registered_and_the_command_runs_it(csr, sku, prices, stocked):
    quote = quotes.quote_create(actor=csr, order=new_cart(csr, sku))
    Quote.objects.filter(pk=quote.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert get_job("expire_quotes").task == "orders.expire_quotes"
    call_command("expire_quotes")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED


def test_changing_a_quoted_carts_lines_ends_the_price_lock(csr, sku, prices, stocked):
    from pricing.loader import bump_rules_version
    from pricing.models import PriceListEntry

    quote = quotes.quote_create(actor=csr, order=new_cart(csr, sku, qty=2))
    PriceListEntry.objects.filter(sku=sku).update(price=Decimal("15.00"))
    bump_rules_version()
    services.payment_set_card(
        actor=csr,
        order=quote.order,
        card_number="4242424242424242",
        exp_month=12,
        exp_year=2035,
        cvv="123",
    )
    assert Order.objects.get(pk=quote.order_id).subtotal == Decimal("24.00")  # still locked
    line = OrderLine.objects.get(order_id=quote.order_id)
    services.line_update(actor=csr, order=quote.order, line_id=line.pk, quantity=3)
    cart = Order.objects.get(pk=quote.order_id)
    assert cart.subtotal == Decimal("45.00") and "price_lock" not in cart.pricing_detail
    with pytest.raises(services.PricesChanged):
        quotes.quote_convert(actor=csr, quote=quote, idempotency_key="edited")


def test_a_quoted_cart_submitted_on_the_review_screen_is_never_given_back(
    csr, sku, prices, stocked
):
    from pricing.models import PromotionCounter
    from tests.pricing.factories import PromotionFactory

    promotion = PromotionFactory(name="Spring sale", limit_overall=5, percent=Decimal("10"))
    quote = quotes.quote_create(actor=csr, order=new_cart(csr, sku, qty=2))
    order = services.submit_order(
        actor=csr, order=quote.order, idempotency_key="review", expected_total=quote.total
    ).order
    assert order.status == OrderStatus.AUTHORIZED
    with pytest.raises(DomainError, match="cancel the order"):
        quotes.quote_cancel(actor=csr, quote=quote)
    assert quotes.expire_quotes(now=timezone.now() + dt.timedelta(days=8)) == 0
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.CONVERTED
    assert allocated(sku) == 2 and PromotionCounter.objects.get(promotion=promotion).used == 1


def test_a_canceled_cart_s_quote_expires_without_giving_back_twice(csr, sku, prices, stocked):
    quote = quotes.quote_create(actor=csr, order=new_cart(csr, sku, qty=2))
    services.cancel_order(actor=csr, order=quote.order, reason="caller hung up")
    assert allocated(sku) == 0
    assert quotes.expire_quotes(now=timezone.now() + dt.timedelta(days=8)) == 1
    assert allocated(sku) == 0


def test_a_partly_backordered_line_holds_what_is_on_hand(csr, sku, prices, toronto):
    from tests.fulfillment.factories import expect, stock

    stock(sku, toronto, 2)
    arrival = expect(sku, toronto, 10, days=5).expected_date
    quote = quotes.quote_create(actor=csr, order=new_cart(csr, sku, qty=5))
    line = quote.lines.get()
    assert (line.held, line.backorder_date) == (2, arrival)


def test_the_expiry_changes_within_the_role_limit(csr, supervisor, sku, prices, stocked):
    quote = quotes.quote_create(actor=csr, order=new_cart(csr, sku), days=1)
    Quote.objects.filter(pk=quote.pk).update(reminded_at=timezone.now())
    with pytest.raises(DomainError, match="1 to 14 days"):
        quotes.quote_extend(actor=csr, quote=quote, days=20)
    quotes.quote_extend(actor=supervisor, quote=quote, days=20)
    quote.refresh_from_db()
    assert quote.expires_at == quote.created_at + dt.timedelta(days=20)
    assert quote.reminded_at is None  # a new reminder a day before the new date
    assert events_of(quote.order, E.QUOTE_EXPIRY_CHANGED).get().actor == supervisor


def test_atp_for_other_orders_sees_the_held_units_as_taken(csr, sku, prices, stocked):
    from orders import integrations

    quotes.quote_create(actor=csr, order=new_cart(csr, sku, qty=4))
    later = timezone.now() + dt.timedelta(hours=3)
    from fulfillment.sweep import sweep_stale_allocations

    sweep_stale_allocations(now=later)  # the hold outlives the store's 2 hours
    assert integrations.availability(sku_ids=[sku.pk])[sku.pk].available_now == 6
