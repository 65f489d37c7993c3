"""Screen forms: they parse input; the services validate business rules and name bad fields."""

from django import forms
from django.conf import settings
from django_countries import countries

from customers.models import Gender, IncomeBand, Organization, Segment
from customers.services import CustomerInvalid

BLANK = [("", "—")]


class ServiceErrorsMixin:
    """Put a service's per-field errors on the form; unknown fields become form errors."""

    def add_service_errors(self, exc: CustomerInvalid, *, prefix_map: dict | None = None):
        prefix_map = prefix_map or {}
        for field, messages in exc.errors.items():
            name = prefix_map.get(field, field)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


def _address_fields(prefix: str = "", required: bool = True) -> dict:
    return {
        f"{prefix}nickname": forms.CharField(
            label="Nickname", max_length=50, required=required, initial="Home" if prefix else ""
        ),
        f"{prefix}line1": forms.CharField(label="Street address", max_length=200, required=False),
        f"{prefix}line2": forms.CharField(label="Apt, suite", max_length=200, required=False),
        f"{prefix}city": forms.CharField(label="City", max_length=100, required=False),
        f"{prefix}region": forms.CharField(label="Province / state", max_length=50, required=False),
        f"{prefix}postal_code": forms.CharField(
            label="Postal code / ZIP", max_length=20, required=False
        ),
        f"{prefix}country": forms.CharField(
            label="Country",
            max_length=60,
            required=False,
            initial=settings.STORE_COUNTRY,
            widget=forms.TextInput(attrs={"list": "countries", "autocomplete": "off"}),
        ),
        f"{prefix}phone": forms.CharField(label="Address phone", max_length=30, required=False),
    }


class CustomerCreateForm(ServiceErrorsMixin, forms.Form):
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    logon_id = forms.CharField(label="Logon ID", max_length=150, required=False)
    password = forms.CharField(
        max_length=128, required=False, widget=forms.PasswordInput(render_value=True)
    )
    email = forms.CharField(label="E-mail", max_length=254, required=False)
    phone = forms.CharField(max_length=30, required=False)
    preferred_currency = forms.CharField(
        label="Currency", max_length=3, initial=settings.STORE_CURRENCY, required=False
    )
    preferred_language = forms.ChoiceField(
        label="Language", choices=[("en", "English"), ("fr", "French"), ("es", "Spanish")]
    )
    challenge_question = forms.CharField(max_length=200, required=False)
    challenge_answer = forms.CharField(max_length=200, required=False)
    gender = forms.ChoiceField(choices=BLANK + Gender.choices, required=False)
    date_of_birth = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Date of birth"
    )
    income_band = forms.ChoiceField(choices=BLANK + IncomeBand.choices, required=False)
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.all(), required=False, empty_label="—"
    )
    segments = forms.ModelMultipleChoiceField(
        queryset=Segment.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_address_fields("address_", required=False))

    def address_data(self) -> dict | None:
        data = {
            key.removeprefix("address_"): value
            for key, value in self.cleaned_data.items()
            if key.startswith("address_")
        }
        meaningful = {k: v for k, v in data.items() if v and k not in {"nickname", "country"}}
        return data if meaningful else None

    def service_kwargs(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("address_")}
        data["segments"] = list(data.get("segments") or [])
        data["address"] = self.address_data()
        return data


class ProfileForm(ServiceErrorsMixin, forms.Form):
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    logon_id = forms.CharField(label="Logon ID", max_length=150, required=False)
    email = forms.CharField(label="E-mail", max_length=254, required=False)
    phone = forms.CharField(max_length=30, required=False)
    preferred_currency = forms.CharField(label="Currency", max_length=3, required=False)
    preferred_language = forms.ChoiceField(
        label="Language", choices=[("en", "English"), ("fr", "French"), ("es", "Spanish")]
    )
    challenge_question = forms.CharField(max_length=200, required=False)
    challenge_answer = forms.CharField(
        max_length=200, required=False, help_text="Leave empty to keep the current answer"
    )
    gender = forms.ChoiceField(choices=BLANK + Gender.choices, required=False)
    date_of_birth = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Date of birth"
    )
    income_band = forms.ChoiceField(choices=BLANK + IncomeBand.choices, required=False)
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.all(), required=False, empty_label="—"
    )

    @classmethod
    def for_customer(cls, customer):
        initial = {
            name: getattr(customer, name) for name in cls.base_fields if name != "challenge_answer"
        }
        initial["phone"] = customer.phone_display  # as every screen shows it; saved as E.164
        return cls(initial=initial, prefix="profile")

    def changed_values(self) -> dict:
        data = dict(self.cleaned_data)
        if not data.get("challenge_answer"):
            data.pop("challenge_answer", None)
        return data


class AddressForm(ServiceErrorsMixin, forms.Form):
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    default_billing = forms.BooleanField(required=False, label="Default billing")
    default_shipping = forms.BooleanField(required=False, label="Default shipping")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = _address_fields()
        defaults = {k: self.fields.pop(k) for k in ("default_billing", "default_shipping")}
        self.fields = {"nickname": fields.pop("nickname"), **self.fields, **fields, **defaults}

    def address_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("default_billing", None)
        data.pop("default_shipping", None)
        for key in ("first_name", "last_name"):
            if not data.get(key):
                data.pop(key, None)
        return data


class DisableForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False, label="Reason")


class CardForm(ServiceErrorsMixin, forms.Form):
    """Typed card details live only for this request: they go to the gateway for a token."""

    card_number = forms.CharField(
        max_length=30, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    exp_month = forms.CharField(label="MM", max_length=2, required=False)
    exp_year = forms.CharField(label="YYYY", max_length=4, required=False)
    cvv = forms.CharField(
        label="CVV",
        max_length=4,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    billing_address = forms.IntegerField(required=False, widget=forms.Select)
    make_default = forms.BooleanField(required=False, label="Make default")


class SetPasswordForm(ServiceErrorsMixin, forms.Form):
    """The customer's own page (the e-mailed link): the new password, typed twice."""

    new_password = forms.CharField(
        label="New password",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm_password = forms.CharField(
        label="The same again",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", "The two passwords differ; type them again.")
        return data


def country_choices():
    return list(countries)
