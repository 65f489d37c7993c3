"""Store credit moves to customers' ledger; the policy may give it in advance (at approval).

Store credit moves to customers' ledger (customers.StoreCreditEntry): each return's credit
becomes a credit entry referenced by its RMA number, then returns' own table goes."""

from django.db import migrations, models


def move_credits(apps, schema_editor):
    StoreCredit = apps.get_model("returns", "StoreCredit")
    Entry = apps.get_model("customers", "StoreCreditEntry")
    for row in StoreCredit.objects.select_related("return_request").order_by("pk"):
        reference = row.return_request.rma_number if row.return_request_id else f"credit:{row.pk}"
        Entry.objects.get_or_create(
            customer_id=row.customer_id,
            kind="credit",
            reference=reference,
            defaults={"amount": row.amount, "currency": row.currency, "note": "Return credit"},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0002_default_reasons"),
        ("customers", "0007_store_credit_ledger"),
    ]

    operations = [
        migrations.RunPython(move_credits, migrations.RunPython.noop),
        migrations.DeleteModel(name="StoreCredit"),
        migrations.AddField(
            model_name="returnpolicy",
            name="advance_credit",
            field=models.BooleanField(
                default=False,
                help_text="Issue store credit when the return is approved instead of when the "
                "goods are received (advance credit). Refunds to the original payment still wait "
                "for the goods.",
            ),
        ),
    ]
