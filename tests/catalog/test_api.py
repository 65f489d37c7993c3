"""/api/v1/catalog/: read for CSRs, write for store admins, search and filters."""

import pytest

from catalog import services
from catalog.models import SKU, Category, Product
from tests.catalog.factories import CategoryFactory, ProductFactory, SKUFactory, add_axis

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf():
    paper = CategoryFactory(code="paper", name="Paper")
    notebooks = CategoryFactory(code="notebooks", name="Notebooks", parent=paper)
    pens = CategoryFactory(code="pens", name="Pens")
    nb = ProductFactory(code="NB", name="Notebook", category=notebooks)
    new = SKUFactory(code="NB-BLK-A5", name="Notebook, Black, A5", product=nb)
    old = SKUFactory(
        code="NB24-BLK-A5",
        name="Notebook 2024, Black, A5",
        product=ProductFactory(category=notebooks),
    )
    services.product_discontinue(product=old.product, replacement=new)
    SKUFactory(code="PEN-GEL-K", name="Gel pen, Black", product=ProductFactory(category=pens))
    return {"paper": paper, "notebooks": notebooks, "pens": pens, "nb": nb}


def test_csr_reads_skus_with_search_and_filters(api_client, csr, shelf):
    api_client.force_authenticate(csr)
    body = api_client.get("/api/v1/catalog/skus/", {"q": "nb"}).json()
    codes = [row["code"] for row in body["results"]]
    assert codes == ["NB-BLK-A5", "NB24-BLK-A5"]
    old = body["results"][1]
    assert old["is_buyable"] is False and old["state"] == "discontinued"
    assert old["associations"][0]["kind"] == "replacement"
    assert old["associations"][0]["target_code"] == "NB-BLK-A5"

    body = api_client.get(
        "/api/v1/catalog/skus/", {"category": shelf["paper"].pk, "buyable": "true"}
    )
    assert [row["code"] for row in body.json()["results"]] == ["NB-BLK-A5"]
    body = api_client.get("/api/v1/catalog/skus/", {"buyable": "false"}).json()
    assert [row["code"] for row in body["results"]] == ["NB24-BLK-A5"]
    body = api_client.get("/api/v1/catalog/products/", {"category": shelf["paper"].pk}).json()
    assert body["count"] == 2
    body = api_client.get("/api/v1/catalog/categories/", {"within": shelf["paper"].pk}).json()
    assert {row["code"] for row in body["results"]} == {"paper", "notebooks"}


def test_sku_list_query_count_is_constant(api_client, csr, shelf, django_assert_max_num_queries):
    api_client.force_authenticate(csr)
    for i in range(30):
        SKUFactory(code=f"NB-X{i:02d}", product=shelf["nb"])
    with django_assert_max_num_queries(10):
        response = api_client.get("/api/v1/catalog/skus/", {"q": "NB", "page_size": 50})
    assert response.json()["count"] == 32


def test_csr_cannot_write(api_client, csr, shelf):
    api_client.force_authenticate(csr)
    response = api_client.post(
        "/api/v1/catalog/categories/", {"code": "x", "name": "X"}, format="json"
    )
    assert response.status_code == 403
    assert not Category.objects.filter(code="x").exists()


def test_nobody_cannot_read(api_client, nobody):
    api_client.force_authenticate(nobody)
    assert api_client.get("/api/v1/catalog/skus/").status_code == 403


def test_store_admin_writes(api_client, store_admin, shelf):
    api_client.force_authenticate(store_admin)
    response = api_client.post(
        "/api/v1/catalog/categories/",
        {"code": "a5", "name": "A5", "parent": shelf["notebooks"].pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["path"] == f"{shelf['notebooks'].path}{response.json()['id']}/"

    response = api_client.post(
        "/api/v1/catalog/products/",
        {"code": "SP", "name": "Spiral notebook", "category": shelf["notebooks"].pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    product = Product.objects.get(code="SP")
    add_axis(product, "colour", ["Black", "Red"])
    response = api_client.post(f"/api/v1/catalog/products/{product.pk}/generate-skus/")
    assert response.json() == {"created": ["SP-BLACK", "SP-RED"]}

    response = api_client.post(
        "/api/v1/catalog/skus/",
        {"code": "sp-x", "product": product.pk, "name": "Odd one", "weight_kg": "0.3"},
        format="json",
    )
    assert response.status_code == 201
    assert SKU.objects.filter(code="SP-X").exists()


def test_validation_errors_are_400_with_fields(api_client, store_admin, shelf):
    api_client.force_authenticate(store_admin)
    response = api_client.post(
        "/api/v1/catalog/products/",
        {
            "code": "NB",
            "name": "",
            "category": shelf["paper"].pk,
            "available_from": "2026-05-01T00:00:00Z",
            "discontinued_at": "2026-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert "code" in fields and "name" in fields

    response = api_client.post(
        "/api/v1/catalog/products/",
        {
            "code": "NEW",
            "name": "New",
            "category": shelf["paper"].pk,
            "available_from": "2026-05-01T00:00:00Z",
            "discontinued_at": "2026-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "discontinued_at" in response.json()["fields"]

    response = api_client.patch(
        f"/api/v1/catalog/categories/{shelf['paper'].pk}/",
        {"parent": shelf["notebooks"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert "parent" in response.json()["fields"]

    response = api_client.delete(f"/api/v1/catalog/categories/{shelf['paper'].pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "in_use"
