from django import forms
from django.contrib import admin
from django.contrib.auth import password_validation

from core import staff
from core.models import JobRun, StaffEvent, StaffUser
from core.roles import GRANTABLE_PERMISSIONS, Role, StaffPerm


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Runs are recorded by core.jobs only: read-only here."""

    list_display = ["job", "status", "started_at", "finished_at", "triggered_by", "counts", "error"]
    list_filter = ["job", "status", "started_at"]
    search_fields = ["job", "error"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(role.value, role.value) for role in Role]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(groups__name=self.value())
        return queryset


class StaffUserForm(forms.ModelForm):
    """Name, e-mail, active, the four roles, the grantable permissions and a new password;
    nothing else of a user (no superuser status, no other permission, no other group)."""

    roles = forms.MultipleChoiceField(
        choices=[(role.value, role.value) for role in Role],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="What the user may do comes from these roles. A CSR's adjustment limits "
        "are those of the CSR role (Pricing › Adjustment limits).",
    )
    grants = forms.MultipleChoiceField(
        choices=[(str(perm), label) for perm, label in GRANTABLE_PERMISSIONS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Also may",
        help_text="The only permissions given one user on top of their roles. Appeasement "
        "coupons count against the adjustment limits of the user's roles.",
    )
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        strip=False,
        label="New password",
        help_text="Required for a new user; on an existing user, sets a new password.",
    )

    class Meta:
        model = StaffUser
        fields = ["username", "first_name", "last_name", "email", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = [r.value for r in staff.roles_of(self.instance)]
            self.fields["grants"].initial = staff.grants_of(self.instance)
            self.fields["username"].disabled = True
        else:
            self.fields["password"].required = True

    def clean_password(self):
        """The password rules at the field (core.staff checks them again on save)."""
        password = self.cleaned_data["password"]
        if password:
            password_validation.validate_password(password, self.instance)
        return password

    def clean_is_active(self):
        is_active = self.cleaned_data["is_active"]
        if not is_active and self.instance.pk == self.actor.pk:
            raise forms.ValidationError("You cannot disable yourself.")
        return is_active


@admin.register(StaffUser)
class StaffUserAdmin(admin.ModelAdmin):
    """Store admins manage staff here (core.staff does the writes and the audit); superusers
    are not listed. Users are disabled, never deleted (their names stay on orders and audit
    rows)."""

    form = StaffUserForm
    list_display = ["username", "first_name", "last_name", "email", "role_names", "is_active"]
    list_filter = ["is_active", RoleFilter, "last_login", "date_joined"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering = ["username"]
    fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "roles",
        "grants",
        "is_active",
        "password",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_superuser=False).prefetch_related("groups")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # the form refuses disabling oneself
        return form

    def _may_manage(self, request) -> bool:
        return request.user.has_perm(str(StaffPerm.MANAGE_STAFF))

    def has_module_permission(self, request):
        return self._may_manage(request)

    def has_view_permission(self, request, obj=None):
        return self._may_manage(request)

    def has_add_permission(self, request):
        return self._may_manage(request)

    def has_change_permission(self, request, obj=None):
        return self._may_manage(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="roles")
    def role_names(self, obj):
        return ", ".join(role.value for role in staff.roles_of(obj))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        profile = {name: data[name] for name in staff.PROFILE_FIELDS}
        if change:
            staff.staff_update(
                actor=request.user,
                user=obj,
                roles=data["roles"],
                grants=data["grants"],
                is_active=data["is_active"],
                password=data["password"],
                **profile,
            )
        else:
            user = staff.staff_create(
                actor=request.user,
                username=data["username"],
                roles=data["roles"],
                grants=data["grants"],
                password=data["password"],
                **profile,
            )
            obj.pk = obj.id = user.pk

    def save_related(self, request, form, formsets, change):
        pass  # the roles were set by core.staff


@admin.register(StaffEvent)
class StaffEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "event_label", "actor", "user", "data"]
    list_select_related = ["actor", "user"]
    list_filter = ["event_type", "occurred_at"]
    search_fields = ["user__username", "actor__username"]

    def has_module_permission(self, request):
        return request.user.has_perm(str(StaffPerm.MANAGE_STAFF))

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(str(StaffPerm.MANAGE_STAFF))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
