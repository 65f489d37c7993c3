"""The reason codes a store starts with; store admins edit the list in the admin."""

from django.db import migrations

REASONS = [
    ("damaged", "Arrived damaged", 10),
    ("defective", "Defective", 20),
    ("wrong_item", "Wrong item shipped", 30),
    ("not_as_described", "Not as described", 40),
    ("no_longer_needed", "No longer needed", 50),
]


def add_reasons(apps, schema_editor):
    reason_model = apps.get_model("returns", "ReturnReason")
    for code, label, position in REASONS:
        reason_model.objects.get_or_create(
            code=code, defaults={"label": label, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("returns", "0001_initial")]

    operations = [migrations.RunPython(add_reasons, migrations.RunPython.noop)]
