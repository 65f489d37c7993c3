import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from core import security as security_service
from core.api import error_body
from core.errors import DomainError
from core.roles import Perm

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
    """Up or down for a load balancer; the checks behind it only for operations staff."""
    checks = {"database": _database_status(), "redis": _redis_status()}
    healthy = all(not value.startswith("error") for value in checks.values())
    body = {"status": "ok" if healthy else "unhealthy"}
    if request.user.has_perm(Perm.RUN_OPERATIONS):
        body.update(database_vendor=connection.vendor, **checks)
    return JsonResponse(body, status=200 if healthy else 503)


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


class TokenIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenOut(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`")


class LoginThrottle(ScopedRateThrottle):
    scope = "login"


@extend_schema(request=TokenIn, responses={200: TokenOut}, auth=[], summary="Get an API token")
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([LoginThrottle])
def api_token(request):
    """A staff user's API token. Wrong passwords count towards the login lockout (django-axes)."""
    data = TokenIn(data=request.data)
    data.is_valid(raise_exception=True)
    # The Django request: django-axes keeps its counters and lockout flag on it.
    user = authenticate(
        request._request,
        username=data.validated_data["username"],
        password=data.validated_data["password"],
    )
    if user is None or not user.is_active:
        raise DomainError("Those credentials are not valid.", field="password")
    token, _ = Token.objects.get_or_create(user=user)
    return Response(TokenOut({"token": token.key}).data)


LOCKED_OUT_MESSAGE = (
    "Too many failed log-ins for this user name or from this address. Try again in {minutes} "
    "minutes, or ask a supervisor to unlock it on the Security screen."
)


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out user name or address (AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = LOCKED_OUT_MESSAGE.format(minutes=minutes)
    if request.path_info.startswith("/api/"):
        return JsonResponse(error_body(message, "locked_out"), status=429)
    return render(
        request,
        "error.html",
        {"status": 429, "title": "Locked out", "message": message},
        status=429,
    )


def _may_unlock(user) -> bool:
    return user.has_perm(Perm.SUPERVISE) or user.has_perm(Perm.MANAGE_STORE)


@never_cache
def security(request):
    """Locked-out log-ins (supervisors, store admins) and open sessions (store admins)."""
    if not _may_unlock(request.user):
        raise PermissionDenied
    may_end_sessions = request.user.has_perm(Perm.MANAGE_STORE)
    return render(
        request,
        "core/security.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            "sessions": security_service.open_sessions() if may_end_sessions else None,
        },
    )


@require_POST
def unlock(request):
    if not _may_unlock(request.user):
        raise PermissionDenied
    username = request.POST.get("username", "").strip()
    ip_address = request.POST.get("ip_address", "").strip()
    if username or ip_address:
        security_service.unlock(username=username, ip_address=ip_address)
        messages.success(request, f"Unlocked {username or ip_address}: they can log in again.")
    return redirect("security")


@require_POST
def end_session(request):
    if not request.user.has_perm(Perm.MANAGE_STORE):
        raise PermissionDenied
    security_service.end_session(request.POST.get("session_key", ""))
    messages.success(request, "Session ended: that desk must log in again.")
    return redirect("security")


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
