"""Every changelist a store admin reaches opens with its filters and a search; the import and
export pages open wherever a resource is declared; the pricing preview is reachable from a
promotion's page; /favicon.ico answers."""

import pytest
from django.contrib import admin
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.pricing.factories import PromotionFactory

pytestmark = pytest.mark.django_db

# Changelists with nothing to search or filter by beyond their few rows.
TINY = {"fulfillment.fulfillmentsettings", "pricing.pricingsettings"}  # one row each


def _changelists():
    return [
        pytest.param(model, model_admin, id=model._meta.label_lower)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in {"core", "catalog", "customers", "pricing", "fulfillment"}
    ]


@pytest.mark.parametrize(("model", "model_admin"), _changelists())
def test_every_changelist_opens_filtered_and_searched(client, store_admin, model, model_admin):
    client.force_login(store_admin)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = client.get(url, {"q": "x"} if model_admin.search_fields else {})
    assert response.status_code == 200, url
    if model._meta.label_lower not in TINY:
        assert model_admin.search_fields, f"{model._meta.label} has no search"
    if getattr(model_admin, "resource_classes", None):
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert client.get(reverse(f"{prefix}_import")).status_code == 200
        assert client.get(reverse(f"{prefix}_export")).status_code == 200


def test_the_promotion_page_links_to_a_filled_in_preview(client, store_admin):
    from tests.catalog.factories import SKUFactory

    promotion = PromotionFactory(skus=[SKUFactory(code="NB-A5")], min_quantity=3)
    client.force_login(store_admin)
    page = client.get(reverse("admin:pricing_promotion_change", args=[promotion.pk]))
    html = page.content.decode()
    assert "Preview pricing" in html and "preview/?items=NB-A5+3" in html
    preview = client.get(reverse("admin:pricing_promotion_preview"), {"items": "NB-A5 3"})
    assert "NB-A5 3" in preview.content.decode()
    listing = client.get(reverse("admin:pricing_promotion_changelist")).content.decode()
    assert "Preview pricing" in listing and "Import" in listing and "Export" in listing


def test_favicon_answers_with_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("desk/favicon.ico")
    assert finders.find("desk/favicon.ico")
