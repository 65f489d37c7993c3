"""Sessions on shared desks: idle timeout, closed with the browser, ended by a store admin."""

import time

import pytest
from django.conf import settings as django_settings
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_session_idle_longer_than_the_timeout_must_log_in_again(csr_client, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    assert csr_client.get("/").status_code == 200
    session = csr_client.session
    session["last_activity"] = int(time.time()) - 31 * 60
    session.save()
    r = csr_client.get("/customers/")
    assert r.status_code == 302 and r.url.startswith("/login/")
    assert csr_client.get("/").status_code == 302


def test_a_session_used_within_the_timeout_stays(csr_client, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    csr_client.get("/")
    session = csr_client.session
    session["last_activity"] = int(time.time()) - 29 * 60
    session.save()
    assert csr_client.get("/customers/").status_code == 200
    assert csr_client.session["last_activity"] >= int(time.time()) - 5


def test_sessions_end_with_the_browser_and_the_idle_time_is_30_minutes_by_default():
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert django_settings.SESSION_IDLE_TIMEOUT_MINUTES == 30


def test_a_store_admin_sees_and_ends_a_desk_session(csr, store_admin):
    desk = Client()
    desk.force_login(csr)
    assert desk.get("/").status_code == 200
    admin = Client()
    admin.force_login(store_admin)
    page = admin.get("/security/").content.decode()
    assert "csr1" in page and "End session" in page
    r = admin.post("/security/sessions/end/", {"session_key": desk.session.session_key})
    assert r.status_code == 302
    assert desk.get("/").status_code == 302
