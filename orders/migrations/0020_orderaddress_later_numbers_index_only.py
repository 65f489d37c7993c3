"""PostgreSQL: a house number typed alone ('36'), found after a unit's number ('Unit 4, 36 Elm
St'), read from indexes alone (`orders.selectors._lines_holding_number`). SQLite skips this SQL.

0018's GIN index of the numbers after a line's first number inside gives those lines' places
in the table only: a number's thousand lines were each read from the table (a third of a
number's search at 5,000,000 orders, 6.5 of 20 ms when the pages were not in PostgreSQL's
cache). Instead:

- the line's first number inside ('Unit 36, 16 Park Ave' -> '36'), carrying the line and
  `order_id`: a unit's number typed alone, its 12,500 lines in their order in the table, where
  0018's prefix index of the line from that number gives them in the order of the rest of
  their text, each in a part of the table of its own (PostgreSQL looked up the visibility of
  each part: 7,300 buffers);
- the number after it, when it starts a word ('Unit 4, 36 Elm St' -> '36'; NULL otherwise),
  carrying the line and `order_id`, for that second number: nearly every such line, read
  from the index alone;
- and the runs of digits after the first number inside, only of lines with two numbers or
  more after it ('Unit 3, 5, 36 Pine St'), as a GIN index, for the third and later numbers.

All are partial on their expression not being NULL, which the search's conditions imply (its
operators are strict): no condition of their own to estimate when planning (the regular
expression of 0018's condition costs 0.35 ms to plan for each part of the search that has it).
0018's GIN index of the later numbers stays, unused by the search, until a later migration
drops it; its prefix index of the line from the first number inside still serves a number and
a street, and a number alone without a page size.
"""

from django.db import migrations

from core.migration_operations import PostgresOnlyRunSQL

FIRST_NUMBER = "SUBSTRING((line1)::text FROM '[^0-9A-Za-z]([0-9]+)')"
AFTER_FIRST_NUMBER = "SUBSTRING((line1)::text FROM '[^0-9A-Za-z][0-9]+(.*)$')"
SECOND_NUMBER = f"SUBSTRING({AFTER_FIRST_NUMBER} FROM '^[^0-9]*[^0-9A-Za-z]([0-9]+)')"
AFTER_FIRST_OF_THREE = (
    "SUBSTRING((line1)::text FROM '[^0-9A-Za-z][0-9]+([^0-9]+[0-9]+[^0-9]+[0-9].*)$')"
)


class Migration(migrations.Migration):
    dependencies = [("orders", "0019_orderline_status_updates_stay_on_page")]

    operations = [
        PostgresOnlyRunSQL(
            f"CREATE INDEX IF NOT EXISTS orderaddress_line1_first_number ON orders_orderaddress "
            f"(({FIRST_NUMBER})) INCLUDE (line1, order_id) WHERE ({FIRST_NUMBER}) IS NOT NULL",
            "DROP INDEX IF EXISTS orderaddress_line1_first_number",
        ),
        PostgresOnlyRunSQL(
            f"CREATE INDEX IF NOT EXISTS orderaddress_line1_second_number ON orders_orderaddress "
            f"(({SECOND_NUMBER})) INCLUDE (line1, order_id) WHERE ({SECOND_NUMBER}) IS NOT NULL",
            "DROP INDEX IF EXISTS orderaddress_line1_second_number",
        ),
        PostgresOnlyRunSQL(
            f"CREATE INDEX IF NOT EXISTS orderaddress_line1_third_numbers ON orders_orderaddress "
            f"USING gin (REGEXP_SPLIT_TO_ARRAY({AFTER_FIRST_OF_THREE}, '[^0-9]+')) "
            f"WHERE ({AFTER_FIRST_OF_THREE}) IS NOT NULL",
            "DROP INDEX IF EXISTS orderaddress_line1_third_numbers",
        ),
    ]
