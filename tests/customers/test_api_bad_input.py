"""Bad input to the customers API is a 4xx with the error body, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client, csr):
    api_client.force_authenticate(csr)
    return api_client


def test_a_password_like_the_name_is_a_field_error(api):
    r = api.post(
        "/api/v1/customers/",
        {
            "logon_id": "maria.g",
            "password": "MariaGonzalez1",
            "first_name": "Maria",
            "last_name": "Gonzalez",
            "email": "maria@example.com",
        },
    )
    assert r.status_code == 400, r.content
    assert r.json()["fields"]["password"] == ["The password is too similar to the last name."]


def test_a_password_like_the_logon_id_is_a_field_error(api):
    r = api.post(
        "/api/v1/customers/",
        {
            "logon_id": "stationerylover",
            "password": "Stationerylover9",
            "first_name": "Ann",
            "last_name": "Lee",
        },
    )
    assert r.status_code == 400
    assert r.json()["fields"]["password"] == ["The password is too similar to the logon id."]


@pytest.mark.parametrize("path", ["/api/v1/customers/abc/", "/api/v1/customers/1/addresses/x/"])
def test_a_non_integer_id_is_404(api, path):
    assert api.get(path).status_code == 404
