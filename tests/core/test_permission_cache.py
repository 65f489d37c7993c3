"""Role permissions come from the cache, and any change to who holds what shows at once."""

from django.contrib.auth.models import Group, Permission

from core.roles import Perm, Role


def fresh(user):
    """The user as the next request loads it (no per-object permission cache)."""
    return type(user).objects.get(pk=user.pk)


def test_a_second_request_reads_the_roles_permissions_without_a_query(
    csr, django_assert_num_queries
):
    assert fresh(csr).has_perm(Perm.USE_DESK.value)
    user = fresh(csr)
    with django_assert_num_queries(0):
        assert user.has_perm(Perm.USE_DESK.value)
        assert not user.has_perm(Perm.SUPERVISE.value)


def test_leaving_a_role_takes_its_permissions_away_at_once(csr):
    assert fresh(csr).has_perm(Perm.USE_DESK.value)
    csr.groups.clear()
    assert not fresh(csr).has_perm(Perm.USE_DESK.value)


def test_a_permission_granted_to_a_role_or_a_user_shows_at_once(csr):
    supervise = Permission.objects.get(
        content_type__app_label="core", codename=Perm.SUPERVISE.value.split(".")[1]
    )
    assert not fresh(csr).has_perm(Perm.SUPERVISE.value)
    Group.objects.get(name=Role.CSR.value).permissions.add(supervise)
    assert fresh(csr).has_perm(Perm.SUPERVISE.value)
    Group.objects.get(name=Role.CSR.value).permissions.remove(supervise)
    assert not fresh(csr).has_perm(Perm.SUPERVISE.value)
    csr.user_permissions.add(supervise)
    assert fresh(csr).has_perm(Perm.SUPERVISE.value)


def test_a_disabled_user_has_no_permissions(csr):
    assert fresh(csr).has_perm(Perm.USE_DESK.value)
    csr.is_active = False
    csr.save()
    assert not fresh(csr).has_perm(Perm.USE_DESK.value)
