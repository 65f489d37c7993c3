"""Operations the apps' migrations share."""

from django.db import migrations


class PostgresOnly:
    """An operation run on PostgreSQL only; the model state changes on every database. For
    what other databases have no form of (pg_trgm indexes, INCLUDE columns, per-column
    statistics, a table's fill factor): SQLite's schema is the same without it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class PostgresOnlyRunSQL(PostgresOnly, migrations.RunSQL):
    pass


class PostgresOnlyAddIndex(PostgresOnly, migrations.AddIndex):
    pass
