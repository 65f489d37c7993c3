import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    full_env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = run_manage(
        "check", DJANGO_SETTINGS_MODULE="config.settings.production", ALLOWED_HOSTS="x"
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "SECRET_KEY" in result.stderr


def test_a_malformed_database_url_is_one_clear_line():
    result = run_manage("check", DATABASE_URL="mysqlx://nope")
    assert result.returncode == 2
    assert result.stderr.startswith("error: configuration error: DATABASE_URL=")
    assert result.stderr.strip().count("\n") == 0


def test_an_unreachable_database_is_one_clear_line():
    result = run_manage("migrate", DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot use the database:")
    assert "DATABASE_URL" in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_an_unreachable_redis_is_one_clear_line():
    result = run_manage("preflight", REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode != 0
    assert "cannot reach Redis" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_production_refuses_the_demo_password(settings, csr):
    from core.auth import RefuseDemoPasswordBackend

    csr.set_password(settings.DEMO_PASSWORD)
    csr.save()
    backend = RefuseDemoPasswordBackend()
    assert backend.authenticate(None, username="csr1", password=settings.DEMO_PASSWORD) is None


@pytest.mark.django_db
def test_demo_data_is_refused_where_not_allowed(settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="refused"):
        call_command("load_demo_data")


@pytest.mark.django_db
def test_demo_data_is_idempotent(django_user_model):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_demo_data", stdout=StringIO())
    counts = django_user_model.objects.count()
    call_command("load_demo_data", stdout=StringIO())
    assert django_user_model.objects.count() == counts
    assert django_user_model.objects.get(username="csr").groups.get().name == "CSR"
