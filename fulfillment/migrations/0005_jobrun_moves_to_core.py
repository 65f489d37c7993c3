"""JobRun moves to core (core.migrations.0003): the table and its rows stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0004_release_indexes_covered_by_composites"),
        ("core", "0003_jobrun_moves_from_fulfillment"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="JobRun")],
            database_operations=[],
        ),
    ]
