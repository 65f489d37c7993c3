from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from core.cache import CacheVersion

# Bumped by core.apps on any change to users' groups, groups' permissions or direct grants.
PERMISSIONS_VERSION = CacheVersion("auth:permissions")
PERMISSIONS_TTL = 3600


class CachedPermissionsBackend(ModelBackend):
    """Django's model permissions, read from the cache: every screen and API call checks a
    role, and without this each request costs two permission queries."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            key = f"perms:{PERMISSIONS_VERSION.current()}:{user_obj.pk}:{user_obj.is_superuser}"
            perms = cache.get(key)
            if perms is None:
                perms = super().get_all_permissions(user_obj)
                cache.set(key, perms, PERMISSIONS_TTL)
            user_obj._perm_cache = perms
        return user_obj._perm_cache


class RefuseDemoPasswordBackend(CachedPermissionsBackend):
    """Production login: the documented demo password never opens a session."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password == settings.DEMO_PASSWORD:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
