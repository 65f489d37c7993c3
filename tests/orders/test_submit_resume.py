"""A submit whose process dies between marking the order `submitted` and placing it is
finished by the resume job: placed once, or refused back to `pending`, never left hanging."""

import datetime as dt

import pytest
from django.utils import timezone

from core.events import EventType as E
from core.payments import SandboxGateway
from orders import services
from orders.models import (
    Order,
    OrderEvent,
    OrderNumber,
    OrderPayment,
    OrderStatus,
    PaymentStatus,
    SubmitAttempt,
)
from tests.concurrency import run_together
from tests.orders.conftest import make_ready

DIES = "tests.orders.test_submit_resume.ProcessDiesGateway"


class ProcessDiesGateway(SandboxGateway):
    """As if the worker were killed while the gateway call was on the wire."""

    def authorize(self, **kwargs):
        raise SystemExit("killed")


def interrupted(cart, csr, settings, key="k-dies"):
    settings.PAYMENT_GATEWAY = DIES
    with pytest.raises(SystemExit):
        services.submit_order(actor=csr, order=cart, idempotency_key=key)
    settings.PAYMENT_GATEWAY = "core.payments.SandboxGateway"
    SubmitAttempt.objects.filter(key=key).update(
        modified_at=timezone.now() - dt.timedelta(minutes=10)
    )
    assert Order.objects.get(pk=cart.pk).status == OrderStatus.SUBMITTED


def test_the_job_places_an_interrupted_submit_and_emails_the_confirmation(
    ready_cart, csr, settings, mailoutbox, django_capture_on_commit_callbacks
):
    interrupted(ready_cart, csr, settings)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.resume_interrupted_submits() == 1
    order = Order.objects.get(pk=ready_cart.pk)
    assert order.status == OrderStatus.AUTHORIZED and order.number
    assert SubmitAttempt.objects.get(key="k-dies").outcome == SubmitAttempt.Outcome.PLACED
    assert OrderPayment.objects.filter(order=order, status=PaymentStatus.AUTHORIZED).count() == 1
    resumed = OrderEvent.objects.get(order=order, event_type=E.ORDER_SUBMIT_RESUMED)
    assert resumed.data["csr"] == csr.pk
    assert len(mailoutbox) == 1 and order.number in mailoutbox[0].subject
    # Done is done: the next run finds nothing, and the CSR's retry gets the same answer.
    assert services.resume_interrupted_submits() == 0
    again = services.submit_order(actor=csr, order=ready_cart, idempotency_key="k-dies")
    assert again.repeated and again.placed and again.order.number == order.number


def test_a_declined_card_found_by_the_job_returns_the_cart_to_the_csr(
    guest_cart, csr, sku, ground, settings
):
    cart = make_ready(guest_cart, csr, sku, card="4000000000000002")
    interrupted(cart, csr, settings)
    assert services.resume_interrupted_submits() == 1
    order = Order.objects.get(pk=cart.pk)
    assert order.status == OrderStatus.PENDING and "declined" in order.attention
    assert SubmitAttempt.objects.get(key="k-dies").outcome == SubmitAttempt.Outcome.REFUSED


def test_a_submit_still_within_its_time_is_left_alone(ready_cart, csr, settings):
    interrupted(ready_cart, csr, settings)
    SubmitAttempt.objects.update(modified_at=timezone.now())
    assert services.resume_interrupted_submits() == 0
    assert Order.objects.get(pk=ready_cart.pk).status == OrderStatus.SUBMITTED


def test_the_gateway_answers_a_repeated_reference_with_the_same_authorization():
    gateway = SandboxGateway()
    token = "sbx_approve_0123456789abcdef"
    ask = dict(token=token, amount=10, currency="CAD", billing_address=None)
    first = gateway.authorize(**ask, reference="key-1")
    assert gateway.authorize(**ask, reference="key-1").authorization_id == first.authorization_id
    assert gateway.authorize(**ask, reference="key-2").authorization_id != first.authorization_id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_resuming_at_once_place_the_order_once(csr, sku, ground, settings):
    cart = make_ready(
        services.cart_create(
            actor=csr, guest={"first_name": "A", "last_name": "B", "email": "a@example.com"}
        ),
        csr,
        sku,
    )
    interrupted(cart, csr, settings)
    finished, errors = run_together(*[services.resume_interrupted_submits] * 4)
    assert errors == [] and sum(finished) == 1
    assert OrderNumber.objects.count() == 1
    assert Order.objects.get(pk=cart.pk).status == OrderStatus.AUTHORIZED
    assert OrderEvent.objects.filter(event_type=E.ORDER_PLACED).count() == 1


def test_the_command_reports_what_it_finished(ready_cart, csr, settings):
    from io import StringIO

    from django.core.management import call_command

    interrupted(ready_cart, csr, settings)
    out = StringIO()
    call_command("resume_interrupted_submits", "--older-than", "1", stdout=out)
    assert "1 interrupted submit(s) finished." in out.getvalue()


def test_the_beat_task_records_its_run_for_the_operations_screen(ready_cart, csr, settings):
    from core.models import JobRun
    from orders.tasks import resume_interrupted_submits

    interrupted(ready_cart, csr, settings)
    assert resume_interrupted_submits.delay().get() == 1
    run = JobRun.objects.get(job="resume_interrupted_submits")
    assert run.counts["count"] == 1 and run.triggered_by == "beat"
