"""What every CSV import/export (django-import-export) of the store admin shares.

An import is all or nothing: any row error or validation error rolls the whole file back, and
the admin lists every bad row with its line before anything can be confirmed. Rows name related
rows by their codes (never by database id), so a file exported from one database imports into
another; exports are ordered by those codes, so exporting again gives the same file.
"""

from import_export import fields, resources
from import_export.widgets import DateTimeWidget, ForeignKeyWidget, ManyToManyWidget

DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


class StrictForeignKey(ForeignKeyWidget):
    """A code that names nothing is a row error (not a silent empty value)."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            return super().clean(value, row=row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(
                f"There is no {self.model._meta.verbose_name} with code {value!r}."
            ) from None
        except self.model.MultipleObjectsReturned:
            raise ValueError(
                f"More than one {self.model._meta.verbose_name} is named {value!r}; "
                "rename one of them first."
            ) from None


class CodeList(ManyToManyWidget):
    """Related rows as their codes separated by ";" ("gold;silver"); an unknown code is a row
    error. Exported sorted, so the same rows give the same text."""

    def clean(self, value, row=None, **kwargs):
        codes = [c.strip() for c in str(value or "").split(";") if c.strip()]
        found = list(self.model.objects.filter(**{f"{self.field}__in": codes}))
        missing = set(codes) - {str(getattr(obj, self.field)) for obj in found}
        if missing:
            name = self.model._meta.verbose_name
            raise ValueError(f"Unknown {name} code(s): {', '.join(sorted(missing))}.")
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return ";".join(sorted(str(getattr(related, self.field)) for related in value.all()))


class Dates(DateTimeWidget):
    """Accepts the usual spellings of a date or a date and time (DATETIME_FORMATS)."""

    def clean(self, value, row=None, **kwargs):
        for fmt in DATETIME_FORMATS:
            self.formats = (fmt,)
            try:
                return super().clean(value, row=row, **kwargs)
            except ValueError:
                continue
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM).")


def date_field(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=Dates())


def code_field(name: str, model, code: str = "code") -> fields.Field:
    """A foreign key written as the related row's code."""
    return fields.Field(attribute=name, column_name=name, widget=StrictForeignKey(model, code))


def codes_field(name: str, model, code: str = "code") -> fields.Field:
    """A many-to-many written as the related rows' codes ("a;b")."""
    return fields.Field(attribute=name, column_name=name, widget=CodeList(model, field=code))


class AllOrNothingResource(resources.ModelResource):
    """Any row error or validation error rolls the whole import back (the admin does the same
    on confirm; this makes direct and command-line imports behave alike). Subclasses set
    `export_ordering`: natural keys, so an export does not depend on database ids."""

    export_ordering: tuple[str, ...] = ()
    # Columns with no model attribute of their own (exported by `dehydrate_<column>`, written by
    # the resource's after_save_instance): a row that changes only them is not "unchanged".
    text_columns: tuple[str, ...] = ()

    def import_data(self, dataset, **kwargs):
        kwargs.setdefault("use_transactions", True)
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().import_data(dataset, **kwargs)

    def filter_export(self, queryset, **kwargs):
        return queryset.order_by(*self.export_ordering)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if original.pk is not None:
            for column in self.text_columns:
                exported = self.export_field(self.fields[column], original)
                if column in row and (row[column] or "") != exported:
                    return False
        return super().skip_row(instance, original, row, import_validation_errors)
