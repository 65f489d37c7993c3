"""The PostgreSQL backend reads timestamps with psycopg's C parser and gives what Django's
own loader gives: aware datetimes in UTC, whatever offset the value was written with."""

import datetime as dt

import pytest
from django.db import connection
from psycopg.pq import Format

from core.postgresql.base import TIMESTAMPTZ_OID, TimestamptzLoader

pytestmark = pytest.mark.postgres

UTC = dt.UTC


def _read(sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_connections_read_timestamps_with_the_c_parser(db):
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert issubclass(loader, TimestamptzLoader)
    assert loader.timezone == connection.timezone


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("2026-12-05 02:30:00+00", dt.datetime(2026, 12, 5, 2, 30, tzinfo=UTC)),
        ("2026-03-08 02:30:00.123456-08", dt.datetime(2026, 3, 8, 10, 30, 0, 123456, tzinfo=UTC)),
        ("2026-06-30 23:59:59.5+05:30", dt.datetime(2026, 6, 30, 18, 29, 59, 500000, tzinfo=UTC)),
        ("0001-01-01 00:00:00+00", dt.datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_a_timestamp_reads_as_django_reads_it(db, literal, expected):
    value = _read(f"SELECT '{literal}'::timestamptz")
    assert value == expected
    assert value.tzinfo is connection.timezone  # the same tzinfo object as Django's loader


def test_a_model_field_round_trips_through_the_orm(db):
    from tests.orders.factories import OrderFactory

    order = OrderFactory()
    written = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    type(order).objects.filter(pk=order.pk).update(created_at=written)
    assert type(order).objects.values_list("created_at", flat=True).get(pk=order.pk) == written
