"""Two CSRs returning one shipped line at once; two receipts of one return (PostgreSQL locks)."""

import pytest

from core.errors import DomainError
from fulfillment.models import Inventory
from returns import receiving, services
from returns.models import ReturnLine
from tests.concurrency import run_together
from tests.returns.conftest import order_line

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_csrs_cannot_return_more_than_shipped(csr, supervisor, shipped, skus, reason):
    notebook, _case = skus
    line_id = order_line(shipped, notebook).pk
    returns = [services.create_return(actor=actor, order=shipped) for actor in (csr, supervisor)]

    def add(actor, rr):
        return lambda: services.add_order_line(
            actor=actor, return_request=rr, order_line_id=line_id, quantity=2, reason=reason.code
        )

    results, errors = run_together(add(csr, returns[0]), add(supervisor, returns[1]))
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], DomainError) and "at most 0" in errors[0].message
    assert (
        sum(ReturnLine.objects.filter(order_line_id=line_id).values_list("quantity", flat=True))
        == 2
    )


def test_two_receipts_of_one_return_restock_once(csr, operations, shipped, skus, reason):
    notebook, _case = skus
    rr = services.create_return(actor=csr, order=shipped)
    services.add_order_line(
        actor=csr,
        return_request=rr,
        order_line_id=order_line(shipped, notebook).pk,
        quantity=2,
        reason=reason.code,
    )
    services.submit_return(actor=csr, return_request=rr)
    before = Inventory.objects.get(sku=notebook).on_hand

    def receive():
        return receiving.receive_return(actor=operations, return_request=rr)

    results, errors = run_together(receive, receive)
    assert len(results) == 1 and len(errors) == 1
    assert "received already" in errors[0].message
    assert Inventory.objects.get(sku=notebook).on_hand == before + 2
    assert results[0].status == "refunded" and results[0].refunds.count() == 1
