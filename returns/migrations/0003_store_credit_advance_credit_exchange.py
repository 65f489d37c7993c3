"""Store credit moves to customers' ledger; the policy may give it in advance (at approval);
an exchange's replacement order is linked to its return.

Store credit moves to customers' ledger (customers.StoreCreditEntry): each return's credit
becomes a credit entry referenced by its RMA number, then returns' own table goes."""

import django.db.models.deletion
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
        ("orders", "0010_order_store_credit_and_exchange"),
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
        migrations.AddField(
            model_name="returnrequest",
            name="exchange_order",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="exchange_of",
                to="orders.order",
            ),
        ),
        migrations.AlterField(
            model_name="returnrequest",
            name="refund_method",
            field=models.CharField(
                choices=[
                    ("original", "Original payment"),
                    ("store_credit", "Store credit"),
                    ("mixed", "Store credit, the rest to the original payment"),
                    ("exchange", "Exchange: a replacement order at the price paid"),
                ],
                default="original",
                max_length=20,
            ),
        ),
    ]
