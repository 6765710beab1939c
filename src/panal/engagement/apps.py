from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "panal.engagement"
    label = "engagement"
    verbose_name = _("Engagement")

    def ready(self) -> None:
        from . import composer, stages  # noqa: F401 - the routing stage; reply approvals
