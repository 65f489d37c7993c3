import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from core.errors import NotAllowed
from core.permissions import require
from core.roles import Perm, Role, sync_role_permissions


@pytest.mark.django_db
def test_the_data_migration_created_every_role_with_its_desk_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}
    csr = Group.objects.get(name=Role.CSR)
    assert set(csr.permissions.values_list("codename", flat=True)) == {
        "use_csr_desk",
        "change_placed_order",  # issue 16: change an order after submit
    }
    supervisor = set(
        Group.objects.get(name=Role.SUPERVISOR).permissions.values_list("codename", flat=True)
    )
    assert supervisor == {"use_csr_desk", "supervise_csrs", "change_placed_order"}


@pytest.mark.django_db
def test_syncing_roles_twice_adds_nothing_twice():
    before = {g.name: g.permissions.count() for g in Group.objects.all()}
    sync_role_permissions()
    assert {g.name: g.permissions.count() for g in Group.objects.all()} == before


def test_each_role_has_what_it_should(csr, supervisor, store_admin, operations, nobody):
    assert csr.has_perm(Perm.USE_DESK) and not csr.has_perm(Perm.SUPERVISE)
    assert supervisor.has_perm(Perm.USE_DESK) and supervisor.has_perm(Perm.SUPERVISE)
    assert store_admin.has_perm(Perm.MANAGE_STORE) and not store_admin.has_perm(Perm.USE_DESK)
    assert operations.has_perm(Perm.RUN_OPERATIONS) and not operations.has_perm(Perm.USE_DESK)
    assert not nobody.get_all_permissions()


def test_require_names_the_action_refused(nobody):
    with pytest.raises(NotAllowed, match="permission to approve an adjustment"):
        require(nobody, Perm.SUPERVISE, "approve an adjustment")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/admin/", "/api/docs/"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/") or response["Location"].startswith(
        "/admin/login/"
    )


@pytest.mark.django_db
def test_anonymous_api_callers_get_a_json_refusal_not_the_schema(client):
    response = client.get("/api/schema/")
    assert response.status_code in (401, 403)
    assert b"paths" not in response.content
    assert b"not_authenticated" in response.content


@pytest.mark.django_db
def test_the_login_page_and_health_check_are_open(client):
    assert client.get("/login/").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_home_shows_the_actions_of_the_role(csr_client):
    page = csr_client.get(reverse("home")).content.decode()
    assert "Casey" not in page  # the fixture user, not demo data
    assert "API docs" in page
    assert "Store admin" not in page


def test_store_admin_reaches_django_admin_and_a_csr_does_not(client, store_admin, csr):
    client.force_login(store_admin)
    assert client.get("/admin/").status_code == 200
    client.force_login(csr)
    assert client.get("/admin/").status_code == 302  # admin's own login: not staff
