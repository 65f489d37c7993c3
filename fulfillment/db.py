"""Set-based writes without the ORM's per-row CASE expressions (which cost more in Python than
the statement costs in the database)."""

from django.db import connection


def bulk_set(model, field: str, values: dict[int, object], sql_type: str = "int") -> None:
    """UPDATE model SET field = v WHERE pk = k, for every (k, v), in one statement."""
    if not values:
        return
    if connection.vendor != "postgresql":
        rows = [model(pk=pk, **{field: value}) for pk, value in values.items()]
        model.objects.bulk_update(rows, [field], batch_size=500)
        return
    table = model._meta.db_table
    column = model._meta.get_field(field).column
    ids = sorted(values)
    with connection.cursor() as cur:
        cur.execute(
            f'UPDATE "{table}" t SET "{column}" = v.value '  # names from model meta
            f"FROM unnest(%s::bigint[], %s::{sql_type}[]) AS v(id, value) WHERE t.id = v.id",
            [ids, [values[i] for i in ids]],
        )
