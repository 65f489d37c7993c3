"""One Django form per panel of the returns screens; the services check the business rules."""

from django import forms

from catalog.models import SKU
from fulfillment.models import FulfillmentCenter
from returns.models import Disposition, RefundMethod, ReturnReason, ReturnStatus

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


def reason_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        ReturnReason.objects.filter(is_active=True), to_field_name="code", label="Reason"
    )


class FindForm(forms.Form):
    q = forms.CharField(required=False, label="RMA, order number, last name or e-mail")
    status = forms.ChoiceField(
        required=False, choices=[("", "any status"), *ReturnStatus.choices], label="Status"
    )


class FromOrderForm(forms.Form):
    order_number = forms.CharField(max_length=20, label="Order number")


class GuestForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=20, required=False)


class OrderLinesForm(forms.Form):
    """A quantity per returnable order line (`qty_<line id>`), one reason and disposition."""

    reason = reason_field()
    disposition = forms.ChoiceField(choices=Disposition.choices, initial=Disposition.RESTOCK)

    def __init__(self, *args, returnable=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for row in returnable:
            name = f"qty_{row.line.pk}"
            self.fields[name] = forms.IntegerField(
                min_value=0, max_value=max(row.returnable, 0), required=False, initial=0
            )
            self.rows.append((row, name))

    def quantities(self) -> dict[int, int]:
        return {row.line.pk: self.cleaned_data.get(name) or 0 for row, name in self.rows}


class CatalogItemForm(forms.Form):
    sku = forms.ModelChoiceField(SKU.objects.all(), to_field_name="code", label="SKU")
    quantity = forms.IntegerField(min_value=1, initial=1)
    unit_amount = forms.DecimalField(label="Refund per unit", **MONEY)
    reason = reason_field()


class AdhocItemForm(forms.Form):
    description = forms.CharField(max_length=200)
    quantity = forms.IntegerField(min_value=1, initial=1)
    unit_amount = forms.DecimalField(label="Refund per unit", **MONEY)
    reason = reason_field()


class AdjustForm(forms.Form):
    amount = forms.DecimalField(label="Refund", **MONEY)
    reason = forms.CharField(max_length=255, label="Why")


class RefundMethodForm(forms.Form):
    refund_method = forms.ChoiceField(choices=RefundMethod.choices, label="Refund to")
    store_credit_amount = forms.DecimalField(required=False, label="Store credit part", **MONEY)


class DecisionForm(forms.Form):
    comment = forms.CharField(max_length=255, required=False)


class ReceiveForm(forms.Form):
    """Quantity received and disposition per line (`qty_<id>`, `disp_<id>`)."""

    center = forms.ModelChoiceField(
        FulfillmentCenter.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        label="Restock into (items without a shipment)",
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
                widget=forms.NumberInput(attrs={"aria-label": f"Received of {line.label}"}),
            )
            self.fields[f"disp_{line.pk}"] = forms.ChoiceField(
                choices=Disposition.choices,
                initial=line.disposition,
                widget=forms.Select(attrs={"aria-label": f"Disposition of {line.label}"}),
            )

    @property
    def rows(self) -> list:
        """(line, its quantity field, its disposition field) for the template."""
        return [(x, self[f"qty_{x.pk}"], self[f"disp_{x.pk}"]) for x in self.lines]

    def items(self) -> list[dict]:
        return [
            {
                "line": x.pk,
                "quantity": self.cleaned_data[f"qty_{x.pk}"],
                "disposition": self.cleaned_data[f"disp_{x.pk}"],
            }
            for x in self.lines
        ]
