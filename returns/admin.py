"""Django admin for store admins: the reason codes and the return policy (automatic approval,
expiry). Returns themselves are written by the services only: read-only here."""

from django.contrib import admin

from returns.models import ReturnEvent, ReturnLine, ReturnPolicy, ReturnReason, ReturnRequest


@admin.register(ReturnReason)
class ReturnReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "is_active", "position"]
    list_editable = ["is_active", "position"]


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "auto_approve",
        "auto_approve_within_days",
        "refund_shipping",
        "advance_credit",
        "expire_after_days",
    ]
    filter_horizontal = ["non_creditable_skus"]

    def has_add_permission(self, request):
        return not ReturnPolicy.objects.exists()


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReturnLineInline(_ReadOnlyInline):
    model = ReturnLine
    fields = ["kind", "sku", "description", "quantity", "reason", "refund_amount"]


class ReturnEventInline(_ReadOnlyInline):
    model = ReturnEvent
    fields = ["occurred_at", "event_type", "actor", "data"]


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = ["rma_number", "status", "order", "customer", "created_at"]
    list_filter = ["status"]
    search_fields = ["rma_number", "order__number", "guest_email", "customer__email"]
    inlines = [ReturnLineInline, ReturnEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
