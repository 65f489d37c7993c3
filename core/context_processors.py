from django.conf import settings

from core.desk import nav_for
from core.roles import Role


def desk(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"store_name": settings.STORE_NAME}
    group_names = set(user.groups.values_list("name", flat=True))
    roles = [r.value for r in Role if r.value in group_names]
    return {"store_name": settings.STORE_NAME, "nav_items": nav_for(user), "user_roles": roles}
