"""PostgreSQL: the ZIP index of 0005 also carries the postal code (to recheck the expression)
and `order_id`, so the order search reads a ZIP's orders from the index alone, as it does a
city's (0011): a US ZIP has thousands of orders at 5,000,000. SQLite skips this SQL.
"""

from django.db import migrations

KEY = "UPPER(REPLACE(REPLACE((postal_code)::text, ' ', ''), '-', ''))"


def _run(include: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("DROP INDEX IF EXISTS orderaddress_postal_key")
        schema_editor.execute(
            f"CREATE INDEX orderaddress_postal_key ON orders_orderaddress ({KEY}){include}"
        )

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0014_order_recent_created")]

    operations = [migrations.RunPython(_run(" INCLUDE (postal_code, order_id)"), _run(""))]
