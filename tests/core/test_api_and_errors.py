import pytest
from rest_framework.authtoken.models import Token


@pytest.mark.django_db
def test_the_api_refuses_anonymous_callers_with_a_json_error(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"message", "code", "fields"}


def test_token_authentication_works(api_client, csr):
    token = Token.objects.create(user=csr)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = api_client.get("/api/v1/me/").json()
    assert body["username"] == "csr1"
    assert body["roles"] == ["CSR"]
    assert body["permissions"] == ["core.use_csr_desk"]


def test_the_openapi_schema_is_served_to_signed_in_users(api_client, csr):
    api_client.force_authenticate(csr)
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
    assert "/api/v1/me/" in response.json()["paths"]


def test_unknown_api_paths_answer_json_404(api_client, csr):
    api_client.force_login(csr)
    response = api_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_pages_render_the_desk_404(csr_client):
    response = csr_client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"There is nothing at this address" in response.content
    assert b"topbar" in response.content


def test_a_screen_outside_the_role_is_a_403_in_the_desk_layout(client, operations, rf):
    from core.permissions import desk_view

    @desk_view()
    def a_csr_screen(request):  # pragma: no cover - must not run
        raise AssertionError

    request = rf.get("/x/")
    request.user = operations
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        a_csr_screen(request)
    client.force_login(operations)
    from core.views import permission_denied

    response = permission_denied(request)
    assert response.status_code == 403
    assert b"Your role does not include this screen" in response.content


def test_domain_errors_map_to_the_one_error_format():
    from core.api import exception_handler
    from core.errors import DomainError, StaleVersion

    response = exception_handler(DomainError("Quantity must be at least 1.", field="quantity"), {})
    assert response.status_code == 400
    assert response.data == {
        "message": "Quantity must be at least 1.",
        "code": "domain_error",
        "fields": {"quantity": ["Quantity must be at least 1."]},
    }
    assert exception_handler(StaleVersion("changed"), {}).status_code == 409


def test_validation_errors_carry_field_messages():
    from rest_framework.exceptions import ValidationError

    from core.api import exception_handler

    response = exception_handler(ValidationError({"email": ["Enter a valid e-mail address."]}), {})
    assert response.status_code == 400
    assert response.data["fields"] == {"email": ["Enter a valid e-mail address."]}
    assert response.data["code"] == "invalid"


@pytest.mark.django_db
def test_healthz_reports_the_database(client, operations):
    client.force_login(operations)  # the details are for operations staff only (issue 15)
    body = client.get("/healthz").json()
    assert body["database"] == "ok"
    assert body["status"] == "ok"
