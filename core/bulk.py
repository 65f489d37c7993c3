"""One UPDATE for many rows with different values: the bulk write path an owner app keeps."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import CharField

from core.db import Statement, array_element, execute_together


def update_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Set different values on many rows in one UPDATE: `rows` are (pk, *values of fields).

    bulk_update writes the same single statement, but builds a CASE WHEN per row and field
    through the ORM's expressions: ~8 ms of CPU for a 50-line cart whose order promotions
    moved every line, on every cart change. A VALUES list joined on the primary key (UPDATE
    ... FROM, PostgreSQL and SQLite 3.33+) costs a string join."""
    execute_together([update_rows_statement(model, fields, rows)])


def update_rows_statement(model, fields: list[str], rows: list[tuple]) -> Statement | None:
    """`update_rows` as a statement, to send with other writes in one round trip
    (core.db.execute_together); None when there is no row."""
    if not rows:
        return None
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    model_fields = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(
        f"{qn(field.column)} = v.column{i}" for i, field in enumerate(model_fields, start=2)
    )
    source, params = _arrays_source(model, model_fields, rows) or _values_source(model_fields, rows)
    sql = (
        f"UPDATE {table} SET {assignments} FROM {source}"
        f" WHERE {table}.{qn(model._meta.pk.column)} = v.column1"
    )
    return Statement(sql=sql, params=params, orm=lambda: _execute(sql, params))


def _values_source(model_fields, rows: list[tuple]) -> tuple[str, list]:
    """The rows as a VALUES list: a parameter per value."""
    row_sql = "(" + ", ".join(["%s"] * (len(model_fields) + 1)) + ")"
    params = []
    for pk, *values in rows:
        params.append(pk)
        for field, value in zip(model_fields, values, strict=True):
            params.append(field.get_db_prep_save(value, connection))
    return f"(VALUES {', '.join([row_sql] * len(rows))}) AS v", params


# Python types whose text PostgreSQL reads back as the value, and which a field's
# get_db_prep_save returns unchanged (others, bool among them, go as VALUES).
_TEXT_TYPES = frozenset({int, Decimal, str})


def _arrays_source(model, model_fields, rows: list[tuple]) -> tuple[str, list] | None:
    """On PostgreSQL, the rows as one array literal per column, unnested: psycopg binds
    parameters on the client, and a statement of more than 50 (a repriced cart's lines: five
    a line) is parsed anew on every call and each value rendered one by one, which cost more
    than the UPDATE. None (use VALUES) elsewhere, or for a value of another type."""
    if connection.vendor != "postgresql":
        return None
    columns = []
    for index, field in enumerate([model._meta.pk, *model_fields]):
        column = [_array_element(field, row[index]) for row in rows]
        if None in column:
            return None
        columns.append(column)
    types = [_element_type(field) for field in [model._meta.pk, *model_fields]]
    names = ", ".join(f"column{i}" for i in range(1, len(types) + 1))
    arrays = ", ".join(f"%s::{sql_type}[]" for sql_type in types)
    return f"unnest({arrays}) AS v({names})", ["{" + ",".join(c) + "}" for c in columns]


def _element_type(field) -> str:
    """The column's type for the array's cast; text for a CharField, as a cast to varchar(n)
    would cut a value too long instead of refusing it as the UPDATE's assignment does."""
    if isinstance(field, CharField):
        return "text"
    return field.db_type(connection)


def _array_element(field, value) -> str | None:
    """The value as an element of an array literal (quoted, escaped); None if not plain."""
    if value is None:
        return "NULL"
    if type(value) not in _TEXT_TYPES:
        value = field.get_db_prep_save(value, connection)
        if type(value) not in _TEXT_TYPES:
            return None
    return array_element(str(value))


def _execute(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
