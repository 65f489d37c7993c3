"""Role checks for services, views and the API, all by permission."""

from django.contrib.auth.decorators import permission_required
from rest_framework.permissions import BasePermission

from core.errors import NotAllowed
from core.roles import Perm


def require(user, perm: Perm | str, action: str) -> None:
    """Services call this first: raises NotAllowed naming what the user tried to do."""
    if user is None or not user.is_active or not user.has_perm(str(perm)):
        raise NotAllowed(f"You do not have permission to {action}.")


def desk_view(perm: Perm | str = Perm.USE_DESK):
    """Decorator for screens: login is enforced by middleware; a missing permission is a 403."""
    return permission_required(str(perm), raise_exception=True)


class HasPerm(BasePermission):
    """DRF: `permission_classes = [HasPerm.of(Perm.USE_DESK)]`."""

    perm: str = Perm.USE_DESK

    @classmethod
    def of(cls, perm: Perm | str) -> type["HasPerm"]:
        return type(f"Has_{str(perm).replace('.', '_')}", (cls,), {"perm": str(perm)})

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(self.perm))
