"""Django admin for store admins: customers (addresses inline, stored cards read-only),
segments, organizations. List pages use select_related / annotations (no N+1) and skip the
full COUNT(*) on the customer list, which is a million rows in production."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from import_export.admin import ImportExportModelAdmin

from customers import services
from customers.models import (
    Address,
    Customer,
    CustomerEvent,
    Organization,
    PaymentMethod,
    Segment,
)
from customers.phones import normalize_phone
from customers.resources import CustomerResource
from customers.services import ADDRESS_FIELDS, CUSTOMER_FIELDS


class AddressFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        for flag, label in (("is_default_billing", "billing"), ("is_default_shipping", "shipping")):
            count = sum(
                1
                for form in self.forms
                if form.cleaned_data
                and not form.cleaned_data.get("DELETE")
                and form.cleaned_data.get(flag)
            )
            if count > 1:
                raise ValidationError(f"Only one address can be the default {label} address.")


class AddressInline(admin.TabularInline):
    model = Address
    formset = AddressFormSet
    extra = 0
    fields = [*ADDRESS_FIELDS, "is_default_billing", "is_default_shipping"]


class PaymentMethodInline(admin.TabularInline):
    """Read-only: cards are added at the desk through the gateway, never typed in here."""

    model = PaymentMethod
    fk_name = "customer"
    extra = 0
    can_delete = False
    fields = ["brand", "last4", "expiry", "masked_token", "billing_address", "is_default"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Gateway token")
    def masked_token(self, obj):
        return f"{obj.gateway_token[:12]}…" if obj.gateway_token else ""

    @admin.display(description="Expiry")
    def expiry(self, obj):
        return obj.expiry


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [*CUSTOMER_FIELDS, "segments", "is_enabled", "disabled_reason"]

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data.get("phone", ""))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


@admin.register(Customer)
class CustomerAdmin(ImportExportModelAdmin):
    resource_classes = [CustomerResource]
    form = CustomerAdminForm
    list_display = [
        "logon_id",
        "last_name",
        "first_name",
        "email",
        "phone",
        "organization",
        "is_enabled",
        "created_at",
    ]
    list_filter = ["is_enabled", "must_change_password", "segments", "organization", "created_at"]
    search_fields = ["^logon_id", "^last_name", "^first_name", "^email", "phone_digits"]
    search_help_text = "Logon ID, last or first name, e-mail (starts with), or phone digits."
    list_select_related = ["organization"]
    show_full_result_count = False
    autocomplete_fields = ["organization"]
    filter_horizontal = ["segments"]
    readonly_fields = ["must_change_password", "created_at", "modified_at"]
    inlines = [AddressInline, PaymentMethodInline]
    list_per_page = 50

    def save_model(self, request, obj, form, change):
        changes = {
            name: {"old": str(form.initial.get(name, "")), "new": str(form.cleaned_data[name])}
            for name in form.changed_data
            if name != "segments"
        }
        services.customer_save_in_admin(
            actor=request.user,
            customer=obj,
            created=not change,
            changed_fields=form.changed_data,
            changes=changes,
        )


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "member_count"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_members=Count("customers"))

    @admin.display(description="Members", ordering="_members")
    def member_count(self, obj):
        return obj._members


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "account_number", "credit_limit", "member_count"]
    search_fields = ["name", "account_number"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_members=Count("members"))

    @admin.display(description="Members", ordering="_members")
    def member_count(self, obj):
        return obj._members


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin):
    """Read-only view of stored cards (brand, last 4, expiry; the token masked)."""

    list_display = ["customer", "brand", "last4", "expiry", "is_default"]
    list_filter = ["brand", "is_default"]
    list_select_related = ["customer"]
    search_fields = ["^customer__logon_id", "=last4"]
    show_full_result_count = False
    fields = ["customer", "brand", "last4", "exp_month", "exp_year", "masked_token", "is_default"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Gateway token")
    def masked_token(self, obj):
        return f"{obj.gateway_token[:12]}…"

    @admin.display(description="Expiry")
    def expiry(self, obj):
        return obj.expiry


@admin.register(CustomerEvent)
class CustomerEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "customer", "event_label", "actor", "summary"]
    list_select_related = ["customer", "actor"]
    list_filter = ["event_type", "occurred_at"]
    search_fields = ["^customer__logon_id"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
