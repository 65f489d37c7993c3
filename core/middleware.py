import time
from contextvars import ContextVar

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every screen needs a login (Django 5.1's middleware), except the API and its schema.

    The API authenticates per request (session or token) in DRF and answers 401/403 as JSON;
    a redirect to the login page would be wrong for an API client.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(("/api/v1/", "/api/schema/")):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


_current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def current_request() -> HttpRequest | None:
    """The request being served, for a credential check deep in a service (the supervisor's
    password on an over-limit adjustment) that django-axes must count as a login attempt.
    None outside a request (a shell, a job)."""
    return _current_request.get()


class CurrentRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


# The last-activity stamp is rewritten at most this often, so most requests save no session.
ACTIVITY_STAMP_SECONDS = 60


class SessionIdleTimeoutMiddleware:
    """Shared call-center desks: a session unused for SESSION_IDLE_TIMEOUT_MINUTES is logged out
    (the next screen asks for the password again). Token-authenticated API calls have no session
    and are not affected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get("last_activity")
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT_MINUTES * 60:
                logout(request)
            elif last is None or now - last >= ACTIVITY_STAMP_SECONDS:
                request.session["last_activity"] = now
        return self.get_response(request)
