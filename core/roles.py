"""Staff roles are Django groups; what each may do is this one table.

Checks in views, the API and services name permissions (`Perm`), never group names, so a role
can change without touching code that checks it.
"""

from enum import StrEnum

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions


class Role(StrEnum):
    CSR = "CSR"
    SUPERVISOR = "CSR Supervisor"
    STORE_ADMIN = "Store Admin"
    OPERATIONS = "Operations"


class Perm(StrEnum):
    USE_DESK = "core.use_csr_desk"
    SUPERVISE = "core.supervise_csrs"
    MANAGE_STORE = "core.manage_store"
    RUN_OPERATIONS = "core.run_operations"


# "app_label.*" grants every model permission of that app (the Django admin's view/add/...).
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.CSR: [Perm.USE_DESK],
    Role.SUPERVISOR: [Perm.USE_DESK, Perm.SUPERVISE],
    Role.STORE_ADMIN: [
        Perm.MANAGE_STORE,
        "catalog.*",
        "pricing.*",
        "customers.*",
        "fulfillment.*",
        "core.view_jobrun",
    ],
    Role.OPERATIONS: [Perm.RUN_OPERATIONS, "fulfillment.*", "core.view_jobrun"],
}

# returns (issue 18): store admins keep the reason codes and the return policy in the admin.
# Supervisors approve returns and add ad-hoc items with SUPERVISE, operations receive them with
# RUN_OPERATIONS: the roles need no new desk permission.
ROLE_PERMISSIONS[Role.STORE_ADMIN] = [*ROLE_PERMISSIONS[Role.STORE_ADMIN], "returns.*"]


# Staff management and appeasement coupons (issue 23), on top of the table above.
class StaffPerm(StrEnum):
    MANAGE_STAFF = "core.manage_staff"
    ISSUE_APPEASEMENT = "core.issue_appeasement_coupons"


# auctions (issue 19): store admins create and schedule auctions and see all bids in the admin;
# CSRs bid with USE_DESK, supervisors withdraw bids and force-close with SUPERVISE.
ROLE_PERMISSIONS[Role.STORE_ADMIN] += ["auctions.*"]

ROLE_PERMISSIONS[Role.STORE_ADMIN] += [StaffPerm.MANAGE_STAFF, StaffPerm.ISSUE_APPEASEMENT]

# The only permissions a store admin may give one user on top of their roles (core.staff):
# appeasement coupons go to the CSRs and supervisors the store trusts with them.
GRANTABLE_PERMISSIONS: dict[StaffPerm, str] = {
    StaffPerm.ISSUE_APPEASEMENT: "Issue appeasement coupons (within the role's limits)",
}

# Roles that work in the Django admin (it needs is_staff): kept in step with the roles.
ADMIN_SITE_ROLES = frozenset({Role.STORE_ADMIN, Role.OPERATIONS})


def _resolve(permission_model, spec: str):
    app_label, codename = spec.split(".", 1)
    found = permission_model.objects.filter(content_type__app_label=app_label)
    return found if codename == "*" else found.filter(codename=codename)


def sync_role_permissions(apps=global_apps) -> None:
    """Create the role groups and grant them ROLE_PERMISSIONS; idempotent, adds only."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for app_config in apps.get_app_configs():
        # Permissions are normally created after all migrations; create them now so the
        # groups can be granted them from a data migration as well.
        # (create_permissions skips app configs without a models module, as migration stubs are.)
        stub = getattr(app_config, "models_module", None) is None
        if stub:
            app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        if stub:
            app_config.models_module = None
    for role, specs in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role.value)
        for spec in specs:
            group.permissions.add(*_resolve(permission_model, spec))


def sync_role_permissions_after_migrate(sender, **kwargs) -> None:
    sync_role_permissions()


# Changing an order after submit (issue 16): CSRs and supervisors; the permission is declared
# on orders' OrderVersion model (orders.change_placed_order).
CHANGE_PLACED_ORDER = "orders.change_placed_order"
ROLE_PERMISSIONS[Role.CSR] = [*ROLE_PERMISSIONS[Role.CSR], CHANGE_PLACED_ORDER]
ROLE_PERMISSIONS[Role.SUPERVISOR] = [*ROLE_PERMISSIONS[Role.SUPERVISOR], CHANGE_PLACED_ORDER]
