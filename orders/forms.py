"""The order screen's panels: one form each. A form parses and limits what was typed (lengths
from the models), then `save` calls one service; the rules live in the services."""

from __future__ import annotations

import re

from django import forms

from orders import services
from orders.models import OrderAddress


def _address_fields() -> dict[str, forms.Field]:
    """The address fields with the model's limits; required-ness is the service's rule (it
    names the missing fields in the CSR's words), so none is required here."""
    fields = forms.fields_for_model(OrderAddress, fields=services.ADDRESS_FIELDS)
    for field in fields.values():
        field.required = False
    return fields


# A number after the item, behind a space or `*`, is its quantity: 'NB-BLK-A5*3', 'NB-BLK-A5 3'.
QUANTITY_AFTER_ITEM = re.compile(r"^(?P<item>\S.*?)(?:\s*\*\s*|\s+)(?P<quantity>\d{1,4})$")


def item_entry(text: str, quantity: str | None = None) -> tuple[str, str]:
    """What the item box holds: the item (a SKU code, part of it or of a name, or a promotion
    code) and the quantity, typed after it or else in the quantity field (1 when empty)."""
    text = (text or "").strip()
    typed = QUANTITY_AFTER_ITEM.match(text)
    if typed:
        return typed["item"], typed["quantity"]
    return text, quantity or "1"


def code_entered_message(code: str, refusal: str) -> tuple[str, str]:
    """The level and the message once a promotion code is on the order."""
    code = code.strip().upper()
    if refusal:
        return "warning", f"{code} is on the order but does not apply: {refusal}"
    return "success", f"{code} applied."


class PanelForm(forms.Form):
    """`success` is the message shown when `save` went through."""

    success = ""
    level = "success"  # of the message: "warning" when it went through but not as hoped
    closes_panel = True
    awaits_approval = False
    version = forms.IntegerField(required=False, min_value=0)

    def save(self, *, actor, order):
        raise NotImplementedError

    def address(self) -> dict:
        return {f: self.cleaned_data.get(f) or "" for f in services.ADDRESS_FIELDS}


class ShipToForm(PanelForm):
    success = "Ship-to saved."
    address_id = forms.IntegerField(required=False, min_value=1)
    method = forms.CharField(required=False, max_length=30)
    assign_lines = forms.BooleanField(required=False)
    save_to_book = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_address_fields())

    def save(self, *, actor, order):
        data = self.cleaned_data
        source = (
            {"address_id": data["address_id"]}
            if data["address_id"]
            else {"address": self.address(), "save_to_book": data["save_to_book"]}
        )
        return services.ship_to_add(
            actor=actor,
            order=order,
            shipping_method_code=data["method"] or None,
            assign_lines=data["assign_lines"],
            version=data["version"],
            **source,
        )


class BillingForm(PanelForm):
    """Bill-to and the card. A card number typed here is the card to charge, even when a
    stored card is selected: the CSR typed it because the caller gave a new one."""

    billing_address_id = forms.IntegerField(required=False, min_value=1)
    billing_same_as_ship = forms.BooleanField(required=False)
    payment_method = forms.IntegerField(required=False, min_value=1)
    card_number = forms.CharField(required=False, max_length=40)
    exp_month = forms.CharField(required=False, max_length=2)
    exp_year = forms.CharField(required=False, max_length=4)
    cvv = forms.CharField(required=False, max_length=4)
    save_card = forms.BooleanField(required=False)
    # Store credit to use (the card pays the rest); left empty, the applied credit stays.
    store_credit = forms.DecimalField(
        required=False, min_value=0, max_digits=14, decimal_places=2, label="Store credit"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_address_fields())

    def save(self, *, actor, order):
        self._save_bill_to(actor, order)
        credit = self.cleaned_data["store_credit"]
        if credit is not None:
            order = services.payment_set_store_credit(actor=actor, order=order, amount=credit)
        payment = self._save_payment(actor, order)
        if payment is not None:
            self.success = f"Billing and payment saved; {payment.label} will be charged."
        else:
            self.success = "Billing address saved."
        if credit:
            self.success += f" Store credit pays {credit}."

    def _save_bill_to(self, actor, order) -> None:
        data = self.cleaned_data
        if data["billing_address_id"]:
            services.billing_address_set(
                actor=actor, order=order, address_id=data["billing_address_id"]
            )
        elif data["billing_same_as_ship"] and order.current_ship_to_id:
            services.billing_address_set(actor=actor, order=order, same_as_ship_to=True)
        elif data["line1"]:
            services.billing_address_set(actor=actor, order=order, address=self.address())

    def _save_payment(self, actor, order):
        data = self.cleaned_data
        if data["card_number"]:
            return services.payment_set_card(
                actor=actor,
                order=order,
                card_number=data["card_number"],
                exp_month=data["exp_month"],
                exp_year=data["exp_year"],
                cvv=data["cvv"],
                save_to_customer=data["save_card"],
            )
        if data["payment_method"]:
            return services.payment_set_stored(
                actor=actor, order=order, payment_method_id=data["payment_method"]
            )
        return None


class PromoForm(PanelForm):
    """Enter a code, redeem a wallet coupon, or remove a code (from the cart, not the panel)."""

    code = forms.CharField(required=False, max_length=40)
    coupon_id = forms.IntegerField(required=False, min_value=1)
    remove_code = forms.CharField(required=False, max_length=40)

    def clean(self):
        data = super().clean()
        self.closes_panel = not data.get("remove_code")
        return data

    def save(self, *, actor, order):
        data = self.cleaned_data
        if data["remove_code"]:
            self.success = ""
            return services.promotion_code_remove(
                actor=actor, order=order, code=data["remove_code"]
            )
        if data["coupon_id"]:
            self.success = "Coupon redeemed."
            return services.coupon_redeem(actor=actor, order=order, coupon_id=data["coupon_id"])
        refusal = services.promotion_code_enter(
            actor=actor, order=order, code=data["code"], version=data["version"]
        )
        self.level, self.success = code_entered_message(data["code"], refusal)


class AdjustForm(PanelForm):
    success = "Adjustment applied."
    kind = forms.CharField(required=False, max_length=30)
    value = forms.CharField(required=False, max_length=20)
    reason_code = forms.CharField(required=False, max_length=20)
    comment = forms.CharField(required=False, max_length=500)
    line_id = forms.IntegerField(required=False, min_value=1)
    supervisor_username = forms.CharField(required=False, max_length=150)
    supervisor_password = forms.CharField(required=False, max_length=128, strip=False)

    def save(self, *, actor, order):
        data = self.cleaned_data
        adjustment = services.adjustment_add(
            actor=actor,
            order=order,
            kind=data["kind"],
            value=data["value"],
            reason_code=data["reason_code"],
            comment=data["comment"],
            line_id=data["line_id"],
            supervisor_username=data["supervisor_username"],
            supervisor_password=data["supervisor_password"],
            version=data["version"],
        )
        self.awaits_approval = adjustment.status == adjustment.Status.PENDING
        return adjustment


class CommentForm(PanelForm):
    success = "Comment saved."
    text = forms.CharField(required=False, max_length=2000)
    email_customer = forms.BooleanField(required=False)

    def save(self, *, actor, order):
        return services.comment_add(
            actor=actor,
            order=order,
            text=self.cleaned_data["text"],
            email_customer=self.cleaned_data["email_customer"],
        )


class GuestForm(PanelForm):
    success = "Guest details saved."
    first_name = forms.CharField(required=False, max_length=100)
    last_name = forms.CharField(required=False, max_length=100)
    email = forms.CharField(required=False, max_length=254)
    phone = forms.CharField(required=False, max_length=20)

    def save(self, *, actor, order):
        data = self.cleaned_data
        return services.cart_set_guest(
            actor=actor,
            order=order,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
            version=data["version"],
        )


# panel name -> (template, form)
PANELS: dict[str, tuple[str, type[PanelForm]]] = {
    "ship_to": ("orders/panels/ship_to.html", ShipToForm),
    "billing": ("orders/panels/billing.html", BillingForm),
    "promo": ("orders/panels/promo.html", PromoForm),
    "adjust": ("orders/panels/adjust.html", AdjustForm),
    "comment": ("orders/panels/comment.html", CommentForm),
    "guest": ("orders/panels/guest.html", GuestForm),
}


def form_errors(form: forms.Form) -> dict[str, str]:
    """The first message per field, in the shape the panels show (field name -> message)."""
    return {name: str(errors[0]) for name, errors in form.errors.items()}
