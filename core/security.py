"""Locked-out log-ins (django-axes) and open desk sessions: the Security screen unlocks a user
name or an address and ends a session."""

from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from axes.utils import reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone


def unlock(*, username: str = "", ip_address: str = "") -> int:
    """Forget the failed log-ins of a user name or an address (counted in the cache)."""
    if username:
        return reset(username=username)
    return reset(ip=ip_address)


@dataclass(frozen=True)
class OpenSession:
    key: str
    user: object
    last_activity: datetime | None
    expires: datetime


def open_sessions() -> list[OpenSession]:
    """Unexpired sessions of signed-in staff, most recently active first."""
    sessions = []
    users = {}
    for session in Session.objects.filter(expire_date__gt=timezone.now()):
        data = session.get_decoded()
        user_id = data.get("_auth_user_id")
        if user_id is None:
            continue
        users.setdefault(user_id, None)
        stamp = data.get("last_activity")
        sessions.append(
            (
                session.session_key,
                user_id,
                datetime.fromtimestamp(stamp, tz=timezone.get_current_timezone())
                if stamp
                else None,
                session.expire_date,
            )
        )
    by_id = {str(u.pk): u for u in get_user_model().objects.filter(pk__in=list(users))}
    found = [
        OpenSession(key, by_id[user_id], last, expires)
        for key, user_id, last, expires in sessions
        if user_id in by_id
    ]
    return sorted(found, key=lambda s: s.last_activity or s.expires, reverse=True)


def end_session(session_key: str) -> None:
    """Log that session out now (from the cache and the database alike)."""
    import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).delete()
