"""Store admins build rules in the admin; bad settings are refused with a message."""

import pytest
from django.urls import reverse

from pricing import models as m
from pricing.loader import rules_version


def promotion_form(**overrides):
    data = {
        "name": "Ten off",
        "description": "",
        "reward": "order_percent",
        "priority": "100",
        "is_active": "on",
        "code": "",
        "code_required": "on",
        "time_zone": "America/Toronto",
        "currency": "CAD",
        "min_quantity": "0",
        "min_amount": "0",
        "percent": "10",
        "gift_quantity": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def admin_client(client, store_admin):
    client.force_login(store_admin)
    return client


def test_store_admin_creates_a_promotion_and_the_rules_cache_moves(admin_client):
    before = rules_version()
    response = admin_client.post(
        reverse("admin:pricing_promotion_add"), promotion_form(days=["5", "6"], code="spring15")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    promotion = m.Promotion.objects.get()
    assert promotion.code == "SPRING15"
    assert promotion.days == frozenset({5, 6})
    assert rules_version() != before
    assert m.PricingEvent.objects.filter(event_type=330).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {
                "starts_at_0": "2026-12-10",
                "starts_at_1": "00:00",
                "ends_at_0": "2026-12-01",
                "ends_at_1": "00:00",
            },
            "ends_at",
            "The end must be after the start.",
        ),
        ({"percent": "150"}, "percent", "A percentage cannot be over 100."),
        ({"reward": "order_fixed", "amount": "-5"}, "amount", "Must not be negative."),
        ({"limit_overall": "0"}, "limit_overall", "A limit must be at least 1"),
        ({"min_amount": "-1"}, "min_amount", "Must not be negative."),
        ({"reward": "product_gift", "percent": ""}, "gift_sku", "Choose the SKU given as a gift."),
    ],
)
def test_bad_promotion_settings_are_refused(admin_client, overrides, field, message):
    response = admin_client.post(
        reverse("admin:pricing_promotion_add"), promotion_form(**overrides)
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(message in e for e in errors[field]), errors
    assert not m.Promotion.objects.exists()


def test_preview_prices_a_cart_and_explains(admin_client, store):
    m.Promotion.objects.create(
        name="Free shipping over 50.00", reward=m.Reward.SHIPPING_FREE, min_amount=50
    )
    response = admin_client.post(
        reverse("admin:pricing_promotion_preview"),
        {
            "items": "NB-A5 2\nPEN-BLK 4",
            "country": "CA",
            "region": "ON",
            "shipping_method": store.ground.pk,
        },
    )
    assert response.status_code == 200
    priced = response.context["priced"]
    assert priced.subtotal == 34  # 2 × 12.00 + 4 × 2.50
    assert "Add 16.00 more for “Free shipping over 50.00”." in response.content.decode()


def test_preview_names_unknown_skus(admin_client, store):
    response = admin_client.post(
        reverse("admin:pricing_promotion_preview"), {"items": "NOPE 1", "country": "CA"}
    )
    assert "Unknown SKU: NOPE." in response.content.decode()


def test_price_list_admin_refuses_segment_list_without_segment(admin_client):
    response = admin_client.post(
        reverse("admin:pricing_pricelist_add"),
        {
            "name": "Gold",
            "currency": "CAD",
            "kind": "segment",
            "priority": "10",
            "is_active": "on",
            "category_adjustments-TOTAL_FORMS": "0",
            "category_adjustments-INITIAL_FORMS": "0",
            "entries-TOTAL_FORMS": "0",
            "entries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "A segment list needs its segment." in response.content.decode()


def test_unknown_time_zone_refused(admin_client):
    response = admin_client.post(
        reverse("admin:pricing_promotion_add"), promotion_form(time_zone="Mars/Olympus")
    )
    assert "Unknown time zone" in str(response.context["adminform"].form.errors["time_zone"])


def test_base_list_loop_refused(db):
    from django.core.exceptions import ValidationError

    a = m.PriceList.objects.create(name="A")
    b = m.PriceList.objects.create(name="B", base_list=a)
    a.base_list = b
    with pytest.raises(ValidationError, match="loop"):
        a.full_clean()
