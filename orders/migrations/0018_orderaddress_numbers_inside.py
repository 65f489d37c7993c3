"""PostgreSQL: the indexes of a street typed from its house number
(`orders.selectors._house_number_branches`) for the address lines with a number inside (after
a unit: 'Unit 36, 16 Park Ave'), partial indexes with the condition of 0016's trigram index
(`orders.selectors.NUMBER_INSIDE`). SQLite skips this SQL.

- the upper-cased line from its first number inside ('36, 16 PARK AVE') as a prefix
  (text_pattern_ops), carrying the line (for PostgreSQL to read it from the index alone) and
  `order_id`: a unit's number (1-40) is the first number inside 13,000 lines at 5,000,000
  orders, which 0017's GIN index of all the line's numbers found but could not give without
  reading each line from the table (130-170 ms);
- of what follows that first number (', 16 Park Ave'), the runs of digits ({'', '16', ''}), as
  a GIN index, for a number typed alone: a house number after a unit, a thousand lines at most;
- and its trigrams, upper-cased with a space for each run of what is no letter or digit
  (' 16 PARK AVE'), for a number and a street: 0016's trigrams of the whole line gave a
  unit's number with a street ('36 Pine St') the lines of 'Unit 36, 9 Pine St' too.

They replace 0017's index and 0016's trigram index of those lines, which the search no longer
asks.
"""

from django.db import migrations

NUMBER_INSIDE = "(line1)::text ~ '[^0-9A-Za-z][0-9]'"
AFTER_FIRST_NUMBER = "SUBSTRING((line1)::text FROM '[^0-9A-Za-z][0-9]+(.*)$')"
INDEXES = [
    (
        "orderaddress_line1_first_inner",
        "(UPPER(SUBSTRING((line1)::text FROM '[^0-9A-Za-z]([0-9].*)$')) text_pattern_ops) "
        f"INCLUDE (line1, order_id) WHERE {NUMBER_INSIDE}",
    ),
    (
        "orderaddress_line1_later_numbers",
        f"USING gin (REGEXP_SPLIT_TO_ARRAY({AFTER_FIRST_NUMBER}, '[^0-9]+')) "
        f"WHERE {NUMBER_INSIDE}",
    ),
    (
        "orderaddress_line1_later_trgm",
        f"USING gin ((REGEXP_REPLACE(UPPER({AFTER_FIRST_NUMBER}), '[^0-9A-Z]+', ' ', 'g')) "
        f"gin_trgm_ops) WHERE {NUMBER_INSIDE}",
    ),
]
REPLACED = [
    (
        "orderaddress_line1_inner_numbers",
        f"USING gin (regexp_split_to_array((line1)::text, '[^0-9]+')) WHERE {NUMBER_INSIDE}",
    ),
    (
        "orderaddress_line1_inner_trgm",
        "USING gin ((REGEXP_REPLACE(UPPER((line1)::text), '[^0-9A-Z]+', ' ', 'g')) gin_trgm_ops)"
        f" WHERE {NUMBER_INSIDE}",
    ),
]


def _swap(created: list[tuple[str, str]], dropped: list[tuple[str, str]]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, definition in created:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON orders_orderaddress {definition}"
            )
        for name, _definition in dropped:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0017_orderaddress_inner_numbers")]

    operations = [migrations.RunPython(_swap(INDEXES, REPLACED), _swap(REPLACED, INDEXES))]
