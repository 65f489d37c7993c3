from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Desk core"

    def ready(self) -> None:
        # models and what imports them load only once the app registry is ready
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group, Permission

        from core.auth import PERMISSIONS_VERSION
        from core.roles import sync_role_permissions_after_migrate

        # Permissions of apps migrated after core's data migration reach the roles here.
        post_migrate.connect(sync_role_permissions_after_migrate, sender=self)
        # Cached permission sets go stale on any change to who holds what.
        user = get_user_model()
        for through in (user.groups.through, user.user_permissions.through):
            m2m_changed.connect(PERMISSIONS_VERSION.bump, sender=through, weak=False)
        m2m_changed.connect(PERMISSIONS_VERSION.bump, sender=Group.permissions.through, weak=False)
        for model in (Group, Permission):
            post_save.connect(PERMISSIONS_VERSION.bump, sender=model, weak=False)
            post_delete.connect(PERMISSIONS_VERSION.bump, sender=model, weak=False)
