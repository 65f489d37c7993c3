"""No password guessing: /login/, the admin login and the API token lock after repeated
failures (django-axes), with a clear message; a supervisor unlocks."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locking(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5


def _login(client, password, url="/login/"):
    return client.post(url, {"username": "csr1", "password": password})


def test_the_login_locks_after_five_failures_even_for_the_right_password(client, csr):
    for i in range(5):
        assert _login(client, f"guess-{i}").status_code in (200, 429)
    right = _login(client, "pw-csr1")
    assert right.status_code == 429
    assert "Too many failed log-ins" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(client, csr):
    for i in range(4):
        assert _login(client, f"guess-{i}").status_code == 200
    assert _login(client, "pw-csr1").status_code == 302
    client.logout()
    for i in range(4):
        assert _login(client, f"guess-{i}").status_code == 200
    assert _login(client, "pw-csr1").status_code == 302


def test_the_admin_login_locks_too(client, store_admin):
    for i in range(5):
        client.post("/admin/login/", {"username": "admin1", "password": f"guess-{i}"})
    r = client.post("/admin/login/", {"username": "admin1", "password": "pw-admin1"})
    assert r.status_code == 429 and "_auth_user_id" not in client.session


def test_the_api_token_endpoint_locks(api_client, csr):
    url = "/api/v1/auth/token/"
    assert api_client.post(url, {"username": "csr1", "password": "nope"}).status_code == 400
    for i in range(4):
        api_client.post(url, {"username": "csr1", "password": f"guess-{i}"})
    r = api_client.post(url, {"username": "csr1", "password": "pw-csr1"})
    assert r.status_code == 429 and r.json()["code"] == "locked_out"


def test_the_api_token_endpoint_gives_a_token_that_works(api_client, csr):
    r = api_client.post("/api/v1/auth/token/", {"username": "csr1", "password": "pw-csr1"})
    assert r.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert api_client.get("/api/v1/me/").json()["username"] == "csr1"


def test_a_supervisor_unlocks_a_user(client, csr, supervisor):
    for i in range(5):
        _login(client, f"guess-{i}")
    boss = client_for(supervisor)
    page = boss.get("/security/")
    assert page.status_code == 200 and "Unlock a log-in" in page.content.decode()
    assert boss.post("/security/unlock/", {"username": "csr1"}).status_code == 302
    boss.post("/security/unlock/", {"ip_address": "127.0.0.1"})
    assert _login(client, "pw-csr1").status_code == 302


def test_a_csr_cannot_unlock(csr_client):
    assert csr_client.get("/security/").status_code == 403
    assert csr_client.post("/security/unlock/", {"username": "x"}).status_code == 403


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
