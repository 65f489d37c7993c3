"""Return services: lines and their refunds, approval, the RMA e-mail, receiving, refunds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from core import payments
from core.errors import DomainError, NotAllowed
from core.events import EventType as E
from customers.models import StoreCreditEntry
from fulfillment.models import Inventory
from orders.models import OrderLine
from returns import receiving, selectors, services
from returns.models import ReturnEvent, ReturnPolicy, ReturnRefund, ReturnRequest
from tests.customers.factories import CustomerFactory
from tests.returns.conftest import order_line


class FailingRefunds(payments.SandboxGateway):
    def refund(self, *, capture_id, amount, reference=""):
        return payments.AuthResult(payments.Outcome.ERROR, "The gateway did not answer.")


def _return(csr, order, reason, sku, quantity=1):
    rr = services.create_return(actor=csr, order=order)
    services.add_order_line(
        actor=csr,
        return_request=rr,
        order_line_id=order_line(order, sku).pk,
        quantity=quantity,
        reason=reason.code,
    )
    return rr


def _events(rr):
    return list(
        ReturnEvent.objects.filter(return_request=rr)
        .order_by("id")
        .values_list("event_type", flat=True)
    )


def test_an_order_line_refunds_what_was_paid_with_its_tax_share(csr, shipped, skus, reason):
    notebook, _case = skus
    rr = _return(csr, shipped, reason, notebook)
    line = rr.lines.get()
    # 18.00 for two notebooks; 2.70 tax spread 18:7 over the lines -> 1.94 and 0.76
    assert (line.merchandise_amount, line.tax_amount) == (Decimal("9.00"), Decimal("0.97"))
    assert line.paid_amount == line.refund_amount == Decimal("9.97")
    assert rr.rma_number == f"RMA{rr.pk:07d}"
    assert _events(rr) == [E.RETURN_CREATED, E.RETURN_LINE_ADDED]


def test_quantity_is_limited_to_shipped_less_returned(csr, shipped, skus, reason):
    notebook, _case = skus
    first = _return(csr, shipped, reason, notebook)
    second = _return(csr, shipped, reason, notebook)
    # the two returns together give back exactly what the line cost
    total = first.lines.get().refund_amount + second.lines.get().refund_amount
    assert total == Decimal("18.00") + Decimal("1.94")
    third = services.create_return(actor=csr, order=shipped)
    with pytest.raises(DomainError, match="2 shipped and 2 already on returns; at most 0"):
        services.add_order_line(
            actor=csr,
            return_request=third,
            order_line_id=order_line(shipped, notebook).pk,
            quantity=1,
            reason=reason.code,
        )


def test_a_denied_return_frees_its_quantity(csr, supervisor, shipped, skus, reason):
    notebook, _case = skus
    rr = _return(csr, shipped, reason, notebook, quantity=2)
    ReturnPolicy.objects.create(pk=1, auto_approve=False)
    services.submit_return(actor=csr, return_request=rr)
    with pytest.raises(DomainError, match="Say why"):
        services.deny_return(actor=supervisor, return_request=rr, comment="")
    services.deny_return(actor=supervisor, return_request=rr, comment="Used")
    again = _return(csr, shipped, reason, notebook, quantity=2)
    assert again.lines.get().quantity == 2


def test_submit_approves_automatically_and_emails_the_rma(
    csr, shipped, skus, reason, django_capture_on_commit_callbacks
):
    notebook, _case = skus
    rr = _return(csr, shipped, reason, notebook)
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_return(actor=csr, return_request=rr)
    rr.refresh_from_db()
    assert rr.status == "approved" and rr.approved_at
    assert [c["rule"] for c in rr.approval_checks] == [
        "from the order",
        "within 30 days",
        "creditable",
        "quantity",
        "amount",
    ]
    assert all(c["passed"] for c in rr.approval_checks)
    assert len(mail.outbox) == 2  # the ship notification, then the RMA
    body = mail.outbox[1].body
    assert rr.rma_number in body and "9.97" in body and mail.outbox[1].to == ["gail@x.com"]
    assert E.RETURN_RMA_EMAILED in _events(rr)
    assert services.rma_email_send(return_id=rr.pk) is False  # once


def test_a_failed_rule_sends_the_return_to_the_supervisor(csr, supervisor, shipped, skus, reason):
    notebook, _case = skus
    policy = ReturnPolicy.objects.create(pk=1)
    policy.non_creditable_skus.add(notebook)
    rr = _return(csr, shipped, reason, notebook)
    services.submit_return(actor=csr, return_request=rr)
    rr.refresh_from_db()
    assert rr.status == "pending_approval"
    failed = [c for c in rr.approval_checks if not c["passed"]]
    assert [c["rule"] for c in failed] == ["creditable"]
    assert list(selectors.supervisor_queue()) == [rr]
    with pytest.raises(NotAllowed):
        services.approve_return(actor=csr, return_request=rr)
    services.approve_return(actor=supervisor, return_request=rr, comment="Good customer")
    rr.refresh_from_db()
    assert rr.status == "approved" and rr.decision_comment == "Good customer"


def test_old_shipments_are_not_approved_automatically(csr, shipped, skus, reason):
    notebook, _case = skus
    rr = _return(csr, shipped, reason, notebook)
    later = timezone.now() + timedelta(days=31)
    checks = {c.rule: c for c in services.rules.approval_checks(rr, now=later)}
    assert not checks["within 30 days"].passed


def test_adjusting_the_refund(csr, supervisor, shipped, skus, reason):
    notebook, _case = skus
    rr = _return(csr, shipped, reason, notebook)
    line = rr.lines.get()
    with pytest.raises(DomainError, match=r"paid 9\.97"):
        services.adjust_refund(actor=csr, return_line=line, amount="10.00", reason="goodwill")
    with pytest.raises(DomainError, match="Say why"):
        services.adjust_refund(actor=csr, return_line=line, amount="5.00", reason="")
    # a CSR without an adjustment limit: any change waits for a supervisor
    line = services.adjust_refund(actor=csr, return_line=line, amount="5.00", reason="scuffed")
    assert line.refund_amount == Decimal("5.00") and line.adjustment_over_limit
    services.submit_return(actor=csr, return_request=rr)
    rr.refresh_from_db()
    assert rr.status == "pending_approval"
    # a supervisor has no limit
    line = services.adjust_refund(
        actor=supervisor, return_line=line, amount="6.00", reason="scuffed"
    )
    assert not line.adjustment_over_limit


def test_ad_hoc_items_need_the_permission(csr, supervisor, shipped, reason):
    rr = services.create_return(actor=csr, order=shipped)
    with pytest.raises(NotAllowed):
        services.add_adhoc_item(
            actor=csr,
            return_request=rr,
            description="Gift box",
            quantity=1,
            unit_amount="3",
            reason=reason.code,
        )
    line = services.add_adhoc_item(
        actor=supervisor,
        return_request=rr,
        description="Gift box",
        quantity=2,
        unit_amount="3",
        reason=reason.code,
    )
    assert (line.refund_amount, line.disposition, line.sku_id) == (Decimal("6.00"), "scrap", None)


def test_refund_methods(csr, shipped, skus, reason, db):
    guest_return = services.create_return(actor=csr, order=shipped)
    with pytest.raises(DomainError, match="guest"):
        services.set_refund_method(actor=csr, return_request=guest_return, method="store_credit")
    customer = CustomerFactory()
    no_order = services.create_return(actor=csr, customer=customer)
    assert no_order.refund_method == "store_credit"
    with pytest.raises(DomainError, match="no payment to refund"):
        services.set_refund_method(actor=csr, return_request=no_order, method="original")
    with pytest.raises(DomainError, match="name"):
        services.create_return(actor=csr, guest={"first_name": "Ann"})


def test_receiving_restocks_and_refunds_through_the_gateway(
    csr, operations, shipped, skus, reason, django_capture_on_commit_callbacks
):
    notebook, _case = skus
    rr = _return(csr, shipped, reason, notebook)
    services.submit_return(actor=csr, return_request=rr)
    before = Inventory.objects.get(sku=notebook).on_hand
    with pytest.raises(NotAllowed):
        receiving.receive_return(actor=csr, return_request=rr)
    with django_capture_on_commit_callbacks(execute=True):
        rr = receiving.receive_return(actor=operations, return_request=rr)
    assert rr.status == "refunded" and rr.received_at and rr.credit_issued_at
    assert Inventory.objects.get(sku=notebook).on_hand == before + 1
    refund = ReturnRefund.objects.get(return_request=rr)
    assert refund.amount == Decimal("9.97") and refund.refund_id.startswith("sbxrefund_")
    line = rr.lines.get()
    assert line.received_quantity == 1
    # "Reject return updates": received goods, or a second receipt
    with pytest.raises(DomainError, match="received already"):
        receiving.receive_return(actor=operations, return_request=rr)
    with pytest.raises(DomainError, match="received or credit was issued"):
        services.adjust_refund(actor=csr, return_line=line, amount="1", reason="x")
    kinds = _events(rr)
    assert E.RETURN_RESTOCKED in kinds and E.RETURN_REFUNDED in kinds


def test_a_failed_refund_is_retried_once(
    csr, operations, shipped, skus, reason, settings, django_capture_on_commit_callbacks
):
    _notebook, case = skus
    rr = _return(csr, shipped, reason, case)
    services.submit_return(actor=csr, return_request=rr)
    settings.PAYMENT_GATEWAY = "tests.returns.test_services.FailingRefunds"
    rr = receiving.receive_return(
        actor=operations,
        return_request=rr,
        items=[{"line": rr.lines.get().pk, "quantity": 1, "disposition": "damaged"}],
    )
    assert rr.status == "refund_failed" and "did not answer" in rr.refund_error
    assert list(selectors.return_list(status="refund_failed")) == [rr]
    assert Inventory.objects.get(sku=case).on_hand == 5  # damaged: not restocked
    settings.PAYMENT_GATEWAY = "core.payments.SandboxGateway"
    rr = receiving.retry_refund(actor=operations, return_request=rr)
    assert rr.status == "refunded"
    assert ReturnRefund.objects.get(return_request=rr).amount == Decimal("7.76")
    with pytest.raises(DomainError, match="no failed refund"):
        receiving.retry_refund(actor=operations, return_request=rr)


def test_store_credit_is_issued_on_receipt(csr, operations, shipped, skus, reason):
    notebook, _case = skus
    customer = CustomerFactory()
    ReturnRequest.objects.filter(pk__gt=0).delete()
    type(shipped).objects.filter(pk=shipped.pk).update(customer=customer)
    shipped.refresh_from_db()
    rr = _return(csr, shipped, reason, notebook, quantity=2)
    services.set_refund_method(
        actor=csr, return_request=rr, method="mixed", store_credit_amount="5.00"
    )
    services.submit_return(actor=csr, return_request=rr)
    rr = receiving.receive_return(actor=operations, return_request=rr)
    assert rr.status == "refunded"
    entry = StoreCreditEntry.objects.get(customer=customer, reference=rr.rma_number)
    assert (entry.kind, entry.amount) == ("credit", Decimal("5.00"))
    assert selectors.store_credit_balance(customer.pk) == Decimal("5.00")
    assert ReturnRefund.objects.get(return_request=rr).amount == Decimal("14.94")


def test_approved_returns_expire_when_goods_never_arrive(csr, shipped, skus, reason):
    notebook, _case = skus
    rr = _return(csr, shipped, reason, notebook)
    services.submit_return(actor=csr, return_request=rr)
    assert receiving.expire_returns() == 0
    ReturnRequest.objects.filter(pk=rr.pk).update(approved_at=timezone.now() - timedelta(days=31))
    call_command("expire_returns")
    rr.refresh_from_db()
    assert rr.status == "expired" and E.RETURN_EXPIRED in _events(rr)
    assert receiving.expire_returns() == 0


def test_a_broken_promotion_claws_back_the_kept_gift(csr, gift_order, reason):
    order, notebook, case = gift_order
    gift = OrderLine.objects.get(order=order, is_gift=True)
    assert (gift.sku_id, order.status) == (case.pk, "shipped")
    rr = _return(csr, order, reason, notebook)
    rr.refresh_from_db()
    assert rr.lines.get().refund_amount == Decimal("12.00")
    assert rr.clawback_amount == Decimal("7.00")
    assert rr.clawback_reason.startswith("Buy 2 notebooks, get a case: ")
    assert "keeps 1 × CASE-A5 given free (7.00)" in rr.clawback_reason
    summary = selectors.refund_summary(rr)
    assert (summary.lines, summary.clawback, summary.total) == (
        Decimal("12.00"),
        Decimal("7.00"),
        Decimal("5.00"),
    )
    # the case comes back too: nothing is kept for free, nothing is clawed back
    services.add_order_line(
        actor=csr, return_request=rr, order_line_id=gift.pk, quantity=1, reason=reason.code
    )
    rr.refresh_from_db()
    assert rr.clawback_amount == Decimal("0.00") and rr.clawback_reason == ""
    assert selectors.refund_summary(rr).total == Decimal("12.00")


def test_a_guest_without_an_order_gets_no_refund(csr, supervisor, reason, skus):
    notebook, _case = skus
    rr = services.create_return(
        actor=csr, guest={"first_name": "Ann", "last_name": "Lee", "phone": "5550100"}
    )
    line = services.add_catalog_item(
        actor=csr, return_request=rr, sku=notebook, quantity=1, unit_amount="4", reason=reason
    )
    with pytest.raises(DomainError, match="no refund will be issued"):
        services.submit_return(actor=csr, return_request=rr)
    services.adjust_refund(actor=csr, return_line=line, amount="0", reason="no receipt")
    services.submit_return(actor=csr, return_request=rr)
    rr.refresh_from_db()
    assert rr.status == "pending_approval"
    assert "not from the order" in services.rules.summary(rr.approval_checks)


def test_everything_back_refunds_the_order_total_with_shipping(csr, shipped, skus, reason):
    notebook, case = skus
    ReturnPolicy.objects.create(pk=1, refund_shipping="all_back")
    first = _return(csr, shipped, reason, notebook, quantity=2)
    first.refresh_from_db()
    assert first.shipping_amount == Decimal("0.00")  # the case is still out
    second = _return(csr, shipped, reason, case)
    second.refresh_from_db()
    assert second.shipping_amount == Decimal("5.00")
    refunds = [selectors.refund_summary(rr).total for rr in (first, second)]
    assert sum(refunds) == shipped.total  # 18.00 + 7.00 + 2.70 tax + 5.00 shipping


class SilentRefunds(payments.SandboxGateway):
    def refund(self, *, capture_id, amount, reference=""):
        raise TimeoutError("no answer")


def test_a_gateway_that_does_not_answer_leaves_the_refund_failed(
    csr, operations, shipped, skus, reason, settings
):
    notebook, _case = skus
    rr = _return(csr, shipped, reason, notebook)
    services.submit_return(actor=csr, return_request=rr)
    settings.PAYMENT_GATEWAY = "tests.returns.test_services.SilentRefunds"
    rr = receiving.receive_return(actor=operations, return_request=rr)
    assert rr.status == "refund_failed" and rr.refund_error == "The payment gateway did not answer."
