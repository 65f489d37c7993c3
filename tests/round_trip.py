"""Round trip of the store admin's CSV files: export, import into empty tables, export again."""

import tablib
from django.core.management.color import no_style
from django.db import connection


def empty_tables(*models) -> None:
    """TRUNCATE ... CASCADE: the tables and every row that points at them (inside the test's
    transaction, so rolled back with it)."""
    tables = [model._meta.db_table for model in models]
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        # PostgreSQL refuses to truncate a table with deferred foreign-key checks pending.
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in connection.ops.sql_flush(no_style(), tables, allow_cascade=True):
            cursor.execute(sql)
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def assert_round_trip(resources, models, **import_kwargs) -> dict[str, str]:
    """Export every resource (in the order given: the order an import needs), empty `models`,
    import the files in the same order, export again: the same files. Returns the files."""
    first = {resource.__name__: resource().export().csv for resource in resources}
    empty_tables(*models)
    for resource in resources:
        dataset = tablib.Dataset().load(first[resource.__name__], format="csv")
        result = resource().import_data(dataset, dry_run=False, raise_errors=True, **import_kwargs)
        assert not result.has_validation_errors(), [
            (row.number, row.error_dict) for row in result.invalid_rows
        ]
    second = {resource.__name__: resource().export().csv for resource in resources}
    assert second == first
    return first
