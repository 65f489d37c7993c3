"""A failed refund on the payment-attention list with a retry; a refund left "refunding" by a
worker killed mid-refund is finished by the recovery job, once at the sandbox gateway."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from core import payments
from core.events import EventType as E
from core.models import JobRun
from returns import receiving, services
from returns.models import ReturnEvent, ReturnRefund, ReturnRequest
from tests.returns.conftest import order_line

REFUND_CALLS: list = []


class WorkerKilled(BaseException):
    """What a kill -9 looks like to the code after the gateway answered: nothing runs on."""


class DiesAfterTheGateway(payments.SandboxGateway):
    def refund(self, *, capture_id, amount, reference=""):
        result = super().refund(capture_id=capture_id, amount=amount, reference=reference)
        REFUND_CALLS.append((reference, result.authorization_id))
        raise WorkerKilled


class CountingSandbox(payments.SandboxGateway):
    def refund(self, *, capture_id, amount, reference=""):
        result = super().refund(capture_id=capture_id, amount=amount, reference=reference)
        REFUND_CALLS.append((reference, result.authorization_id))
        return result


class FailingRefunds(payments.SandboxGateway):
    def refund(self, *, capture_id, amount, reference=""):
        return payments.AuthResult(payments.Outcome.DECLINED, "The capture is too old to refund.")


@pytest.fixture(autouse=True)
def _calls():
    REFUND_CALLS.clear()


def _approved(csr, order, reason, sku):
    rr = services.create_return(actor=csr, order=order)
    services.add_order_line(
        actor=csr,
        return_request=rr,
        order_line_id=order_line(order, sku).pk,
        quantity=1,
        reason=reason.code,
    )
    return services.submit_return(actor=csr, return_request=rr)


def _killed_mid_refund(settings, operations, rr):
    settings.PAYMENT_GATEWAY = "tests.returns.test_refund_recovery.DiesAfterTheGateway"
    with pytest.raises(WorkerKilled):
        receiving.receive_return(actor=operations, return_request=rr)
    rr.refresh_from_db()
    assert rr.status == "refunding" and not ReturnRefund.objects.filter(return_request=rr)
    settings.PAYMENT_GATEWAY = "tests.returns.test_refund_recovery.CountingSandbox"


def test_a_refund_stuck_by_a_killed_worker_is_finished_once(
    settings, csr, operations, shipped, skus, reason
):
    notebook, _case = skus
    rr = _approved(csr, shipped, reason, notebook)
    _killed_mid_refund(settings, operations, rr)
    (reference, refund_id) = REFUND_CALLS[0]
    assert receiving.recover_stuck_refunds() == 0  # not stuck yet: it may still be running
    later = timezone.now() + timedelta(minutes=settings.RETURNS_REFUND_STUCK_MINUTES + 1)
    assert receiving.recover_stuck_refunds(now=later) == 1
    rr.refresh_from_db()
    assert rr.status == "refunded"
    # asked again with the same reference: the sandbox gives the same refund, recorded once
    assert REFUND_CALLS[1] == (reference, refund_id)
    refund = ReturnRefund.objects.get(return_request=rr)
    assert (refund.amount, refund.refund_id) == (Decimal("9.97"), refund_id)
    assert receiving.recover_stuck_refunds(now=later) == 0
    assert len(REFUND_CALLS) == 2
    kinds = set(ReturnEvent.objects.filter(return_request=rr).values_list("event_type", flat=True))
    assert {E.RETURN_REFUND_RESUMED, E.RETURN_REFUNDED} <= kinds


def test_a_worker_killed_after_recording_the_refund_is_not_refunded_again(
    settings, csr, operations, shipped, skus, reason
):
    notebook, _case = skus
    rr = _approved(csr, shipped, reason, notebook)
    _killed_mid_refund(settings, operations, rr)
    # it died after the row was written, before the status: the row covers the refund
    shipment = shipped.shipments.get()
    ReturnRefund.objects.create(
        return_request=rr, shipment=shipment, amount=Decimal("9.97"), refund_id=REFUND_CALLS[0][1]
    )
    ReturnRequest.objects.filter(pk=rr.pk).update(modified_at=timezone.now() - timedelta(hours=1))
    call_command("recover_stuck_refunds")
    rr.refresh_from_db()
    assert rr.status == "refunded" and len(REFUND_CALLS) == 1  # the gateway was not asked again
    assert ReturnRefund.objects.filter(return_request=rr).count() == 1
    run = JobRun.objects.get(job="recover_stuck_refunds")
    assert run.status == "done" and run.counts["returns"] == 1 and run.triggered_by == "command"


def test_the_payment_attention_list_shows_failed_and_stuck_refunds_with_retry(
    client, settings, csr, operations, shipped, skus, reason, django_assert_max_num_queries
):
    notebook, case = skus
    failed = _approved(csr, shipped, reason, notebook)
    settings.PAYMENT_GATEWAY = "tests.returns.test_refund_recovery.FailingRefunds"
    failed = receiving.receive_return(actor=operations, return_request=failed)
    assert failed.status == "refund_failed"
    stuck = _approved(csr, shipped, reason, case)
    _killed_mid_refund(settings, operations, stuck)
    ReturnRequest.objects.filter(pk=stuck.pk).update(
        modified_at=timezone.now() - timedelta(hours=1)
    )

    client.force_login(operations)
    page = client.get("/fulfillment/attention/")
    assert b'hx-get="/returns/refund-attention/"' in page.content
    with django_assert_max_num_queries(8):
        part = client.get("/returns/refund-attention/")
    html = part.content.decode()
    assert failed.rma_number in html and "The capture is too old to refund." in html
    assert stuck.rma_number in html and "its worker stopped" in html
    assert f"Retry refund {failed.rma_number}" in html

    response = client.post(
        f"/returns/{failed.pk}/retry-refund/", {"back": "attention"}, follow=False
    )
    assert response.url == "/fulfillment/attention/"
    response = client.post(f"/returns/{stuck.pk}/retry-refund/", {"back": "attention"})
    failed.refresh_from_db()
    stuck.refresh_from_db()
    assert failed.status == "refunded" and stuck.status == "refunded"
    assert ReturnRefund.objects.filter(return_request=stuck).count() == 1
    assert b"No refund needs attention." in client.get("/returns/refund-attention/").content

    client.force_login(csr)  # a CSR sees the list, operations retry
    assert b"Retry refund" not in client.get("/returns/refund-attention/").content
    assert client.post(f"/returns/{failed.pk}/retry-refund/").status_code == 403


def test_returns_jobs_are_on_the_operations_screen(client, operations, csr, shipped, skus, reason):
    from core.jobs import get_job

    assert get_job("expire_returns").task == "returns.expire_returns"
    assert get_job("recover_stuck_refunds").schedule == "every 5 min"
    assert get_job("expire_returns").schedule == "every 1440 min"
    notebook, _case = skus
    rr = _approved(csr, shipped, reason, notebook)
    ReturnRequest.objects.filter(pk=rr.pk).update(approved_at=timezone.now() - timedelta(days=40))
    client.force_login(operations)
    page = client.get("/fulfillment/ops/").content.decode()
    assert "Return expiry" in page and "Stuck refund recovery" in page
    response = client.post("/fulfillment/ops/run/expire_returns/", follow=True)
    assert b"Return expiry done: returns 1" in response.content
    rr.refresh_from_db()
    assert rr.status == "expired"
    run = JobRun.objects.get(job="expire_returns")
    assert run.triggered_by == "ops1" and run.counts["returns"] == 1
