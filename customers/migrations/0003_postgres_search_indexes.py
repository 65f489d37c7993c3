"""Search indexes that only PostgreSQL has: case-insensitive prefix (pattern_ops on UPPER(...)),
so `istartswith` uses an index whatever the database collation, and trigram GIN for phone-digit
fragments (`LIKE '%0102233%'`). Other databases skip this migration's SQL (SQLite still migrates).
"""

from django.db import migrations

INDEXES = [
    ("customer_logon_uprefix", "customers_customer", "UPPER((logon_id)::text) text_pattern_ops"),
    ("customer_first_uprefix", "customers_customer", "UPPER((first_name)::text) text_pattern_ops"),
    ("customer_last_uprefix", "customers_customer", "UPPER((last_name)::text) text_pattern_ops"),
    ("customer_email_uprefix", "customers_customer", "UPPER((email)::text) text_pattern_ops"),
    ("address_postal_prefix", "customers_address", "postal_code_search text_pattern_ops"),
    (
        "organization_account_uprefix",
        "customers_organization",
        "UPPER((account_number)::text) text_pattern_ops",
    ),
]
TRIGRAM_INDEXES = [
    ("customer_phone_digits_trgm", "customers_customer", "phone_digits gin_trgm_ops"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({expression})")
    for name, table, expression in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES + TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_customerevent_paymentmethod_and_more")]

    operations = [migrations.RunPython(create, drop)]
