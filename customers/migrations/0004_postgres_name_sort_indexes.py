"""PostgreSQL: the find-customer sort key (UPPER(last_name), UPPER(first_name), id in the "C"
collation) as one btree, so a last-name prefix search is a range scan in result order that stops
after one page; a first-name index in the same collation. They replace the pattern_ops name
indexes of 0003 (a "C"-collated btree serves LIKE 'ABC%' too). SQLite skips this SQL.
"""

from django.db import migrations

CREATE = [
    'CREATE INDEX IF NOT EXISTS customer_name_sort ON customers_customer '
    '((UPPER((last_name)::text) COLLATE "C"), (UPPER((first_name)::text) COLLATE "C"), id)',
    'CREATE INDEX IF NOT EXISTS customer_first_sort ON customers_customer '
    '((UPPER((first_name)::text) COLLATE "C"))',
    "DROP INDEX IF EXISTS customer_last_uprefix",
    "DROP INDEX IF EXISTS customer_first_uprefix",
]
REVERSE = [
    "DROP INDEX IF EXISTS customer_name_sort",
    "DROP INDEX IF EXISTS customer_first_sort",
    "CREATE INDEX IF NOT EXISTS customer_last_uprefix ON customers_customer "
    "(UPPER((last_name)::text) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS customer_first_uprefix ON customers_customer "
    "(UPPER((first_name)::text) text_pattern_ops)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_postgres_search_indexes")]

    operations = [migrations.RunPython(_run(CREATE), _run(REVERSE))]
