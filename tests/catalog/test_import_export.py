"""The catalog's CSV files: every one round-trips, and a SKU import keeps the catalog's rules."""

import pytest
import tablib

from catalog import services
from catalog.models import (
    SKU,
    Association,
    Attribute,
    AttributeValue,
    Category,
    KitComponent,
    Product,
    ProductAxis,
)
from catalog.resources import (
    AssociationResource,
    AttributeResource,
    CategoryResource,
    KitComponentResource,
    ProductResource,
    SKUResource,
)
from tests.catalog.factories import (
    AssociationFactory,
    CategoryFactory,
    KitComponentFactory,
    ProductFactory,
    SKUFactory,
    add_axis,
)
from tests.round_trip import assert_round_trip

pytestmark = pytest.mark.django_db

CATALOG_RESOURCES = [
    CategoryResource,
    AttributeResource,
    ProductResource,
    SKUResource,
    AssociationResource,
    KitComponentResource,
]
CATALOG_MODELS = [
    Category,
    Attribute,
    AttributeValue,
    Product,
    ProductAxis,
    SKU,
    Association,
    KitComponent,
]


def _catalog():
    root = CategoryFactory(code="office", name="Office")
    binders = CategoryFactory(code="binders", name="Binders", parent=root)
    CategoryFactory(code="ring-binders", name="Ring binders", parent=binders)
    product = ProductFactory(code="BND", name="Ring binder", category=binders)
    add_axis(product, "colour", ["Black", "Blue"])
    add_axis(product, "ring", ["25mm", "50mm"], position=1)
    AttributeValue.objects.filter(value="Black").update(code="BLK")
    skus = services.generate_skus(product=product)
    kit = SKUFactory(code="KIT-1", kind="kit", product=ProductFactory(code="KITS", category=root))
    KitComponentFactory(kit=kit, component=skus[0], quantity=2)
    AssociationFactory(source=skus[0], target=skus[1], kind="up_sell", rank=2, note="bigger")
    return product


def test_catalog_files_round_trip():
    _catalog()
    files = assert_round_trip(CATALOG_RESOURCES, CATALOG_MODELS)
    assert "binders,Binders,office" in files["CategoryResource"]
    assert "colour=Black|Blue;ring=25mm|50mm" in files["ProductResource"]
    assert "colour=Black;ring=25mm" in files["SKUResource"]
    assert "Black:BLK;Blue" in files["AttributeResource"]
    assert SKU.objects.get(code="BND-BLK-25MM").is_buyable


def _sku_rows(*rows) -> tablib.Dataset:
    data = tablib.Dataset(headers=["code", "product", "name", "weight_kg", "kind", "attributes"])
    for row in rows:
        data.append(row)
    return data


def test_sku_import_refuses_a_sku_outside_the_combinations_with_its_line():
    """The issue's example: NEW-SKU-X under BND with no attribute values was imported as a
    buyable SKU. Now the row is refused with its line number, and nothing is imported."""
    _catalog()
    before = SKU.objects.count()
    data = _sku_rows(
        ["BND-BB", "BND", "Fine row", "0.3", "item", "colour=Blue;ring=25mm"],
        ["NEW-SKU-X", "BND", "Ring binder X", "0.45", "item", ""],
        ["BND-TWIN", "BND", "Same as BLK-25", "0.45", "item", "colour=Black;ring=25mm"],
        ["BND-RED", "BND", "Red", "0.45", "item", "colour=Red;ring=25mm"],
    )
    SKU.objects.filter(code="BND-BLUE-25MM").delete()  # leaves that combination free
    result = SKUResource().import_data(data, dry_run=False, raise_errors=False)
    errors = {row.number: str(row.error_dict) for row in result.invalid_rows}
    assert set(errors) == {2, 3, 4}, errors
    assert "exactly one Colour" in errors[2]
    assert "NEW-SKU-X" in errors[2]
    assert "one SKU per combination" in errors[3]
    assert "no value 'Red'" in errors[4]
    assert SKU.objects.count() == before - 1  # all or nothing: BND-BB was not kept either

    ok = SKUResource().import_data(data.subset(rows=[0]), dry_run=False, raise_errors=True)
    assert not ok.has_validation_errors()
    sku = SKU.objects.get(code="BND-BB")
    assert sorted(v.value.value for v in sku.values.all()) == ["25mm", "Blue"]
    assert sku.variant_key


def test_admin_sku_form_keeps_the_same_rule(client, store_admin):
    from django.urls import reverse

    product = _catalog()
    client.force_login(store_admin)
    data = {
        "code": "NEW-SKU-X",
        "product": product.pk,
        "name": "Ring binder X",
        "kind": "item",
        "service_type": "",
        "weight_kg": "0.450",
        "is_active": "on",
        "components-TOTAL_FORMS": "0",
        "components-INITIAL_FORMS": "0",
        "associations-TOTAL_FORMS": "0",
        "associations-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:catalog_sku_add"), data)
    assert response.status_code == 200
    assert "exactly one Colour" in response.content.decode()
    assert not SKU.objects.filter(code="NEW-SKU-X").exists()

    SKU.objects.filter(code="BND-BLUE-50MM").delete()
    data["combination"] = list(
        AttributeValue.objects.filter(value__in=["Blue", "50mm"]).values_list("pk", flat=True)
    )
    response = client.post(reverse("admin:catalog_sku_add"), data)
    assert response.status_code == 302
    assert SKU.objects.get(code="NEW-SKU-X").variant_key


def test_the_product_page_adds_no_sku_outside_the_combinations(client, store_admin):
    from django.urls import reverse

    product = _catalog()
    client.force_login(store_admin)
    data = {
        "code": product.code,
        "name": product.name,
        "category": product.category_id,
        "tax_code": "standard",
        "available_from_0": "2020-01-01",
        "available_from_1": "00:00",
        # the existing rows are left as they are (no initial forms posted)
        "axes-TOTAL_FORMS": "0",
        "axes-INITIAL_FORMS": "0",
        "descriptions-TOTAL_FORMS": "0",
        "descriptions-INITIAL_FORMS": "0",
        "skus-TOTAL_FORMS": "1",
        "skus-INITIAL_FORMS": "0",
        "skus-0-code": "NEW-SKU-X",
        "skus-0-name": "Ring binder X",
        "skus-0-kind": "item",
        "skus-0-weight_kg": "0.450",
        "skus-0-is_active": "on",
    }
    response = client.post(reverse("admin:catalog_product_change", args=[product.pk]), data)
    assert response.status_code == 200
    assert "exactly one Colour" in response.content.decode()
    assert not SKU.objects.filter(code="NEW-SKU-X").exists()
