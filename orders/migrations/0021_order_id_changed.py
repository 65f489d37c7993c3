"""PostgreSQL: when each order changed, by its id, in an index carrying it (`orders.selectors`:
the page of a few hundred known orders, sorted by when each changed). SQLite skips this SQL.

A number and a street ('70 Bloor St W') matches 700 orders at 5,000,000 orders; the page is
their 50 most recently changed, which the primary key gave only with each order's row, read
from the table: 1,000 pages, 7 of 11 ms when they were not in PostgreSQL's cache. From this
index alone they are half as many pages, each holding 300 orders' times.
"""

from django.db import migrations

from core.migration_operations import PostgresOnlyRunSQL


class Migration(migrations.Migration):
    dependencies = [("orders", "0020_orderaddress_later_numbers_index_only")]

    operations = [
        PostgresOnlyRunSQL(
            "CREATE INDEX IF NOT EXISTS order_id_changed ON orders_order (id) INCLUDE (modified_at)",
            "DROP INDEX IF EXISTS order_id_changed",
        ),
    ]
