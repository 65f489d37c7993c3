"""The Find catalog item screen and the SKU page."""

import pytest
from django.urls import reverse

from catalog import services
from tests.catalog.factories import CategoryFactory, ProductFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def items():
    cat = CategoryFactory(code="notebooks", name="Notebooks")
    new = SKUFactory(
        code="NB-BLK-A5", name="Notebook, Black, A5", product=ProductFactory(category=cat)
    )
    old = SKUFactory(
        code="NB-OLD-A5", name="Notebook, Black, A5 (old)", product=ProductFactory(category=cat)
    )
    services.product_discontinue(product=old.product, replacement=new)
    return {"new": new, "old": old, "cat": cat}


def test_screen_needs_the_desk_permission(client, nobody):
    client.force_login(nobody)
    assert client.get(reverse("catalog:find")).status_code == 403


def test_full_page_has_the_search_box_and_results(csr_client, items):
    response = csr_client.get(reverse("catalog:find"), {"q": "nb-"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-search" in html and "Find catalog item" in html
    assert "NB-BLK-A5" in html and "Discontinued" in html
    assert "Replacement" in html


def test_htmx_returns_only_the_results(csr_client, items, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = csr_client.get(
            reverse("catalog:find"),
            {"q": "NB", "category": items["cat"].pk, "buyable": "1"},
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="catalog-results",
        )
    html = response.content.decode()
    assert "<html" not in html
    assert "NB-BLK-A5" in html and "NB-OLD-A5" not in html


def test_results_query_count_is_constant(csr_client, items, django_assert_num_queries):
    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            csr_client.get(
                reverse("catalog:find"),
                {"q": "NB"},
                HTTP_HX_REQUEST="true",
                HTTP_HX_TARGET="catalog-results",
            )
        return len(ctx.captured_queries)

    count_queries()  # warm: the permission set is cached after a session's first request
    few = count_queries()
    for i in range(15):
        sku = SKUFactory(code=f"NB-X{i:02d}", product=ProductFactory(discontinued=True))
        services.association_add(source=sku, target=items["new"], kind="replacement")
    count_queries()  # warm again: new catalog rows make the pricing rules reload once
    assert count_queries() == few


def test_empty_result_says_what_to_try(csr_client, items):
    response = csr_client.get(reverse("catalog:find"), {"q": "zzzz"})
    assert "No catalog item matches" in response.content.decode()


def test_sku_page(csr_client, items):
    response = csr_client.get(reverse("catalog:sku", args=["nb-old-a5"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Discontinued" in html and "NB-BLK-A5" in html
    assert csr_client.get(reverse("catalog:sku", args=["NOPE"])).status_code == 404


def test_kit_availability_counts_whole_kits_from_parts():
    from types import SimpleNamespace

    from catalog.views import KitAvailability
    from tests.catalog.factories import KitComponentFactory

    first = KitComponentFactory(quantity=2)
    KitComponentFactory(kit=first.kit, quantity=1)
    kit = first.kit
    parts = {part.component_id: part for part in kit.components.all()}
    stock = {pk: SimpleNamespace(available_now=n) for pk, n in zip(parts, [7, 5], strict=True)}
    assert KitAvailability.of(kit, stock).available_now == 3  # 7 // 2, 5 // 1
    assert KitAvailability.of(kit, {}).describe() == "a part is out of stock"
