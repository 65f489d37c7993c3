from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Desk core"

    def ready(self) -> None:
        from core.roles import sync_role_permissions_after_migrate

        # Permissions of apps migrated after core's data migration reach the roles here.
        post_migrate.connect(sync_role_permissions_after_migrate, sender=self)
