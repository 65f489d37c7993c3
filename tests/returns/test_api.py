"""The returns API per role: CSRs enter, supervisors decide, operations receive."""

from decimal import Decimal

import pytest

from fulfillment.models import Inventory
from returns.models import ReturnPolicy
from tests.returns.conftest import order_line

API = "/api/v1/returns/"


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


@pytest.fixture
def entered(api_client, csr, shipped, skus, reason):
    """A return of one notebook, entered by the CSR through the API."""
    notebook, _case = skus
    client = as_user(api_client, csr)
    created = client.post(API, {"order": shipped.pk}, format="json")
    assert created.status_code == 201, created.data
    pk = created.data["id"]
    added = client.post(
        f"{API}{pk}/lines/",
        {
            "kind": "order_line",
            "order_line": order_line(shipped, notebook).pk,
            "quantity": 1,
            "reason": reason.code,
        },
        format="json",
    )
    assert added.status_code == 201, added.data
    return pk


def test_a_csr_enters_and_submits_a_return(api_client, csr, entered, shipped):
    client = as_user(api_client, csr)
    detail = client.get(f"{API}{entered}/").data
    assert detail["rma_number"].startswith("RMA") and detail["order"] == shipped.number
    assert detail["refund"]["total"] == "9.97" and detail["lines"][0]["tax_amount"] == "0.97"
    returnable = client.get(f"{API}returnable/{shipped.pk}/").data
    assert [(r["shipped"], r["returned"], r["returnable"]) for r in returnable] == [
        (2, 1, 1),
        (1, 0, 1),
    ]
    submitted = client.post(f"{API}{entered}/submit/")
    assert submitted.status_code == 200
    assert submitted.data["status"] == "approved"
    assert submitted.data["approval"].startswith("approved: from the order, within 30 days")
    listed = client.get(API, {"status": "approved"}).data
    assert [r["id"] for r in listed["results"]] == [entered]
    assert listed["results"][0]["refund_total"] == "9.97"


def test_errors_come_back_in_the_one_format(api_client, csr, entered, shipped, skus, reason):
    notebook, _case = skus
    client = as_user(api_client, csr)
    again = client.post(
        f"{API}{entered}/lines/",
        {
            "kind": "order_line",
            "order_line": order_line(shipped, notebook).pk,
            "quantity": 1,
            "reason": reason.code,
        },
        format="json",
    )
    assert again.status_code == 400 and "already" in again.data["message"]
    over = client.post(
        f"{API}{entered}/lines/{client.get(f'{API}{entered}/').data['lines'][0]['id']}/refund/",
        {"amount": "50.00", "reason": "goodwill"},
        format="json",
    )
    assert over.status_code == 400 and over.data["fields"] == {"amount": [over.data["message"]]}
    assert client.get(f"{API}999999/").status_code == 404


def test_only_supervisors_decide(api_client, csr, supervisor, entered):
    ReturnPolicy.objects.create(pk=1, auto_approve=False)
    client = as_user(api_client, csr)
    assert client.post(f"{API}{entered}/submit/").data["status"] == "pending_approval"
    assert client.post(f"{API}{entered}/approve/").status_code == 403
    client = as_user(api_client, supervisor)
    denied = client.post(f"{API}{entered}/deny/", {"comment": "Worn"}, format="json")
    assert denied.status_code == 200 and denied.data["status"] == "denied"
    assert denied.data["decision_comment"] == "Worn"


def test_only_operations_receive(api_client, csr, operations, entered, skus):
    notebook, _case = skus
    as_user(api_client, csr).post(f"{API}{entered}/submit/")
    assert api_client.post(f"{API}{entered}/receive/").status_code == 403
    client = as_user(api_client, operations)
    assert client.get(API, {"status": "approved"}).status_code == 200  # the receiving list
    before = Inventory.objects.get(sku=notebook).on_hand
    received = client.post(f"{API}{entered}/receive/", {}, format="json")
    assert received.status_code == 200, received.data
    assert received.data["status"] == "refunded"
    assert Inventory.objects.get(sku=notebook).on_hand == before + 1
    assert client.post(f"{API}{entered}/receive/", {}, format="json").status_code == 400


def test_ad_hoc_items_and_refund_methods(api_client, csr, supervisor, entered, reason):
    item = {
        "kind": "ad_hoc",
        "description": "Gift wrap",
        "quantity": 1,
        "unit_amount": "2.50",
        "reason": reason.code,
    }
    assert as_user(api_client, csr).post(f"{API}{entered}/lines/", item).status_code == 403
    added = as_user(api_client, supervisor).post(f"{API}{entered}/lines/", item, format="json")
    assert added.status_code == 201 and added.data["refund"]["total"] == "12.47"
    guest = api_client.post(
        f"{API}{entered}/refund-method/", {"refund_method": "store_credit"}, format="json"
    )
    assert guest.status_code == 400 and "guest" in guest.data["message"]
    assert Decimal(added.data["refund"]["original_payment"]) == Decimal("12.47")


def test_roles_without_the_desk_or_operations_are_refused(api_client, store_admin, nobody):
    for user in (store_admin, nobody):
        assert as_user(api_client, user).get(API).status_code == 403
    api_client.force_authenticate(None)
    assert api_client.get(API).status_code in (401, 403)


def test_the_returns_api_is_in_the_schema(api_client, csr):
    schema = as_user(api_client, csr).get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    paths = schema.json()["paths"]
    assert "/api/v1/returns/{id}/receive/" in paths and "/api/v1/returns/" in paths
