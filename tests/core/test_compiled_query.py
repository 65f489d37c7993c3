"""A read compiled once gives what its queryset gives, for every call's arguments."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.db import CompiledQuery, execute_prepared
from orders.models import OrderLine
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db


def lines_of(order_id, since):
    return (
        OrderLine.objects.filter(order_id=order_id, created_at__gte=since)
        .order_by("id")
        .values_list("id", "sku__code", "quantity", "unit_price", "created_at")
    )


@pytest.fixture
def two_orders(csr):
    from orders import services
    from tests.catalog.factories import SKUFactory
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory

    prices = PriceListFactory()
    skus = [SKUFactory(code=f"CQ-{n}") for n in range(3)]
    for n, sku in enumerate(skus):
        PriceListEntryFactory(price_list=prices, sku=sku, price=Decimal("2.50") * (n + 1))
    carts = [services.cart_create(actor=csr, guest={"last_name": "Q"}) for _ in range(2)]
    for cart, codes in zip(carts, (["CQ-0", "CQ-1"], ["CQ-2"]), strict=True):
        for code in codes:
            services.line_add(actor=csr, order=cart, sku_code=code, quantity=2)
    return carts


def test_each_call_gets_the_rows_of_its_own_arguments(two_orders):
    compiled = CompiledQuery(lines_of, int, dt.datetime)
    long_ago = timezone.now() - dt.timedelta(days=1)
    for cart in two_orders:
        rows = compiled.rows(cart.pk, long_ago)
        assert rows == list(lines_of(cart.pk, long_ago)) and rows
        assert all(isinstance(row, tuple) and isinstance(row[3], Decimal) for row in rows)
    assert compiled.rows(two_orders[0].pk, timezone.now() + dt.timedelta(days=1)) == []


@pytest.mark.django_db(transaction=True)
def test_a_thread_compiles_its_own(two_orders):
    compiled = CompiledQuery(lines_of, int, dt.datetime)
    since = timezone.now() - dt.timedelta(days=1)
    expected = list(lines_of(two_orders[1].pk, since))
    assert compiled.rows(two_orders[1].pk, since) == expected
    results, errors = run_together(lambda: compiled.rows(two_orders[1].pk, since))
    assert errors == [] and results == [expected]


def test_an_argument_the_sql_does_not_take_is_refused(two_orders):
    def ignores_the_time(order_id, since):
        return OrderLine.objects.filter(order_id=order_id).values_list("id")

    with pytest.raises(ValueError, match=r"arguments \[1\] do not reach the SQL"):
        CompiledQuery(ignores_the_time, int, dt.datetime).rows(two_orders[0].pk, timezone.now())


def test_objects_are_the_instances_the_queryset_gives(two_orders, django_assert_num_queries):
    def lines_with_skus(order_id, since):
        return (
            OrderLine.objects.filter(order_id=order_id, created_at__gte=since)
            .select_related("sku__product")
            .annotate(twice=F("quantity") * 2)
            .order_by("id")
        )

    compiled = CompiledQuery(lines_with_skus, int, dt.datetime)
    since = timezone.now() - dt.timedelta(days=1)
    for cart in two_orders:
        expected = list(lines_with_skus(cart.pk, since))
        with django_assert_num_queries(1):  # the SKUs and products came with the lines
            got = compiled.objects(cart.pk, since)
            seen = [(x.pk, x.sku.code, x.sku.product.name, x.twice, x.unit_price) for x in got]
        assert seen == [
            (x.pk, x.sku.code, x.sku.product.name, x.twice, x.unit_price) for x in expected
        ]
        assert all(not x._state.adding for x in got)  # saved rows, as from the database


def test_a_prepared_read_gets_the_rows_of_its_own_arguments_in_one_query(
    two_orders, django_assert_num_queries
):
    compiled = CompiledQuery(lines_of, int, dt.datetime)
    long_ago = timezone.now() - dt.timedelta(days=1)
    for _ in range(2):  # the first call prepares the statement, the second runs it
        for cart in two_orders:
            with django_assert_num_queries(1):
                rows = compiled.rows(cart.pk, long_ago)
            assert rows == list(lines_of(cart.pk, long_ago)) and rows


@pytest.mark.postgres
def test_postgresql_plans_a_prepared_read_once_per_connection(two_orders):
    def big_lines_of(order_id, since):  # a read no other test prepares on this connection
        return lines_of(order_id, since).filter(quantity__gte=2)

    compiled = CompiledQuery(big_lines_of, int, dt.datetime)
    since = timezone.now() - dt.timedelta(days=1)
    with CaptureQueriesContext(connection) as captured:
        compiled.rows(two_orders[0].pk, since)
        compiled.rows(two_orders[1].pk, since)
    first, second = (q["sql"] for q in captured.captured_queries)
    assert first.startswith("PREPARE prepared_") and "; EXECUTE prepared_" in first
    assert second.startswith("EXECUTE prepared_") and "PREPARE" not in second


@pytest.mark.postgres
def test_a_prepared_statement_that_failed_leaves_the_next_call_working():
    divided = "SELECT 12 / CAST(%s AS integer), 'a statement no other test prepares'"
    with connection.cursor() as cursor:
        with pytest.raises(DataError), transaction.atomic():  # prepared, then divided by 0
            execute_prepared(cursor, divided, [0])
        execute_prepared(cursor, divided, [4])
        assert cursor.fetchall() == [(3, "a statement no other test prepares")]


@pytest.mark.postgres
def test_a_number_beyond_any_row_s_finds_nothing_prepared_too(two_orders):
    """An id or a version beyond a column's range (an API client's) matches no row, as it
    does unprepared: a prepared parameter would take the column's type and fail."""
    compiled = CompiledQuery(lines_of, int, dt.datetime)
    since = timezone.now() - dt.timedelta(days=1)
    for beyond in (2**31, 2**63, -(2**70)):
        assert compiled.rows(beyond, since) == []
    assert compiled.rows(two_orders[0].pk, since) == list(lines_of(two_orders[0].pk, since))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_the_read_again(two_orders):
    compiled = CompiledQuery(lines_of, int, dt.datetime)
    since = timezone.now() - dt.timedelta(days=1)
    expected = list(lines_of(two_orders[0].pk, since))
    assert compiled.rows(two_orders[0].pk, since) == expected
    connection.close()  # a new session: PostgreSQL has forgotten the statement
    assert compiled.rows(two_orders[0].pk, since) == expected


@pytest.mark.postgres
def test_a_prepared_statement_keeps_the_sql_percent_signs():
    with connection.cursor() as cursor:
        execute_prepared(cursor, "SELECT 'ten %%', CAST(%s AS integer)", [10])
        assert cursor.fetchall() == [("ten %", 10)]
        execute_prepared(cursor, "SELECT 'ten %%', CAST(%s AS integer)", [11])
        assert cursor.fetchall() == [("ten %", 11)]


def test_a_text_argument_inside_a_like_pattern_is_escaped_as_the_queryset_escapes_it(csr):
    """`contains`, `startswith` and the like put the argument inside their pattern: each call's
    text takes the marker's place there, its `%`, `_` and backslashes escaped."""
    from orders import services
    from orders.models import Order

    names = ["50% off", "50x off", "a_b", "axb", "back\\slash", "Dot.com"]
    for name in names:
        services.cart_create(actor=csr, guest={"last_name": name})

    def named(start, part):
        return (
            Order.objects.filter(guest_last_name__istartswith=start)
            .filter(guest_last_name__contains=part)
            .order_by("guest_last_name")
            .values_list("guest_last_name", flat=True)
        )

    compiled = CompiledQuery(named, str, str)
    for start, part in [
        ("50", "%"),
        ("", "_"),
        ("A", "_"),
        ("back", "\\"),
        ("dot", ".c"),
        ("", ""),
    ]:
        assert [name for (name,) in compiled.rows(start, part)] == list(named(start, part))
    assert [name for (name,) in compiled.rows("", "_")] == ["a_b"]


def test_sql_is_the_compiled_sql_with_the_call_s_arguments(two_orders):
    compiled = CompiledQuery(lines_of, int, dt.datetime)
    since = timezone.now() - dt.timedelta(days=1)
    sql, params = compiled.sql(two_orders[0].pk, since)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS lines", params)
        assert cursor.fetchone()[0] == len(lines_of(two_orders[0].pk, since)) == 2
