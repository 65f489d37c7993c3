"""JobRun moves from fulfillment to core (the job registry is core's): the table stays
`fulfillment_jobrun` and keeps its rows; only Django's idea of the owning app changes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_staff_roles"),
        ("fulfillment", "0004_release_indexes_covered_by_composites"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="JobRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("job", models.CharField(db_index=True, max_length=40)),
                        ("started_at", models.DateTimeField(auto_now_add=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("counts", models.JSONField(blank=True, default=dict)),
                        ("error", models.TextField(blank=True)),
                        (
                            "triggered_by",
                            models.CharField(
                                blank=True, help_text="beat, command or user", max_length=60
                            ),
                        ),
                    ],
                    options={
                        "db_table": "fulfillment_jobrun",
                        "ordering": ["-started_at", "-id"],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
