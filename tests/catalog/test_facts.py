"""The catalog's item facts: pricing and fulfillment provide them; catalog imports neither."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from catalog import facts
from tests.catalog.factories import SKUFactory

pytestmark = pytest.mark.django_db


def test_pricing_and_fulfillment_provide_the_facts_in_their_ready():
    assert facts.is_provided(facts.LIST_PRICE) and facts.is_provided(facts.AVAILABILITY)
    with pytest.raises(ImproperlyConfigured):
        facts.register(facts.LIST_PRICE, lambda *, sku_ids: {})
    with pytest.raises(ImproperlyConfigured):
        facts.register("colour", lambda *, sku_ids: {})


def test_the_screen_shows_what_the_providers_say(csr_client, monkeypatch):
    sku = SKUFactory(code="NB-1", name="Notebook")
    monkeypatch.setitem(
        facts._providers, facts.LIST_PRICE, lambda *, sku_ids: {sku.pk: Decimal("4.25")}
    )
    html = csr_client.get(reverse("catalog:find"), {"q": "nb-"}).content.decode()
    assert "Price (" in html and "4.25" in html and "Availability" in html


def test_a_fact_no_app_provides_is_a_column_not_shown(csr_client, monkeypatch):
    SKUFactory(code="NB-1", name="Notebook")
    monkeypatch.delitem(facts._providers, facts.LIST_PRICE)
    html = csr_client.get(reverse("catalog:find"), {"q": "nb-"}).content.decode()
    assert "Price (" not in html and "Availability" in html
