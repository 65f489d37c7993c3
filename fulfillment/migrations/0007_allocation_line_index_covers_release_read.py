import django.db.models.deletion
from django.db import migrations, models

ALLOCATION_LINE = models.Index(
    fields=["line"], include=("kind", "center", "sku", "quantity"), name="fulfillment_alloc_line"
)


class Migration(migrations.Migration):
    """The line index of allocations becomes one that also carries what a release batch reads.

    In the database: the new index first, then the old one dropped, so a line's allocations are
    never read without an index. Not an AlterField: on PostgreSQL that drops and adds the line's
    foreign key again, checking every allocation row under a lock for nothing.
    """

    dependencies = [
        ("catalog", "0002_catalog_model"),
        ("fulfillment", "0006_line_allocation_protects_line"),
        ("orders", "0015_order_postal_key_covering"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="lineallocation",
                    name="line",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="allocations",
                        to="orders.orderline",
                    ),
                ),
                migrations.AddIndex(model_name="lineallocation", index=ALLOCATION_LINE),
            ],
            database_operations=[
                migrations.AddIndex(model_name="lineallocation", index=ALLOCATION_LINE),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS fulfillment_lineallocation_line_id_367bd1c6",
                    reverse_sql=(
                        "CREATE INDEX fulfillment_lineallocation_line_id_367bd1c6 "
                        "ON fulfillment_lineallocation (line_id)"
                    ),
                ),
            ],
        ),
    ]
