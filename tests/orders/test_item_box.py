"""The item box takes what a CSR types in one go: a SKU code with its quantity after it
('NB-BLK-A5*3'), or the promotion code the caller quotes; a refused add gives the text back."""

import datetime as dt
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.forms import item_entry
from orders.models import Order
from pricing.models import OrderPromotionCode
from tests.catalog.factories import SKUFactory
from tests.pricing.factories import PriceListEntryFactory, PriceListFactory, PromotionFactory

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("NB-BLK-A5*3", ("NB-BLK-A5", "3")),
        ("NB-BLK-A5 * 3", ("NB-BLK-A5", "3")),
        ("NB-BLK-A5 12", ("NB-BLK-A5", "12")),
        ("  nb-blk-a5  ", ("nb-blk-a5", "1")),
        ("PCL-2B-12", ("PCL-2B-12", "1")),  # digits in the code are not a quantity
        ("gel pen", ("gel pen", "1")),
    ],
)
def test_the_quantity_typed_after_the_item_is_taken_from_the_text(typed, expected):
    assert item_entry(typed) == expected


def test_without_a_quantity_in_the_text_the_quantity_field_counts():
    assert item_entry("NB-BLK-A5", "4") == ("NB-BLK-A5", "4")
    assert item_entry("NB-BLK-A5*2", "4") == ("NB-BLK-A5", "2")


def post_item(client, cart, text):
    version = Order.objects.get(pk=cart.pk).version
    url = reverse("orders:line_add", args=[cart.pk])
    return client.post(url, {"sku": text, "quantity": "1", "version": version}, **HX)


def test_a_code_with_a_star_and_a_number_adds_that_many(csr_client, guest_cart, sku):
    post_item(csr_client, guest_cart, "NB-BLK-A5*3")

    assert guest_cart.lines.get(sku=sku).quantity == 3


def test_a_code_typed_without_its_separators_adds_its_item(csr_client, guest_cart, sku):
    post_item(csr_client, guest_cart, "nbblka5 2")

    assert guest_cart.lines.get(sku=sku).quantity == 2


def test_a_code_two_items_read_as_without_separators_adds_neither(csr_client, guest_cart, sku):
    SKUFactory(code="NBB-LK-A5", product=sku.product)

    response = post_item(csr_client, guest_cart, "nbblka5")

    assert not guest_cart.lines.exists()
    assert "No SKU" in unescape(response.text)


@pytest.fixture
def spring(db):
    return PromotionFactory(
        name="Spring, 15% off", code="SPRING15", reward="order_percent", percent=Decimal("15")
    )


def test_a_promotion_code_typed_in_the_item_box_is_entered_on_the_order(
    csr_client, guest_cart, sku, spring
):
    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku, price=Decimal("20.00"))
    post_item(csr_client, guest_cart, "NB-BLK-A5")

    response = post_item(csr_client, guest_cart, "spring15")

    assert OrderPromotionCode.objects.filter(order_id=guest_cart.pk, code="SPRING15").exists()
    assert "SPRING15 applied." in unescape(response.text)
    assert guest_cart.lines.count() == 1  # no line was added for it


def test_text_that_is_neither_an_item_nor_a_code_is_refused_and_given_back(
    csr_client, guest_cart, spring
):
    response = post_item(csr_client, guest_cart, "SPRING16")

    assert "No SKU 'SPRING16'" in unescape(response.text)
    assert response["HX-Trigger-After-Settle"] == "cart-updated, cart-refused"
    assert not OrderPromotionCode.objects.filter(order_id=guest_cart.pk).exists()


def test_the_suggestions_name_a_promotion_code_typed_in_full_first(
    csr_client, guest_cart, sku, spring
):
    url = reverse("orders:suggest", args=[guest_cart.pk])

    code = csr_client.get(url, {"sku": "Spring15"})
    item = csr_client.get(url, {"sku": "NB-BLK-A5"})

    assert 'data-promotion-code="SPRING15"' in code.text
    assert "data-promotion-code" not in item.text and 'data-sku="NB-BLK-A5"' in item.text


def test_the_suggestions_for_a_code_with_its_quantity_are_those_for_the_code(
    csr_client, guest_cart, sku
):
    url = reverse("orders:suggest", args=[guest_cart.pk])

    response = csr_client.get(url, {"sku": "NB-BLK-A5*3"})

    assert 'data-sku="NB-BLK-A5"' in response.text


def test_the_start_of_a_running_promotions_code_names_it_in_the_suggestions(
    csr_client, guest_cart, sku, spring
):
    url = reverse("orders:suggest", args=[guest_cart.pk])

    response = csr_client.get(url, {"sku": "spri"})

    assert 'data-promotion-code="SPRING15"' in response.text


def test_the_start_of_an_items_code_names_no_promotion(csr_client, guest_cart, sku, spring):
    SKUFactory(code="SP-RED-A4", product=sku.product)
    url = reverse("orders:suggest", args=[guest_cart.pk])

    response = csr_client.get(url, {"sku": "spr"})

    assert "data-promotion-code" not in response.text
    assert 'data-sku="SP-RED-A4"' in response.text


@pytest.mark.parametrize(
    ("promotions", "typed", "named"),
    [
        ([{}], "SPRING15", "SPRING15"),
        ([{"is_active": False}], "spring15", "SPRING15"),  # in full: entering says why not
        ([{}], "spr", "SPRING15"),
        ([{}], "sp", ""),  # too short to name a code
        ([{}, {"code": "SPRINGTIME"}], "spring", ""),  # two codes start so
        ([{"is_active": False}], "spr", ""),
        ([{"ends_at_days": -1}], "spr", ""),
        ([{"starts_at_days": 1}], "spr", ""),
        ([{"is_coupon": True}], "spr", ""),
        ([{}], "spring15 2", ""),
    ],
)
def test_a_promotion_code_is_named_in_full_or_by_the_start_of_one_running_now(
    db, promotions, typed, named
):
    from pricing.selectors import promotion_code_named

    now = timezone.now()
    for fields in promotions:
        fields = dict(fields)
        for bound in ("starts_at", "ends_at"):
            days = fields.pop(f"{bound}_days", None)
            if days is not None:
                fields[bound] = now + dt.timedelta(days=days)
        PromotionFactory(**{"code": "SPRING15", **fields})

    assert promotion_code_named(typed) == named
