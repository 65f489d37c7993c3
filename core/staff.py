"""Staff users, as a store admin manages them: create, give the four roles (and the few
permissions core.roles.GRANTABLE_PERMISSIONS lets a store admin give one user), disable or
enable, set a new password. Every change is audited (StaffEvent).

A store admin never reaches superuser status or any other single permission: what a user may
do comes from the roles and those grants only, `is_staff` (the Django admin) follows the roles,
and superusers are out of a store admin's reach altogether.
"""

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from core.errors import DomainError, NotAllowed
from core.events import EventType
from core.models import StaffEvent, StaffUser
from core.permissions import require
from core.roles import ADMIN_SITE_ROLES, GRANTABLE_PERMISSIONS, Role, StaffPerm

PROFILE_FIELDS = ("first_name", "last_name", "email")


def _event(event_type: EventType, actor, user, **data) -> None:
    StaffEvent.objects.create(event_type=int(event_type), actor=actor, user=user, data=data)


def _in_role_order(names) -> list[Role]:
    names = set(names)
    return [role for role in Role if role.value in names]


def _roles(names) -> list[Role]:
    names = [str(name) for name in names]
    if set(names) - {role.value for role in Role}:
        raise DomainError(f"Roles are {', '.join(r.value for r in Role)}.", field="roles")
    return _in_role_order(names)


def roles_of(user) -> list[Role]:
    return _in_role_order(group.name for group in user.groups.all())


def _grants(names) -> list[str]:
    grants = sorted({str(name) for name in names})
    refused = set(grants) - {str(p) for p in GRANTABLE_PERMISSIONS}
    if refused:
        raise NotAllowed(f"A store admin cannot give {', '.join(sorted(refused))}.")
    return grants


def _permission(spec: str) -> Permission:
    app_label, codename = spec.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def grants_of(user) -> list[str]:
    """The grantable permissions the user holds on their own (not through a role)."""
    held = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in user.user_permissions.select_related("content_type")
    }
    return sorted(held & {str(p) for p in GRANTABLE_PERMISSIONS})


def _set_grants(user, grants: list[str]) -> None:
    """The grantable permissions as given; any other permission of the user stays."""
    for spec in GRANTABLE_PERMISSIONS:
        if str(spec) in grants:
            user.user_permissions.add(_permission(spec))
        else:
            user.user_permissions.remove(_permission(spec))


def _check_password(password: str, user) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from None


def _set_roles(user, roles: list[Role]) -> None:
    """The four role groups as given; any other group of the user stays as it is."""
    role_groups = Group.objects.filter(name__in=[r.value for r in Role])
    user.groups.remove(*role_groups.exclude(name__in=[r.value for r in roles]))
    user.groups.add(*role_groups.filter(name__in=[r.value for r in roles]))
    is_staff = any(role in ADMIN_SITE_ROLES for role in roles)
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])


@transaction.atomic
def staff_create(*, actor, username: str, roles, password: str, grants=(), **profile) -> StaffUser:
    require(actor, StaffPerm.MANAGE_STAFF, "add staff users")
    roles = _roles(roles)
    grants = _grants(grants)
    username = username.strip()
    if not username:
        raise DomainError("Give the user name.", field="username")
    if StaffUser.objects.filter(username__iexact=username).exists():
        raise DomainError(f"There is already a user {username}.", field="username")
    user = StaffUser(username=username, **{k: profile.get(k, "") for k in PROFILE_FIELDS})
    _check_password(password, user)
    user.set_password(password)
    user.save()
    _set_roles(user, roles)
    _set_grants(user, grants)
    _event(
        EventType.STAFF_CREATED,
        actor,
        user,
        username=username,
        roles=[r.value for r in roles],
        grants=grants,
        **{k: getattr(user, k) for k in PROFILE_FIELDS},
    )
    return user


@transaction.atomic
def staff_update(
    *, actor, user, roles, is_active: bool, password: str = "", grants=(), **profile
) -> StaffUser:
    """Roles, grants, active or not, a new password (when given) and name/e-mail: one event
    per kind of change."""
    require(actor, StaffPerm.MANAGE_STAFF, "change staff users")
    user = StaffUser.objects.select_for_update().get(pk=user.pk)
    if user.is_superuser:
        raise NotAllowed("Superusers are changed by a superuser only.")
    roles = _roles(roles)
    grants = _grants(grants)
    if user.pk == actor.pk and not is_active:
        raise DomainError("You cannot disable yourself.", field="is_active")
    old_roles = roles_of(user)
    if old_roles != roles:
        _set_roles(user, roles)
        _event(
            EventType.STAFF_ROLES_SET,
            actor,
            user,
            old=[r.value for r in old_roles],
            new=[r.value for r in roles],
        )
    old_grants = grants_of(user)
    if old_grants != grants:
        _set_grants(user, grants)
        _event(EventType.STAFF_GRANTS_SET, actor, user, old=old_grants, new=grants)
    if user.is_active != is_active:
        user.is_active = is_active
        user.save(update_fields=["is_active"])
        _event(EventType.STAFF_ENABLED if is_active else EventType.STAFF_DISABLED, actor, user)
    if password:
        _check_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        _event(EventType.STAFF_PASSWORD_RESET, actor, user)
    changed = {
        k: [getattr(user, k), profile[k]]
        for k in PROFILE_FIELDS
        if k in profile and getattr(user, k) != profile[k]
    }
    if changed:
        for name, (_, new) in changed.items():
            setattr(user, name, new)
        user.save(update_fields=list(changed))
        _event(EventType.STAFF_PROFILE_CHANGED, actor, user, changed=changed)
    return user
