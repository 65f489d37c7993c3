import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import PostgresOnlyRunSQL


class Migration(migrations.Migration):
    """A line's status change (allocated, released, swept) writes its row, not every index.

    - Order line pages are filled to 80%: a line whose status changes gets its new version on
      the same page, a heap-only update that writes none of the line's indexes. Full pages sent
      every new version to another page, and each such update added an entry to each of the
      line's indexes, the SKU ones at random places: the stale sweep's costliest statement,
      and the release job's after its foreign-key checks. Pages written before this keep
      their fill until rewritten (VACUUM FULL); new ones, and the space pruning frees, follow
      it.
    - The single-column indexes on orderline.sku and orderevent.order go: orderline_sku_orders
      and (order, -occurred_at) begin with the same column and serve every read they served,
      and each was one more entry to write for every line moved off its page and every event.
      Not an AlterField: on PostgreSQL that drops and adds the foreign key again, checking
      every row under a lock for nothing.
    """

    dependencies = [
        ("catalog", "0003_sku_code_compact"),
        ("orders", "0018_orderaddress_numbers_inside"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="orderevent",
                    name="order",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="orders.order",
                    ),
                ),
                migrations.AlterField(
                    model_name="orderline",
                    name="sku",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="order_lines",
                        to="catalog.sku",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS orders_orderevent_order_id_b26297f3",
                    reverse_sql=(
                        "CREATE INDEX orders_orderevent_order_id_b26297f3 "
                        "ON orders_orderevent (order_id)"
                    ),
                ),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS orders_orderline_sku_id_0e23d12e",
                    reverse_sql=(
                        "CREATE INDEX orders_orderline_sku_id_0e23d12e ON orders_orderline (sku_id)"
                    ),
                ),
            ],
        ),
        PostgresOnlyRunSQL(
            "ALTER TABLE orders_orderline SET (fillfactor = 80)",
            reverse_sql="ALTER TABLE orders_orderline RESET (fillfactor)",
        ),
    ]
