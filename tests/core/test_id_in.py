"""`IdIn(F(column), ids)`: the same rows as `column__in=ids`, with the ids sent to PostgreSQL
as one array parameter rather than a placeholder each."""

import pytest
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

from core.db import IdIn
from orders.models import Order
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory


@pytest.fixture
def orders(db):
    return [OrderFactory() for _ in range(4)]


def test_it_finds_what_an_in_list_finds(orders):
    wanted = [orders[0].pk, orders[2].pk, 10**12]
    found = Order.objects.filter(IdIn(F("pk"), wanted)).order_by("pk")
    assert list(found) == list(Order.objects.filter(pk__in=wanted).order_by("pk"))
    assert list(found) == [orders[0], orders[2]]
    customer = CustomerFactory()
    theirs = OrderFactory(customer=customer)
    assert list(Order.objects.filter(IdIn(F("customer_id"), [customer.pk]))) == [theirs]


def test_no_ids_match_nothing_without_a_query_and_leave_an_or_to_its_other_side(orders):
    with CaptureQueriesContext(connection) as run:
        assert list(Order.objects.filter(IdIn(F("pk"), []))) == []
    assert len(run) == 0
    either = Order.objects.filter(Q(IdIn(F("pk"), [])) | Q(pk=orders[3].pk))
    assert list(either) == [orders[3]]


@pytest.mark.postgres
def test_on_postgresql_the_ids_are_one_parameter(orders):
    ids = [o.pk for o in orders]
    sql, params = Order.objects.filter(IdIn(F("pk"), ids)).query.sql_with_params()
    assert "= ANY(%s::bigint[])" in sql
    assert params == ("{" + ",".join(map(str, ids)) + "}",)
