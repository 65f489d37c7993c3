"""PostgreSQL: the indexes of a house number typed alone ('70',
`orders.selectors._lines_holding_number`) for the address lines with a number inside (after a
unit: 'Unit 36, 16 Park Ave'), partial indexes with the condition of 0016's trigram index
(`orders.selectors.NUMBER_INSIDE`). SQLite skips this SQL.

- the line from its first number inside ('36, 16 Park Ave') as a prefix (text_pattern_ops),
  carrying the line (for PostgreSQL to read it from the index alone) and `order_id`: a unit's
  number (1-40) is the first number inside 13,000 lines at 5,000,000 orders, which 0017's GIN
  index of all the line's numbers found but could not give without reading each line from the
  table (130-170 ms);
- the runs of digits after that first number ({'', '16', ''}), as a GIN index: a house number
  after a unit, a thousand lines at most.

They replace 0017's index, which the search no longer asks.
"""

from django.db import migrations

NUMBER_INSIDE = "(line1)::text ~ '[^0-9A-Za-z][0-9]'"
INDEXES = [
    (
        "orderaddress_line1_first_inner",
        "(SUBSTRING((line1)::text FROM '[^0-9A-Za-z]([0-9].*)$') text_pattern_ops) "
        f"INCLUDE (line1, order_id) WHERE {NUMBER_INSIDE}",
    ),
    (
        "orderaddress_line1_later_numbers",
        "USING gin (REGEXP_SPLIT_TO_ARRAY("
        "SUBSTRING((line1)::text FROM '[^0-9A-Za-z][0-9]+(.*)$'), '[^0-9]+')) "
        f"WHERE {NUMBER_INSIDE}",
    ),
]
REPLACED = (
    "CREATE INDEX IF NOT EXISTS orderaddress_line1_inner_numbers ON orders_orderaddress "
    f"USING gin (regexp_split_to_array((line1)::text, '[^0-9]+')) WHERE {NUMBER_INSIDE}"
)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON orders_orderaddress {definition}"
        )
    schema_editor.execute("DROP INDEX IF EXISTS orderaddress_line1_inner_numbers")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(REPLACED)
    for name, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0017_orderaddress_inner_numbers")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
