"""PostgreSQL: the runs of digits of the address lines with a number inside (after a unit:
'Unit 2, 70 Bloor St W' -> {'', '2', '70', ''}), as a GIN index, for a house number typed
alone ('70', `orders.selectors._lines_with_number_inside`): the lines holding the number
whole, where the trigrams of its start (' 70') gave the lines of 70, 700-709 and 7000-7099
(5,400 candidates to read for 1,000 lines; for '7', 67,000 for 13,000). A partial index with
the condition of 0016's trigram index (`orders.selectors.NUMBER_INSIDE`). SQLite skips this.
"""

from django.db import migrations

INDEX = (
    "CREATE INDEX IF NOT EXISTS orderaddress_line1_inner_numbers ON orders_orderaddress "
    "USING gin (regexp_split_to_array((line1)::text, '[^0-9]+')) "
    "WHERE (line1)::text ~ '[^0-9A-Za-z][0-9]'"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS orderaddress_line1_inner_numbers")


class Migration(migrations.Migration):
    dependencies = [("orders", "0016_orderaddress_house_number_indexes")]

    operations = [migrations.RunPython(create_index, drop_index)]
