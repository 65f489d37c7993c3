"""PostgreSQL: the indexes of a street typed from its house number ('70 Bloor', which must not
find '170 Bloor St W'; `orders.selectors._house_number_branches`). SQLite skips this SQL.

- the upper-cased line as a prefix (text_pattern_ops), carrying the line (to test where the
  number starts) and `order_id`, so the lines starting with the text are read from the index
  alone;
- trigrams of the lines with a number inside (after a unit: 'Unit 2, 70 Bloor St W'), a
  partial index whose condition is the text of `orders.selectors.NUMBER_INSIDE`, upper-cased
  with a space for each run of what is no letter or digit (`orders.selectors._spaced_line`),
  so that a number typed as a word gives the index the trigrams of its start ('  7').
"""

from django.db import migrations

INDEXES = [
    (
        "orderaddress_line1_uprefix",
        "(UPPER((line1)::text) text_pattern_ops) INCLUDE (line1, order_id)",
    ),
    (
        "orderaddress_line1_inner_trgm",
        "USING gin ((REGEXP_REPLACE(UPPER((line1)::text), '[^0-9A-Z]+', ' ', 'g')) gin_trgm_ops)"
        " WHERE (line1)::text ~ '[^0-9A-Za-z][0-9]'",
    ),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON orders_orderaddress {definition}"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0015_order_postal_key_covering")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
