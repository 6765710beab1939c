from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "panal.engagement"
    label = "engagement"
    verbose_name = _("Engagement")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import composer, stages  # noqa: F401 - the routing stage; reply approvals
        from .models import Rule
        from .rules import forget_rules

        post_save.connect(forget_rules, sender=Rule, dispatch_uid="engagement-rules-saved")
        post_delete.connect(forget_rules, sender=Rule, dispatch_uid="engagement-rules-deleted")
