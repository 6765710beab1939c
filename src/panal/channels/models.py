"""Configured channel accounts (inboxes) and the raw deliveries they receive."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from panal.core.ids import new_id
from panal.listening.choices import Channel


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Health(models.TextChoices):
    UNKNOWN = "unknown", _("Not checked yet")
    CONNECTED = "connected", _("Connected")
    DEGRADED = "degraded", _("Degraded")
    DISCONNECTED = "disconnected", _("Disconnected")


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
    # Tokens, app secrets and passwords; never shown back on a page.
    credentials = models.JSONField(default=dict, blank=True)
    # Webhook signing secrets, newest first; more than one while a key is being rotated.
    secrets = models.JSONField(default=list, blank=True)
    # Our own ids on the network (page id, user id, DID…): their posts are not mentions.
    self_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    # Health (docs/channels.md, "Channel health").
    health = models.CharField(max_length=12, choices=Health.choices, default=Health.UNKNOWN)
    health_reason = models.CharField(max_length=500, blank=True)
    health_changed_at = models.DateTimeField(null=True, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)  # a network's rate limit
    failures = models.PositiveIntegerField(default=0)  # consecutive failed calls
    # When tool administrators were last told about this account (once per problem).
    alerted_at = models.DateTimeField(null=True, blank=True)
    alerted_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def hook_path(self) -> str:
        """Where this account's network pushes deliveries: /hooks/<kind>/<slug>/."""
        return reverse("channels:hook", kwargs={"kind": self.kind, "slug": self.slug})


class InboundDelivery(models.Model):
    """A webhook delivery we accepted, kept so a replay of its id stores nothing new.

    Networks that retry slow answers get 200 as soon as the raw body is stored
    (status "stored"); the background drain parses it later ("done"). A signed body
    that cannot be read is kept as "malformed" for an administrator to inspect.
    """

    class Status(models.TextChoices):
        STORED = "stored", _("Stored, not yet processed")
        DONE = "done", _("Processed")
        MALFORMED = "malformed", _("Malformed")
        FAILED = "failed", _("Failed")

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="+")
    delivery_id = models.CharField(max_length=255)
    received_at = models.DateTimeField()
    mention_ids = models.JSONField(default=list)
    # The answer we gave, repeated word for word when the same delivery id comes again.
    response = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DONE)
    body = models.BinaryField(null=True, blank=True)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "inbound deliveries"
        constraints = [
            models.UniqueConstraint(fields=["account", "delivery_id"], name="delivery_unique")
        ]
        indexes = [models.Index(fields=["status", "id"], name="delivery_status")]

    def __str__(self) -> str:
        return self.delivery_id


class Cursor(models.Model):
    """Where a pulling channel stopped: saved in the same transaction as what it read."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="cursors")
    key = models.CharField(max_length=200, default="main")
    value = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="cursor_unique")]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.key}"


class OutboundMessage(models.Model):
    """A reply we send through a channel; it shows on the thread whatever happens to it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="outbound")
    mention = models.ForeignKey(
        "listening.Mention", on_delete=models.CASCADE, related_name="outbound"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    # The network's id of what we posted, and its delivery state when it reports one.
    external_id = models.CharField(max_length=512, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    delivery_state = models.CharField(max_length=12, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    raw = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["account", "external_id"], name="outbound_external"),
            models.Index(fields=["status", "next_attempt_at"], name="outbound_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.text[:40]}"
