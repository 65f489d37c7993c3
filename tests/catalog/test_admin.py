"""Django admin: list pages without N+1, SKU generation action, CSV import all-or-nothing."""

import pytest
import tablib
from django.urls import reverse

from catalog.models import SKU, Product
from catalog.resources import ProductResource, SKUResource
from tests.catalog.factories import (
    AssociationFactory,
    CategoryFactory,
    KitComponentFactory,
    ProductFactory,
    SKUFactory,
    add_axis,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, store_admin):
    client.force_login(store_admin)
    return client


def _queries_for(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: the permission set is cached after a session's first request
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _rows(start, n):
    for i in range(start, start + n):
        parent = CategoryFactory(code=f"c{i}", parent=CategoryFactory(code=f"p{i}"))
        sku = SKUFactory(code=f"S{i:03d}", product=ProductFactory(category=parent))
        AssociationFactory(source=sku, target=SKUFactory(code=f"T{i:03d}"))
        KitComponentFactory(kit=SKUFactory(code=f"K{i:03d}", kind="kit"), component=sku)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:catalog_product_changelist",
        "admin:catalog_sku_changelist",
        "admin:catalog_category_changelist",
        "admin:catalog_association_changelist",
        "admin:catalog_kitcomponent_changelist",
        "admin:catalog_attribute_changelist",
    ],
)
def test_list_pages_have_a_constant_query_count(admin_client, url_name):
    _rows(0, 2)
    few = _queries_for(admin_client, reverse(url_name))
    _rows(2, 10)
    assert _queries_for(admin_client, reverse(url_name)) == few


def test_change_pages_open(admin_client):
    sku = SKUFactory()
    KitComponentFactory(kit=sku)
    assert admin_client.get(reverse("admin:catalog_sku_change", args=[sku.pk])).status_code == 200
    url = reverse("admin:catalog_product_change", args=[sku.product.pk])
    assert admin_client.get(url).status_code == 200
    assert (
        admin_client.get(reverse("admin:catalog_sku_changelist"), {"buyable": "no"}).status_code
        == 200
    )
    url = reverse("admin:catalog_product_changelist")
    assert admin_client.get(url, {"state_now": "discontinued"}).status_code == 200


def test_generate_action(admin_client):
    product = ProductFactory(code="NB")
    add_axis(product, "colour", ["Black", "Blue"])
    response = admin_client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "generate_missing_skus", "_selected_action": [product.pk]},
        follow=True,
    )
    assert "2 SKU(s) created." in response.content.decode()
    assert product.skus.count() == 2
    assert product.events.get().actor.username == "admin1"


def test_csr_has_no_admin(client, csr):
    client.force_login(csr)
    response = client.get(reverse("admin:catalog_product_changelist"))
    assert response.status_code == 302  # to the admin login: a CSR is not staff


# --- CSV import ---------------------------------------------------------------------------------


def test_product_import_all_or_nothing():
    CategoryFactory(code="notebooks")
    data = tablib.Dataset(headers=["code", "name", "category", "tax_code", "available_from"])
    data.append(["NB-1", "Good notebook", "notebooks", "standard", "2026-01-01"])
    data.append(["NB-2", "", "notebooks", "standard", "2026-01-01"])  # no name
    data.append(["NB-3", "Lost notebook", "no-such-category", "standard", ""])
    data.append(["NB-4", "Odd date", "notebooks", "standard", "yesterday"])
    result = ProductResource().import_data(data, dry_run=False, raise_errors=False)
    assert result.has_validation_errors() or result.has_errors()
    assert not Product.objects.exists()  # nothing imported
    messages = " ".join(str(row.error_dict) for row in result.invalid_rows)
    assert "name" in messages
    numbers = {row.number for row in result.invalid_rows}
    assert numbers == {2, 3, 4}
    assert "no-such-category" in messages
    assert "not a date" in messages


def test_product_import_and_export_round_trip():
    CategoryFactory(code="notebooks")
    headers = ["code", "name", "category", "tax_code", "available_from", "discontinued_at"]
    data = tablib.Dataset(headers=headers)
    data.append(["NB-1", "Notebook", "notebooks", "standard", "2019-01-01", "2020-01-01"])
    result = ProductResource().import_data(data, dry_run=False, raise_errors=True)
    assert not result.has_errors()
    product = Product.objects.get(code="NB-1")
    assert product.state == "discontinued"
    exported = ProductResource().export()
    assert exported.dict[0]["category"] == "notebooks"
    assert exported.dict[0]["state"] == "discontinued"


def test_sku_import_row_errors_nothing_imported():
    ProductFactory(code="NB")
    data = tablib.Dataset(headers=["code", "product", "name", "weight_kg", "kind"])
    data.append(["nb-blk", "NB", "Notebook, black", "0.3", "item"])
    data.append(["NB-RED", "NB", "Notebook, red", "heavy", "item"])
    data.append(["NB-GRN", "NOPE", "Notebook, green", "0.3", "item"])
    result = SKUResource().import_data(data, dry_run=False, raise_errors=False)
    assert result.has_errors() or result.has_validation_errors()
    assert not SKU.objects.exists()

    good = tablib.Dataset(headers=["code", "product", "name", "weight_kg", "kind"])
    good.append(["nb-blk", "NB", "Notebook, black", "0.3", "item"])
    result = SKUResource().import_data(good, dry_run=False, raise_errors=True)
    assert SKU.objects.get().code == "NB-BLK"


def test_admin_import_reports_row_errors_and_saves_nothing(admin_client):
    CategoryFactory(code="notebooks")
    csv = "code,name,category,tax_code\nNB-1,Fine,notebooks,standard\nNB-2,Lost,nowhere,standard\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("products.csv", csv.encode(), content_type="text/csv")
    response = admin_client.post(
        reverse("admin:catalog_product_import"),
        {"import_file": upload, "format": "0", "resource": "0"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "nowhere" in html
    assert "There is no category with code" in html  # the row error, with its line
    assert reverse("admin:catalog_product_process_import") not in html  # nothing to confirm
    assert not Product.objects.exists()


def test_inline_kit_and_association_edits_are_audited(admin_client, store_admin):
    """Edited on the admin's SKU page, associations and kit parts leave the same audit rows
    as the services."""
    from catalog.models import CatalogEvent
    from core.events import EventType as E

    kit, part, accessory = SKUFactory(kind="kit"), SKUFactory(), SKUFactory()
    url = reverse("admin:catalog_sku_change", args=[kit.pk])
    data = {
        "code": kit.code,
        "product": kit.product_id,
        "name": kit.name,
        "kind": "kit",
        "service_type": "",
        "weight_kg": "0.250",
        "is_active": "on",
        "components-TOTAL_FORMS": "1",
        "components-INITIAL_FORMS": "0",
        "components-0-component": part.pk,
        "components-0-quantity": "2",
        "associations-TOTAL_FORMS": "1",
        "associations-INITIAL_FORMS": "0",
        "associations-0-kind": "accessory",
        "associations-0-target": accessory.pk,
        "associations-0-rank": "0",
        "associations-0-note": "",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    events = {e.event_type: e for e in CatalogEvent.objects.filter(sku=kit)}
    assert events[E.CATALOG_KIT_CHANGED].data["new"] == {part.code: 2}
    added = events[E.CATALOG_ASSOCIATION_ADDED]
    assert added.data == {"target": accessory.code, "kind": "accessory"}
    assert added.actor == store_admin
