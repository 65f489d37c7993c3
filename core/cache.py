"""Versioned cache keys: a bump makes every process read afresh on its next use."""

import uuid

from django.conf import settings
from django.core.cache import cache


def _version_ttl() -> int | None:
    """A shared cache (Redis) carries a bump to every process at once. A per-process cache
    (local memory, the no-Redis default) cannot, so there the version expires every 30 s:
    another process sees a change within 30 s at most."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return 30 if backend.endswith("LocMemCache") else None


class CacheVersion:
    """A named version: keys built with `current()` go stale together on `bump()`."""

    def __init__(self, name: str) -> None:
        self.key = f"{name}:version"

    def current(self) -> str:
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, uuid.uuid4().hex, _version_ttl())
            version = cache.get(self.key)
        return version

    def bump(self, **_signal_kwargs) -> None:
        cache.set(self.key, uuid.uuid4().hex, _version_ttl())
