"""Job runs record a heartbeat, their state, and the interrupted run they resumed after."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_jobrun_moves_from_fulfillment"),
    ]

    operations = [
        migrations.AddField(
            model_name="jobrun",
            name="heartbeat_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="jobrun",
            name="resumed_after",
            field=models.ForeignKey(
                blank=True,
                help_text="The interrupted run of the same job that this run followed",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="core.jobrun",
            ),
        ),
        migrations.AddField(
            model_name="jobrun",
            name="status",
            field=models.CharField(
                choices=[
                    ("running", "running"),
                    ("done", "done"),
                    ("failed", "failed"),
                    ("interrupted", "interrupted"),
                ],
                default="running",
                max_length=12,
            ),
        ),
        # Runs recorded before heartbeats: their state from finished_at and error, their last
        # sign of life when they finished (or started, for one that never finished).
        migrations.RunSQL(
            "UPDATE fulfillment_jobrun SET "
            "status = CASE WHEN finished_at IS NULL THEN 'running' "
            "WHEN error <> '' THEN 'failed' ELSE 'done' END, "
            "heartbeat_at = COALESCE(finished_at, started_at)",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="jobrun",
            index=models.Index(
                condition=models.Q(("status", "running")),
                fields=["heartbeat_at"],
                name="jobrun_running_heartbeat",
            ),
        ),
    ]
