"""Operations screens: jobs and run now, release page and ship form, documents, attention."""

from xml.etree import ElementTree as ET

import pytest

from core import payments
from core.models import JobRun
from fulfillment.models import Release, Shipment
from fulfillment.releases import run_release
from orders.models import Order, OrderEvent
from tests.catalog.factories import SKUFactory
from tests.fulfillment.factories import ArrangementFactory, stock
from tests.fulfillment.release_helpers import accepted_order
from tests.ownership import only_owners_write


@pytest.fixture
def order(db, tor, ground, operations):
    ArrangementFactory(center=tor, shipping_method=ground)
    a = SKUFactory(code="NB-1", name="Notebook")
    stock(a, tor, 10)
    return accepted_order(created_by=operations, method=ground, lines=[(a, 2)])


@pytest.fixture
def ops_client(client, operations):
    client.force_login(operations)
    return client


def test_the_ops_screen_runs_the_release_job_now(ops_client, order):
    page = ops_client.get("/fulfillment/ops/")
    assert page.status_code == 200 and b"Release orders" in page.content
    response = ops_client.post("/fulfillment/ops/run/release_orders/", follow=True)
    assert b"Release orders done: orders 1, releases 1" in response.content
    run = JobRun.objects.get(job="release_orders")
    assert run.triggered_by == "ops1" and run.counts["releases"] == 1
    page = ops_client.get("/fulfillment/ops/")
    assert Release.objects.get().number.encode() in page.content


def test_every_job_can_be_run_now(ops_client, order):
    for name in ("sweep_stale_allocations", "allocate_backorders"):
        response = ops_client.post(f"/fulfillment/ops/run/{name}/", follow=True)
        assert response.status_code == 200 and b"done" in response.content
    assert JobRun.objects.count() == 2
    assert ops_client.post("/fulfillment/ops/run/nope/").status_code == 404


def test_a_csr_cannot_open_operations(client, csr, order):
    client.force_login(csr)
    assert client.get("/fulfillment/ops/").status_code == 403
    assert client.post("/fulfillment/ops/run/release_orders/").status_code == 403


def test_release_page_ship_form_and_order_history(ops_client, order):
    run_release()
    release = Release.objects.get()
    rl = release.lines.get()
    assert ops_client.get(f"/fulfillment/releases/{release.pk}/").status_code == 200
    response = ops_client.post(
        f"/fulfillment/releases/{release.pk}/ship/",
        {"carrier": "UPS", "tracking_number": "1ZTRACK", f"qty_{rl.pk}": "5"},
        follow=True,
    )
    assert b"Only 2 of NB-1 remain" in response.content
    assert not Shipment.objects.exists()
    response = ops_client.post(
        f"/fulfillment/releases/{release.pk}/ship/",
        {"carrier": "UPS", "tracking_number": "1ZTRACK", f"qty_{rl.pk}": "2"},
        follow=True,
    )
    assert b"added to order" in response.content
    assert Order.objects.get(pk=order.pk).status == "shipped"
    partial = ops_client.get(f"/fulfillment/orders/{order.pk}/shipments/")
    assert b"1ZTRACK" in partial.content


def test_pick_ticket_pack_slip_and_manifest_in_html_and_xml(ops_client, order):
    run_release()
    release = Release.objects.get()
    html = ops_client.get(f"/fulfillment/releases/{release.pk}/pick-ticket/")
    assert b"Pick ticket " + release.number.encode() in html.content and b"NB-1" in html.content
    xml = ops_client.get(f"/fulfillment/releases/{release.pk}/pick-ticket/?format=xml")
    assert xml["Content-Type"].startswith("application/xml")
    root = ET.fromstring(xml.content)
    assert root.tag == "pickTicket" and root.get("release") == release.number
    assert root.find("shipTo").get("city") == "Toronto"
    line = root.find("line")
    assert (line.get("sku"), line.get("quantity"), line.text) == ("NB-1", "2", "Notebook")
    slip = ET.fromstring(
        ops_client.get(f"/fulfillment/releases/{release.pk}/pack-slip/?format=xml").content
    )
    assert slip.tag == "packSlip" and slip.find("line").get("ordered") == "2"
    assert ops_client.get(f"/fulfillment/releases/{release.pk}/pack-slip/").status_code == 200
    manifest = ET.fromstring(ops_client.get("/fulfillment/manifest/?format=xml").content)
    assert [r.get("number") for r in manifest.findall("release")] == [release.number]
    assert b"NB-1" in ops_client.get("/fulfillment/pick/?center=TOR").content
    assert ops_client.get("/fulfillment/manifest/").status_code == 200
    assert ops_client.get("/fulfillment/releases/999999/pick-ticket/").status_code == 404


def test_payment_attention_list_retry_and_supervisor_actions(
    client, operations, supervisor, order, monkeypatch
):
    run_release()
    release = Release.objects.get()
    from fulfillment.shipping import confirm_shipment

    monkeypatch.setattr(
        payments.SandboxGateway,
        "capture",
        lambda self, **kw: payments.AuthResult(payments.Outcome.DECLINED, "Expired"),
    )
    shipment = confirm_shipment(
        actor=operations, release_id=release.pk, carrier="UPS", tracking_number="T1"
    )
    monkeypatch.undo()
    client.force_login(operations)
    page = client.get("/fulfillment/attention/")
    assert order.number.encode() in page.content and b"Retry capture" in page.content
    response = client.post(
        f"/fulfillment/attention/{order.pk}/",
        {"action": "retry", "shipment": shipment.pk},
        follow=True,
    )
    assert b"Captured" in response.content
    assert Shipment.objects.get().capture_status == "captured"
    assert order.number.encode() not in client.get("/fulfillment/attention/").content

    # "requires review" / "payment authorized" need a supervisor, and are audited
    other = accepted_order(
        created_by=operations, method=release.shipping_method, lines=[(release.lines.get().sku, 1)]
    )
    response = client.post(f"/fulfillment/attention/{other.pk}/", {"action": "review"}, follow=True)
    assert b"permission" in response.content
    client.force_login(supervisor)
    client.post(f"/fulfillment/attention/{other.pk}/", {"action": "review", "reason": "odd"})
    assert Order.objects.get(pk=other.pk).status == "payment_review"
    assert other.number.encode() in client.get("/fulfillment/attention/").content
    client.post(f"/fulfillment/attention/{other.pk}/", {"action": "authorized", "reason": "ok"})
    assert Order.objects.get(pk=other.pk).status == "authorized"
    assert OrderEvent.objects.filter(order=other, event_type=433).count() == 2


def test_a_new_payment_is_authorized_for_what_is_left(client, operations, csr, order):
    card = {
        "action": "new_payment",
        "card_number": "4242424242424242",
        "exp_month": "12",
        "exp_year": "2035",
        "cvv": "123",
    }
    client.force_login(operations)  # a card is taken by a CSR, talking to the customer
    response = client.post(f"/fulfillment/attention/{order.pk}/", card, follow=True)
    assert b"permission to take payments" in response.content
    client.force_login(csr)
    declined = {**card, "card_number": "4000000000000002"}
    response = client.post(f"/fulfillment/attention/{order.pk}/", declined, follow=True)
    assert b"was not accepted" in response.content
    response = client.post(f"/fulfillment/attention/{order.pk}/", card, follow=True)
    assert b"authorized for" in response.content
    payment = order.payments.order_by("-pk").first()
    assert payment.status == "authorized" and payment.amount == order.total
    assert order.payments.filter(status="replaced").count() == 1


def test_admin_lists_releases_shipments_and_job_runs(client, store_admin, order):
    run_release()
    client.force_login(store_admin)
    for path in ("fulfillment/release", "fulfillment/shipment", "core/jobrun"):
        assert client.get(f"/admin/{path}/").status_code == 200
    release = Release.objects.get()
    page = client.get(f"/admin/fulfillment/release/{release.pk}/change/")
    assert page.status_code == 200 and release.number.encode() in page.content


def test_a_killed_job_shows_interrupted_and_the_next_run_says_it_resumed(ops_client, order):
    """A release worker killed with kill -9 leaves its run `running` with an old heartbeat."""
    from datetime import timedelta

    from django.utils import timezone

    dead = JobRun.objects.create(job="release_orders", triggered_by="beat")
    long_ago = timezone.now() - timedelta(minutes=30)
    JobRun.objects.filter(pk=dead.pk).update(started_at=long_ago, heartbeat_at=long_ago)

    page = ops_client.get("/fulfillment/ops/").content.decode()
    assert "interrupted: no heartbeat since" in page
    dead.refresh_from_db()
    assert dead.status == "interrupted"

    ops_client.post("/fulfillment/ops/run/release_orders/")
    run = JobRun.objects.exclude(pk=dead.pk).get(job="release_orders")
    assert run.resumed_after == dead and run.counts["releases"] == 1
    page = ops_client.get("/fulfillment/ops/").content.decode()
    assert "resumed after the run interrupted at" in page


def test_the_release_job_records_a_heartbeat_per_batch(order, operations, tor, ground, monkeypatch):
    from core import jobs
    from fulfillment import jobs as fulfillment_jobs

    second = SKUFactory(code="NB-2")
    stock(second, tor, 10)
    accepted_order(created_by=operations, method=ground, lines=[(second, 1)])
    beats = []
    monkeypatch.setattr(fulfillment_jobs, "heartbeat", lambda: beats.append(1))
    jobs.run_job("release_orders", batch_size=1)
    assert len(beats) == 2  # one per batch of one order


def test_only_orders_writes_orders_tables_from_payment_attention(client, supervisor, csr, order):
    client.force_login(supervisor)
    with only_owners_write("orders") as judged:
        client.post(f"/fulfillment/attention/{order.pk}/", {"action": "review", "reason": "odd"})
        client.post(f"/fulfillment/attention/{order.pk}/", {"action": "authorized"})
    client.force_login(csr)
    card = {"action": "new_payment", "exp_month": "12", "exp_year": "2035", "cvv": "123"}
    with only_owners_write("orders") as taken:
        client.post(
            f"/fulfillment/attention/{order.pk}/", {**card, "card_number": "4000000000000002"}
        )
        client.post(
            f"/fulfillment/attention/{order.pk}/", {**card, "card_number": "4242424242424242"}
        )
    assert Order.objects.get(pk=order.pk).status == "authorized"
    assert order.payments.filter(status="replaced").count() == 1
    assert {w.table for w in judged} == {"orders_order", "orders_orderpayment", "orders_orderevent"}
    assert {w.table for w in taken} == {"orders_orderpayment", "orders_orderevent"}
