"""PostgreSQL: the name and city prefix indexes of 0005 also carry what the order search reads
from the rows they find, so it reads them from the index alone (an index-only scan) instead of
fetching thousands of table rows in random order:

- the guest first / last name indexes: the name itself (to recheck the LIKE), `modified_at` and
  `id` (the search counts up to FEW_MATCHES guest orders, then sorts them by `modified_at`);
- the address city index: the city and `order_id` (counted the same way).

An expression index alone does not allow an index-only scan: PostgreSQL wants the column under
the expression too, hence the name in INCLUDE. SQLite skips this SQL.
"""

from django.db import migrations

PREFIX_INDEXES = [
    ("order_guest_first_uprefix", "orders_order", "guest_first_name", "modified_at, id"),
    ("order_guest_last_uprefix", "orders_order", "guest_last_name", "modified_at, id"),
    ("orderaddress_city_uprefix", "orders_orderaddress", "city", "order_id"),
]


def _create(name: str, table: str, column: str, include: str | None) -> list[str]:
    covering = f" INCLUDE ({column}, {include})" if include else ""
    return [
        f"DROP INDEX IF EXISTS {name}",
        f"CREATE INDEX {name} ON {table} (UPPER(({column})::text) text_pattern_ops){covering}",
    ]


def _run(covering: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, table, column, include in PREFIX_INDEXES:
            for sql in _create(name, table, column, include if covering else None):
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0010_order_store_credit_and_exchange")]

    operations = [migrations.RunPython(_run(covering=True), _run(covering=False))]
