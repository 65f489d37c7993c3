"""Forms of the auctions screens: one per panel; they parse, the services decide."""

from django import forms


class CustomerForm(forms.Form):
    customer = forms.CharField(
        label="Customer (logon ID, e-mail or number)", max_length=150, required=False
    )


class BidForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    price = forms.DecimalField(label="Bid", max_digits=14, decimal_places=2, required=False)
    max_price = forms.DecimalField(
        label="Autobid up to", max_digits=14, decimal_places=2, required=False
    )
    quantity = forms.IntegerField(label="Quantity", min_value=1, initial=1)
    accept_partial = forms.BooleanField(label="Accepts part of it", required=False)
    ship_to = forms.IntegerField(label="Ship to")
    payment_method = forms.IntegerField(label="Card")


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=255)


class RetryForm(forms.Form):
    payment_method = forms.IntegerField(label="Card")


class NoteForm(forms.Form):
    note = forms.CharField(label="What you found", max_length=255)
