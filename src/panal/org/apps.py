from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OrgConfig(AppConfig):
    name = "panal.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from . import roles

        post_migrate.connect(roles.sync_role_groups_after_migrate, sender=self)
