import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from core.api import error_body

logger = logging.getLogger(__name__)


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # report, never raise: this is what a load balancer polls
        logger.warning("healthz: database check failed: %s", exc)
        return f"error: {exc.__class__.__name__}"


def _redis_status() -> str:
    if not settings.REDIS_URL:
        return "not configured (tasks run in-process)"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
        return "ok"
    except Exception as exc:
        logger.warning("healthz: redis check failed: %s", exc)
        return f"error: {exc.__class__.__name__}"


@login_not_required
@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database_status(), "redis": _redis_status()}
    healthy = all(not value.startswith("error") for value in checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unhealthy",
            "database_vendor": connection.vendor,
            **checks,
        },
        status=200 if healthy else 503,
    )


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    permissions = serializers.ListField(child=serializers.CharField())


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def api_me(request):
    """Who is calling, and which roles and desk permissions they hold."""
    user = request.user
    return Response(
        MeSerializer(
            {
                "username": user.get_username(),
                "name": user.get_full_name(),
                "roles": sorted(user.groups.values_list("name", flat=True)),
                "permissions": sorted(
                    p for p in user.get_all_permissions() if p.startswith("core.")
                ),
            }
        ).data
    )


def _error_page(request, status: int, title: str, message: str):
    if request.path_info.startswith("/api/"):
        return JsonResponse(error_body(message, title.lower().replace(" ", "_")), status=status)
    return render(
        request, "error.html", {"status": status, "title": title, "message": message}, status=status
    )


@login_not_required
def page_not_found(request, exception=None):
    return _error_page(request, 404, "Not found", "There is nothing at this address.")


@login_not_required
def permission_denied(request, exception=None):
    return _error_page(
        request, 403, "Not allowed", "Your role does not include this screen. Ask a supervisor."
    )


@login_not_required
def server_error(request):
    """Rendered without context processors: whatever broke (the database?) may break them too."""
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            error_body("Something went wrong on our side. Try again.", "server_error"), status=500
        )
    return HttpResponseServerError(loader.get_template("500.html").render())


@login_not_required
def bad_request(request, exception=None):
    return _error_page(request, 400, "Bad request", "The request could not be understood.")
