"""Indexes no read needs, each one more write on every change of its row:

- the order's status, creation and change times alone: order_status_recent, order_created_changed
  and order_recent lead with them (and the status's LIKE index served no LIKE);
- PostgreSQL: 0018's GIN index of the numbers after an address line's first number inside,
  which the search no longer asks since 0020 (a number alone reads 0020's indexes).
"""

from django.db import migrations, models

from core.migration_operations import PostgresOnlyRunSQL

LATER_NUMBERS = (
    "CREATE INDEX IF NOT EXISTS orderaddress_line1_later_numbers ON orders_orderaddress "
    "USING gin (REGEXP_SPLIT_TO_ARRAY(SUBSTRING((line1)::text FROM '[^0-9A-Za-z][0-9]+(.*)$'), "
    "'[^0-9]+')) WHERE (line1)::text ~ '[^0-9A-Za-z][0-9]'"
)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0020_orderaddress_later_numbers_index_only"),
    ]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True),
        ),
        migrations.AlterField(
            model_name="order",
            name="modified_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AlterField(
            model_name="order",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending (cart)"),
                    ("submitted", "Submitted"),
                    ("authorized", "Payment authorized"),
                    ("payment_review", "Payment review"),
                    ("backordered", "Backordered"),
                    ("released", "Released"),
                    ("shipped", "Shipped"),
                    ("canceled", "Canceled"),
                ],
                default="pending",
                max_length=20,
            ),
        ),
        PostgresOnlyRunSQL("DROP INDEX IF EXISTS orderaddress_line1_later_numbers", LATER_NUMBERS),
    ]
