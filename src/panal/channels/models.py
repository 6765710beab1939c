"""Configured channel accounts (inboxes) and the raw deliveries they receive."""

import secrets

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from panal.listening.choices import Channel


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class ChannelAccount(models.Model):
    """One place mentions come from: a network account, a feed, a webhook, a file source."""

    organisation = models.ForeignKey(
        "org.Organisation", on_delete=models.CASCADE, related_name="channel_accounts"
    )
    brand = models.ForeignKey(
        "org.Brand", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Channel.choices)
    slug = models.SlugField(
        unique=True, help_text=_("Names the account in URLs, e.g. /hooks/api/<slug>/.")
    )
    name = models.CharField(max_length=200)
    handle = models.CharField(
        max_length=255, blank=True, help_text=_("Our own handle on the network.")
    )
    is_active = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True, help_text=_("Base URL and options."))
    # Webhook signing secrets, newest first; more than one while a key is being rotated.
    secrets = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def hook_path(self) -> str:
        """Where this account's network pushes deliveries: /hooks/<kind>/<slug>/."""
        return reverse("channels:hook", kwargs={"kind": self.kind, "slug": self.slug})


class InboundDelivery(models.Model):
    """A webhook delivery we accepted, kept so a replay of its id stores nothing new."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="+")
    delivery_id = models.CharField(max_length=255)
    received_at = models.DateTimeField()
    mention_ids = models.JSONField(default=list)
    # The answer we gave, repeated word for word when the same delivery id comes again.
    response = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "inbound deliveries"
        constraints = [
            models.UniqueConstraint(fields=["account", "delivery_id"], name="delivery_unique")
        ]

    def __str__(self) -> str:
        return self.delivery_id
