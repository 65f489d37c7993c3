import pytest

from core.errors import DomainError, NotAllowed, NotFound, StaleVersion
from core.events import EventType as E
from orders import services
from orders.models import Order, OrderAddress, OrderEvent, OrderLine, OrderPayment, OrderStatus
from tests.orders.conftest import ADDRESS, ADDRESS2


def events(order):
    return list(
        OrderEvent.objects.filter(order=order).order_by("id").values_list("event_type", flat=True)
    )


def test_a_guest_cart_is_a_pending_order_with_the_csr_and_an_event(guest_cart, csr):
    assert guest_cart.status == OrderStatus.PENDING
    assert guest_cart.customer is None and guest_cart.created_by == csr
    assert events(guest_cart) == [E.ORDER_CREATED]


def test_a_staff_user_without_a_desk_role_cannot_open_a_cart(nobody):
    with pytest.raises(NotAllowed):
        services.cart_create(actor=nobody, guest={})


def test_a_registered_cart_starts_with_the_default_addresses(csr, customer, ground):
    cart = services.cart_create(actor=csr, customer=customer)
    ship = OrderAddress.objects.get(order=cart, kind="shipping")
    assert cart.current_ship_to == ship and ship.shipping_method == ground
    assert OrderAddress.objects.filter(order=cart, kind="billing").count() == 1


def test_a_disabled_customer_cannot_order(csr, customer):
    customer.is_enabled = False
    customer.disabled_reason = "fraud check"
    customer.save()
    with pytest.raises(DomainError, match="disabled"):
        services.cart_create(actor=csr, customer=customer)


def test_add_line_by_sku_code_twice_adds_to_the_quantity(guest_cart, csr, sku):
    services.line_add(actor=csr, order=guest_cart, sku_code="nb-blk-a5", quantity=2)
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=3)
    line = OrderLine.objects.get(order=guest_cart)
    assert line.quantity == 5
    assert events(guest_cart)[-2:] == [E.ORDER_LINE_ADDED, E.ORDER_LINE_CHANGED]
    assert Order.objects.get(pk=guest_cart.pk).version == 3


def test_an_unknown_sku_and_a_bad_quantity_say_what_to_do(guest_cart, csr, sku):
    with pytest.raises(NotFound) as exc:
        services.line_add(actor=csr, order=guest_cart, sku_code="NOPE-1")
    assert exc.value.field == "sku"
    with pytest.raises(DomainError) as exc:
        services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=0)
    assert exc.value.field == "quantity"
    with pytest.raises(DomainError):
        services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity="two")


def test_a_non_buyable_sku_is_refused(guest_cart, csr):
    from tests.catalog.factories import SKUFactory

    old = SKUFactory(code="OLD-1", product__discontinued=True)
    with pytest.raises(DomainError) as exc:
        services.line_add(actor=csr, order=guest_cart, sku_code=old.code)
    assert exc.value.field == "sku"
    assert not OrderLine.objects.filter(order=guest_cart).exists()


def test_update_and_remove_a_line(guest_cart, csr, sku):
    line = services.line_add(actor=csr, order=guest_cart, sku_code=sku.code)
    services.line_update(actor=csr, order=guest_cart, line_id=line.pk, quantity=7)
    assert OrderLine.objects.get(pk=line.pk).quantity == 7
    services.line_remove(actor=csr, order=guest_cart, line_id=line.pk)
    assert not OrderLine.objects.filter(pk=line.pk).exists()
    assert events(guest_cart)[-1] == E.ORDER_LINE_REMOVED


def test_a_save_with_a_stale_version_is_refused_never_silently_applied(guest_cart, csr, sku):
    opened_at = guest_cart.version
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, version=opened_at)
    with pytest.raises(StaleVersion, match="changed since you opened it"):
        services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, version=opened_at)
    assert OrderLine.objects.get(order=guest_cart).quantity == 1


def test_two_ship_tos_with_a_method_each(guest_cart, csr, sku, sku2, ground, express):
    home = services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS)
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code)
    office = services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS2)
    services.line_add(actor=csr, order=guest_cart, sku_code=sku2.code)
    services.shipping_method_set(
        actor=csr, order=guest_cart, ship_to_id=office.pk, method_code="express"
    )
    lines = {line.sku.code: line.ship_to_id for line in OrderLine.objects.filter(order=guest_cart)}
    assert lines == {sku.code: home.pk, sku2.code: office.pk}
    office.refresh_from_db()
    assert office.shipping_method == express and home.shipping_method == ground
    with pytest.raises(DomainError) as exc:
        services.ship_to_add(actor=csr, order=guest_cart, address={**ADDRESS, "city": ""})
    assert exc.value.field == "city"


def test_an_address_already_on_the_order_chosen_again_takes_the_method_chosen_with_it(
    guest_cart, csr, ground, express
):
    home = services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS)

    again = services.ship_to_add(
        actor=csr, order=guest_cart, address=ADDRESS, shipping_method_code="express"
    )

    home.refresh_from_db()
    assert again.pk == home.pk and home.shipping_method == express


def test_a_guest_address_cannot_go_to_an_address_book(guest_cart, csr):
    with pytest.raises(DomainError, match="guest"):
        services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS, save_to_book=True)


def test_a_registered_customer_address_can_be_saved_to_the_book(csr, customer, ground):
    cart = services.cart_create(actor=csr, customer=customer)
    services.ship_to_add(
        actor=csr, order=cart, address={**ADDRESS2, "nickname": "Office"}, save_to_book=True
    )
    assert customer.addresses.filter(nickname="Office").exists()


def test_a_new_card_keeps_only_the_token_and_last4(guest_cart, csr):
    payment = services.payment_set_card(
        actor=csr,
        order=guest_cart,
        card_number="4242 4242 4242 4242",
        exp_month="12",
        exp_year="2035",
        cvv="321",
    )
    assert payment.gateway_token.startswith("sbx_approve_") and payment.last4 == "4242"
    stored = str(list(OrderPayment.objects.values())) + str(
        list(OrderEvent.objects.values_list("data", flat=True))
    )
    assert "4242424242424242" not in stored and "321" not in stored.replace("0.00", "")


def test_a_bad_card_is_refused_at_the_field(guest_cart, csr):
    with pytest.raises(DomainError) as exc:
        services.payment_set_card(
            actor=csr,
            order=guest_cart,
            card_number="4242424242424241",
            exp_month=12,
            exp_year=2035,
            cvv="1",
        )
    assert exc.value.field == "card_number"
    assert not OrderPayment.objects.exists()


def test_a_stored_card_is_used_for_a_registered_customer(csr, customer, ground):
    from customers.models import PaymentMethod

    method = PaymentMethod.objects.create(
        customer=customer,
        gateway_token="sbx_approve_demo",
        brand="visa",
        last4="4242",
        exp_month=1,
        exp_year=2031,
        is_default=True,
    )
    cart = services.cart_create(actor=csr, customer=customer)
    payment = OrderPayment.objects.get(order=cart)
    assert payment.stored_method_id == method.pk
    second = PaymentMethod.objects.create(
        customer=customer,
        gateway_token="sbx_decline_x",
        brand="visa",
        last4="0002",
        exp_month=1,
        exp_year=2031,
    )
    services.payment_set_stored(actor=csr, order=cart, payment_method_id=second.pk)
    assert services._current_payment(cart).last4 == "0002"


def test_comment_internal_and_emailed(
    guest_cart, csr, mailoutbox, django_capture_on_commit_callbacks
):
    services.comment_add(actor=csr, order=guest_cart, text="Called back about colour")
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(
            actor=csr, order=guest_cart, text="Your pens ship Monday.", email_customer=True
        )
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["gail@example.com"]
    assert "ship Monday" in mailoutbox[0].body


def test_atp_choice(guest_cart, csr):
    services.atp_choice_set(actor=csr, order=guest_cart, choice="ship_complete")
    assert Order.objects.get(pk=guest_cart.pk).atp_choice == "ship_complete"
    with pytest.raises(DomainError):
        services.atp_choice_set(actor=csr, order=guest_cart, choice="whenever")


def test_adding_a_line_runs_a_bounded_number_of_queries(
    guest_cart, csr, sku, ground, django_assert_max_num_queries
):
    services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS)
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code)
    with django_assert_max_num_queries(40):
        services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=2)
