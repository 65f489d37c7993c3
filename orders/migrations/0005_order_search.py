"""Order search: guest phones stored as E.164 like customers' (so any formatting finds them),
and the PostgreSQL indexes the search's lookups use (other databases skip the SQL):

- guest columns: case-insensitive prefix / equality (pattern_ops on UPPER(...)), and trigram
  GIN on the guest phone for digit fragments (`LIKE '%5552553%'`);
- addresses: the ZIP without spaces or dashes (the expression of
  `orders.selectors.postal_code_key`, so 'm5k9b2' finds 'M5K 9B2'), a city prefix and trigram
  GIN on the street line for any part of it.
"""

import phonenumbers
from django.conf import settings
from django.db import migrations

INDEXES = [
    ("order_guest_last_uprefix", "orders_order", "UPPER((guest_last_name)::text) text_pattern_ops"),
    (
        "order_guest_first_uprefix",
        "orders_order",
        "UPPER((guest_first_name)::text) text_pattern_ops",
    ),
    ("order_guest_email_upper", "orders_order", "UPPER((guest_email)::text)"),
    (
        "orderaddress_postal_key",
        "orders_orderaddress",
        "UPPER(REPLACE(REPLACE((postal_code)::text, ' ', ''), '-', ''))",
    ),
    ("orderaddress_city_uprefix", "orders_orderaddress", "UPPER((city)::text) text_pattern_ops"),
]
TRIGRAM_INDEXES = [
    ("order_guest_phone_trgm", "orders_order", "guest_phone gin_trgm_ops"),
    ("orderaddress_line1_trgm", "orders_orderaddress", "UPPER((line1)::text) gin_trgm_ops"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({expression})")
    for name, table, expression in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES + TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def normalize_guest_phones(apps, schema_editor):
    """Typed guest phones to E.164. One that is no phone number stays as typed: the CSR sees it
    on the order and can correct it; a migration cannot ask anyone."""
    Order = apps.get_model("orders", "Order")
    guests = Order.objects.filter(customer__isnull=True).exclude(guest_phone="")
    for pk, raw in guests.values_list("pk", "guest_phone"):
        try:
            number = phonenumbers.parse(raw, settings.STORE_COUNTRY)
        except phonenumbers.NumberParseException:
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_possible_number(number) and e164 != raw:
            Order.objects.filter(pk=pk).update(guest_phone=e164)


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_order_address_region_help")]

    operations = [
        migrations.RunPython(normalize_guest_phones, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
