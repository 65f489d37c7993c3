"""CSV import/export (django-import-export) for customers.

An import is all or nothing: any row error or validation error rolls the whole file back, and
the admin lists every bad row with its line before anything can be confirmed. Rows are matched
on logon ID (a known logon ID updates that customer). Phones are normalised to E.164 like on the
desk; an organization is named by account number and segments by their codes ("gold;silver").
New customers get an unusable password and must set one (a CSR resets it for them).
"""

from django.contrib.auth.hashers import make_password
from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget, ManyToManyWidget

from customers import services
from customers.models import Customer, Organization, Segment
from customers.phones import normalize_phone


class _StrictForeignKey(ForeignKeyWidget):
    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            return super().clean(value, row=row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(f"There is no organization with account number {value!r}.") from None


class _StrictManyToMany(ManyToManyWidget):
    def clean(self, value, row=None, **kwargs):
        codes = [c.strip() for c in str(value or "").replace(",", ";").split(";") if c.strip()]
        found = list(self.model.objects.filter(**{f"{self.field}__in": codes}))
        missing = set(codes) - {getattr(s, self.field) for s in found}
        if missing:
            raise ValueError(f"Unknown segment code(s): {', '.join(sorted(missing))}.")
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return ";".join(getattr(s, self.field) for s in value.all())


class _Phone(fields.Field):
    def clean(self, row, **kwargs):
        value = super().clean(row, **kwargs)
        try:
            return normalize_phone(value or "")
        except ValueError as exc:
            raise ValueError(f"phone {value!r}: {exc}") from None


class CustomerResource(resources.ModelResource):
    organization = fields.Field(
        attribute="organization",
        column_name="account_number",
        widget=_StrictForeignKey(Organization, "account_number"),
    )
    segments = fields.Field(
        attribute="segments",
        column_name="segments",
        widget=_StrictManyToMany(Segment, field="code"),
    )
    phone = _Phone(attribute="phone", column_name="phone")

    class Meta:
        model = Customer
        import_id_fields = ["logon_id"]
        fields = [
            "logon_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "preferred_currency",
            "preferred_language",
            "organization",
            "segments",
            "is_enabled",
            "disabled_reason",
        ]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False
        use_transactions = True

    def import_data(self, dataset, **kwargs):
        kwargs.setdefault("use_transactions", True)
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().import_data(dataset, **kwargs)

    def get_queryset(self):
        return Customer.objects.select_related("organization").prefetch_related("segments")

    def init_instance(self, row=None):
        instance = super().init_instance(row)
        instance.password = make_password(None)
        instance.must_change_password = True
        return instance

    def after_save_instance(self, instance, row, **kwargs):
        if kwargs.get("dry_run"):
            return
        services.customer_record_import(actor=kwargs.get("user"), customer=instance, row=row)
