"""The returns' Celery tasks: thin, each calls one service; the expiry runs on beat."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from returns import services, tasks
from returns.models import ReturnRequest
from tests.returns.conftest import order_line


def test_the_expiry_job_is_on_beat_and_expires_through_the_service(csr, shipped, skus, reason):
    notebook, _case = skus
    entry = settings.CELERY_BEAT_SCHEDULE["returns-expire"]
    assert entry["task"] == tasks.expire_returns.name == "returns.expire_returns"
    rr = services.create_return(actor=csr, order=shipped)
    services.add_order_line(
        actor=csr,
        return_request=rr,
        order_line_id=order_line(shipped, notebook).pk,
        quantity=1,
        reason=reason.code,
    )
    services.submit_return(actor=csr, return_request=rr)
    ReturnRequest.objects.filter(pk=rr.pk).update(approved_at=timezone.now() - timedelta(days=40))
    assert tasks.expire_returns.delay().get() == 1
    rr.refresh_from_db()
    assert rr.status == "expired"


def test_the_rma_email_task_retries_when_the_mail_server_is_down(monkeypatch, csr, shipped):
    rr = services.create_return(actor=csr, order=shipped)
    calls = []

    def down(**kwargs):
        calls.append(kwargs)
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(services, "rma_email_send", down)
    retried = []
    monkeypatch.setattr(tasks.send_rma_email, "retry", lambda exc: retried.append(exc) or exc)
    with pytest.raises(ConnectionRefusedError):  # what retry() raises to Celery
        tasks.send_rma_email.run(rr.pk)
    assert calls == [{"return_id": rr.pk}] and len(retried) == 1
