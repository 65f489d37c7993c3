"""Suite-wide fixtures. The database is whatever DATABASE_URL names (PostgreSQL in CI)."""

import os

import pytest
from django.contrib.auth.models import Group

from core.roles import Role

# Benchmarks build large data sets and run only under `make bench` (BENCH=1).
collect_ignore_glob = [] if os.environ.get("BENCH") else ["bench/*"]


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    redis = settings.REDIS_URL or "not set (integration tests with a worker are skipped)"
    return [f"database: {engine} ({settings.DATABASES['default'].get('NAME')})", f"redis: {redis}"]


@pytest.fixture(autouse=True)
def _celery_join_flag_reset():
    """Celery's "inside a task" flag is a process global, set and restored around every eager
    task. Eager tasks run from two threads at once (the concurrency tests) can restore it in
    the wrong order and leave it set, after which any `result.get()` in a later test refuses
    ("Never call result.get() within a task!"). Each test starts with it cleared."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: on SQLite a rolled-back test's ids are used again,
    so a cached permission set or pricing rule could otherwise belong to another test's row."""
    from django.core.cache import cache

    cache.clear()


def make_staff(django_user_model, username: str, role: Role | None, **extra):
    user = django_user_model.objects.create_user(
        username=username, password="pw-" + username, first_name=username.title(), **extra
    )
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
    return user


@pytest.fixture
def csr(db, django_user_model):
    return make_staff(django_user_model, "csr1", Role.CSR)


@pytest.fixture
def supervisor(db, django_user_model):
    return make_staff(django_user_model, "super1", Role.SUPERVISOR)


@pytest.fixture
def store_admin(db, django_user_model):
    return make_staff(django_user_model, "admin1", Role.STORE_ADMIN, is_staff=True)


@pytest.fixture
def operations(db, django_user_model):
    return make_staff(django_user_model, "ops1", Role.OPERATIONS)


@pytest.fixture
def nobody(db, django_user_model):
    """A signed-in staff user with no role."""
    return make_staff(django_user_model, "norole", None)


@pytest.fixture
def csr_client(client, csr):
    client.force_login(csr)
    return client


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


def _database_engine() -> str:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"]


def pytest_collection_modifyitems(config, items):
    """`postgres` tests need PostgreSQL; `integration` tests need REDIS_URL. Say so when skipped."""
    from django.conf import settings

    on_postgres = "postgresql" in _database_engine()
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
            )
        if "integration" in item.keywords and not settings.REDIS_URL:
            item.add_marker(
                pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
            )
