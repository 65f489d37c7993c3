"""Staff and roles: a store admin adds staff, gives the four roles, disables users and sets
passwords, all audited; never superuser status or permissions outside the roles."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from core import staff
from core.errors import DomainError, NotAllowed
from core.events import EventType
from core.models import StaffEvent
from core.roles import Role, StaffPerm

pytestmark = pytest.mark.django_db

PASSWORD = "desk-Pass-8812"


def _form(**overrides):
    data = {
        "username": "casey",
        "first_name": "Casey",
        "last_name": "Lin",
        "email": "casey@example.com",
        "roles": [Role.CSR.value],
        "is_active": "on",
        "password": PASSWORD,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_store_admin_creates_a_csr_who_can_log_in(client, store_admin):
    client.force_login(store_admin)
    response = client.post(reverse("admin:core_staffuser_add"), _form())
    assert response.status_code == 302, response.content.decode()[:2000]
    casey = User.objects.get(username="casey")
    assert casey.has_perm("core.use_csr_desk")
    assert not casey.is_staff and not casey.is_superuser
    assert casey.check_password(PASSWORD)
    event = StaffEvent.objects.get(user=casey)
    assert (event.event_type, event.actor, event.data["roles"]) == (
        EventType.STAFF_CREATED,
        store_admin,
        ["CSR"],
    )


def test_roles_disable_and_password_are_audited(client, store_admin):
    casey = staff.staff_create(
        actor=store_admin, username="casey", roles=["CSR"], password=PASSWORD
    )
    client.force_login(store_admin)
    url = reverse("admin:core_staffuser_change", args=[casey.pk])
    response = client.post(
        url,
        _form(roles=[Role.SUPERVISOR.value], is_active=None, password="another-Pass-5521"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    casey = User.objects.get(pk=casey.pk)
    assert not casey.is_active
    assert casey.check_password("another-Pass-5521")
    assert [g.name for g in casey.groups.all()] == ["CSR Supervisor"]
    kinds = set(StaffEvent.objects.filter(user=casey).values_list("event_type", flat=True))
    assert {
        EventType.STAFF_ROLES_SET,
        EventType.STAFF_DISABLED,
        EventType.STAFF_PASSWORD_RESET,
    } <= kinds


def test_no_superuser_and_no_permission_outside_the_roles(client, store_admin):
    """The form has no superuser flag, no permissions and no groups; posting them does
    nothing. Superusers are not even listed."""
    root = User.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(store_admin)
    url = reverse("admin:core_staffuser_change", args=[store_admin.pk])
    any_permission = Permission.objects.get(codename="delete_user")
    response = client.post(
        url,
        _form(
            username="admin1",
            roles=[Role.STORE_ADMIN.value],
            password="",
            is_superuser="on",
            user_permissions=[any_permission.pk],
        ),
    )
    assert response.status_code == 302
    store_admin.refresh_from_db()
    assert not store_admin.is_superuser
    assert not store_admin.user_permissions.exists()
    assert client.get(reverse("admin:core_staffuser_change", args=[root.pk])).status_code == 302
    listing = client.get(reverse("admin:core_staffuser_changelist")).content.decode()
    assert "root@example.com" not in listing
    # the Django admin's own user and group pages stay closed
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_only_staff_managers_and_not_oneself_disabled(client, csr, store_admin):
    with pytest.raises(NotAllowed):
        staff.staff_create(actor=csr, username="x", roles=["CSR"], password=PASSWORD)
    with pytest.raises(DomainError):
        staff.staff_update(
            actor=store_admin, user=store_admin, roles=["Store Admin"], is_active=False
        )
    with pytest.raises(DomainError, match="Roles are"):
        staff.staff_create(actor=store_admin, username="x", roles=["Root"], password=PASSWORD)
    assert store_admin.has_perm(str(StaffPerm.MANAGE_STAFF))
    client.force_login(csr)
    assert client.get(reverse("admin:core_staffuser_changelist")).status_code == 302


def test_the_one_grantable_permission_and_nothing_else(client, store_admin):
    client.force_login(store_admin)
    response = client.post(
        reverse("admin:core_staffuser_add"), _form(grants=["core.issue_appeasement_coupons"])
    )
    assert response.status_code == 302
    casey = User.objects.get(username="casey")
    assert casey.has_perm("core.issue_appeasement_coupons")
    assert staff.grants_of(casey) == ["core.issue_appeasement_coupons"]
    response = client.post(
        reverse("admin:core_staffuser_add"),
        _form(username="dana", grants=["core.manage_staff"]),
    )
    assert response.status_code == 200  # not a choice
    assert not User.objects.filter(username="dana").exists()
    with pytest.raises(NotAllowed):
        staff.staff_update(
            actor=store_admin,
            user=casey,
            roles=["CSR"],
            is_active=True,
            grants=["core.supervise_csrs"],
        )
    staff.staff_update(actor=store_admin, user=casey, roles=["CSR"], is_active=True, grants=[])
    assert not User.objects.get(pk=casey.pk).has_perm("core.issue_appeasement_coupons")
    assert StaffEvent.objects.filter(user=casey, event_type=EventType.STAFF_GRANTS_SET).exists()


def test_saving_an_unchanged_user_writes_no_event(store_admin, django_user_model):
    both = staff.staff_create(
        actor=store_admin,
        username="ops-admin",
        roles=[Role.OPERATIONS.value, Role.STORE_ADMIN.value],
        password=PASSWORD,
    )
    assert User.objects.get(pk=both.pk).is_staff  # the admin site's roles open the admin
    before = StaffEvent.objects.count()
    staff.staff_update(
        actor=store_admin,
        user=both,
        roles=[Role.STORE_ADMIN.value, Role.OPERATIONS.value],
        is_active=True,
    )
    assert StaffEvent.objects.count() == before
