"""PostgreSQL: the ZIP / postal code search reads customer ids from the index alone, and the
planner knows how many addresses a ZIP holds. SQLite skips this SQL.

- The postal prefix index of 0003 carries the customer id (INCLUDE), so the ZIP step of the
  quick box is an index-only scan instead of one heap page per matching address (a dense ZIP
  has about a thousand).
- 1,000 statistics buckets for postal_code_search instead of 100: with 100 a single ZIP was
  estimated at up to 16,000 addresses (true: ~1,000) on 1.8M addresses, and the planner then
  chose a sequential scan of all customers for it.
"""

from django.db import migrations

from core.migration_operations import PostgresOnlyRunSQL

CREATE = [
    "CREATE INDEX IF NOT EXISTS address_postal_customer ON customers_address "
    "(postal_code_search text_pattern_ops) INCLUDE (customer_id)",
    "DROP INDEX IF EXISTS address_postal_prefix",
    "ALTER TABLE customers_address ALTER COLUMN postal_code_search SET STATISTICS 1000",
    "ANALYZE customers_address (postal_code_search)",
]
REVERSE = [
    "CREATE INDEX IF NOT EXISTS address_postal_prefix ON customers_address "
    "(postal_code_search text_pattern_ops)",
    "DROP INDEX IF EXISTS address_postal_customer",
    "ALTER TABLE customers_address ALTER COLUMN postal_code_search SET STATISTICS -1",
]


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_postgres_name_sort_indexes")]

    operations = [PostgresOnlyRunSQL(CREATE, REVERSE)]
