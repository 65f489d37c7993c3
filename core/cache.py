"""The Redis cache backend, and versioned cache keys: a bump makes every process read afresh on
its next use."""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    """Django's client makes a new `redis.Redis` for every cache operation, and setting one up
    (its ~170 response callbacks) cost more CPU than the round trip; a request makes six. This
    one keeps one per connection pool (a client is safe to share; the pool hands out sockets)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """`BACKEND` of the default cache when REDIS_URL is set."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient


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
