from django.contrib import admin

from core.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Runs are recorded by core.jobs only: read-only here."""

    list_display = ["job", "status", "started_at", "finished_at", "triggered_by", "counts", "error"]
    list_filter = ["job", "status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
