"""The Redis cache backend (REDIS_URL set): what Django's does, with one client per server."""

import pytest
from django.conf import settings

from core.cache import RedisCache

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_cache():
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-redis-cache"})
    yield cache
    cache.clear()


def test_values_are_stored_read_added_and_deleted_on_redis(redis_cache):
    redis_cache.set("basket", {"sku": "NB-BLK-A5", "quantity": 2}, 30)
    assert redis_cache.get("basket") == {"sku": "NB-BLK-A5", "quantity": 2}
    assert redis_cache.add("basket", "other") is False
    assert redis_cache.add("hits", 1) is True and redis_cache.incr("hits") == 2
    redis_cache.delete("basket")
    assert redis_cache.get("basket") is None


def test_every_operation_uses_the_same_client_rather_than_making_one(redis_cache):
    client = redis_cache._cache.get_client()
    redis_cache.set("one", 1)
    redis_cache.get("one")
    assert redis_cache._cache.get_client(write=True) is client
    assert redis_cache._cache.get_client() is client
