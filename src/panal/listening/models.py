"""The mention store: authors (channel identities), mentions, their versions (docs/mentions.md),
and what the organisation listens for: topics, their Boolean queries (with every version)
and which mentions matched them (docs/topics.md)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from panal.core.ids import new_id

from .choices import Channel, Kind, ReplyCapability, Visibility


class Author(models.Model):
    """A stranger's identity on one channel, as the network describes it."""

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    external_id = models.CharField(max_length=255)
    handle = models.CharField(max_length=255, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    followers = models.BigIntegerField(null=True, blank=True)
    avatar_url = models.URLField(max_length=2000, blank=True)
    is_bot = models.BooleanField(null=True)
    is_verified = models.BooleanField(null=True)  # the network's verified badge
    description = models.TextField(blank=True)  # the author's bio
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "channel", "external_id"], name="author_unique_identity"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.handle or self.external_id


class Mention(models.Model):
    """One external item (post, comment, message, review) in normalised form (CHANNELS.md §15.1).

    Unique on (account, external_id): a redelivery changes nothing, an edit keeps the
    previous text in MentionVersion, a delete sets deleted_at and hides it.
    """

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    # No single-column indexes on these two: the composite indexes below lead with them,
    # and every extra index slows the batch insert down.
    organisation = models.ForeignKey(
        "org.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.ForeignKey(
        "channels.ChannelAccount", on_delete=models.PROTECT, related_name="mentions", db_index=False
    )
    brand = models.ForeignKey(
        "org.Brand", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,
    )  # fmt: skip
    channel = models.CharField(max_length=20, choices=Channel.choices)
    external_id = models.CharField(max_length=512)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.POST)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    text = models.TextField(blank=True)
    text_html = models.TextField(blank=True)
    title = models.CharField(max_length=1000, blank=True)
    lang = models.CharField(max_length=8, blank=True)
    lang_source = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField()
    received_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    # Author as delivered; the "authors" pipeline stage links `author`.
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentions",
        db_index=False,
    )  # fmt: skip
    author_external_id = models.CharField(max_length=255, blank=True)
    author_handle = models.CharField(max_length=255, blank=True)
    author_display_name = models.CharField(max_length=255, blank=True)
    author_followers = models.BigIntegerField(null=True, blank=True)
    author_avatar_url = models.CharField(max_length=2000, blank=True)
    author_is_bot = models.BooleanField(null=True)
    author_verified = models.BooleanField(null=True)  # the network's verified badge
    author_description = models.TextField(blank=True)  # the author's bio
    # ISO 3166-1 alpha-2 where the network tells it (a review's territory, a post's place).
    country = models.CharField(max_length=2, blank=True)
    # Threads: the "threads" stage links parent and root from the external ids.
    thread_external_id = models.CharField(max_length=512, blank=True)
    in_reply_to_external_id = models.CharField(max_length=512, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies",
        db_index=False,
    )  # fmt: skip
    thread_root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,
    )  # fmt: skip
    urls = models.JSONField(default=list, blank=True)
    media = models.JSONField(default=list, blank=True)
    rating = models.SmallIntegerField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    reply_capability = models.CharField(
        max_length=24, choices=ReplyCapability.choices, default=ReplyCapability.PUBLIC_REPLY
    )
    content_hash = models.CharField(max_length=64)
    # Names of pipeline stages already run on this mention's current version.
    stages_done = models.JSONField(default=list, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_id"], name="mention_unique_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="mention_org_created"),
            models.Index(fields=["organisation", "-id"], name="mention_org_id"),
            # These four links are empty when a mention is inserted (the pipeline sets
            # them), so partial indexes cost the batch insert nothing.
            *(
                models.Index(
                    fields=[name],
                    condition=models.Q(**{f"{name}__isnull": False}),
                    name=f"mention_{name}",
                )
                for name in ("brand", "author", "parent", "thread_root")
            ),
            # Partial (only replies / thread members) and not led by the account: an index
            # led by the account would tempt PostgreSQL's planner, misled by the stale
            # statistics of a table an import is filling, away from the unique index.
            models.Index(
                fields=["in_reply_to_external_id", "account"],
                condition=~models.Q(in_reply_to_external_id=""),
                name="mention_reply_to",
            ),
            models.Index(
                fields=["thread_external_id", "account"],
                condition=~models.Q(thread_external_id=""),
                name="mention_thread_ext",
            ),
        ]
        permissions = [
            ("ingest_mention", "Can import mentions (file, API)"),
            ("draft_reply", "Can draft a reply to a mention"),
            ("publish_reply", "Can publish a reply through the channel"),
            ("correct_mention", "Can correct a mention's language, sentiment and intents"),
            ("manage_queries", "Can write listening queries and topics"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"

    @property
    def author_label(self) -> str:
        return self.author_display_name or self.author_handle or self.author_external_id


class MentionVersion(models.Model):
    """A previous text of an edited mention (never lost)."""

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="versions")
    text = models.TextField(blank=True)
    title = models.CharField(max_length=1000, blank=True)
    content_hash = models.CharField(max_length=64)
    valid_from = models.DateTimeField(help_text=_("When this text was first seen."))
    replaced_at = models.DateTimeField()

    class Meta:
        ordering = ["-replaced_at"]

    def __str__(self) -> str:
        return f"{self.mention_id} until {self.replaced_at:%Y-%m-%d %H:%M}"


class Topic(models.Model):
    """A named group of listening queries: a brand, a product, a competitor, … owned by a team.

    A mention belongs to the topic when any of its active queries matches it.
    """

    class Kind(models.TextChoices):
        BRAND = "brand", _("Own brand")
        PRODUCT = "product", _("Product")
        COMPETITOR = "competitor", _("Competitor")
        INDUSTRY = "industry", _("Industry")
        PERSON = "person", _("Person")
        CAMPAIGN = "campaign", _("Campaign")

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(max_length=60)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("owner team"),
    )  # fmt: skip
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="topic_unique_slug")
        ]

    def __str__(self) -> str:
        return self.name


class ListeningQuery(models.Model):
    """One Boolean query of a topic (docs/query.md). Every saved text is kept as a version."""

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    # The topic's organisation, kept here so one index finds every query to compile.
    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="queries")
    name = models.CharField(_("name"), max_length=120)
    text = models.TextField(_("query"))
    version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["topic", "name", "id"]
        indexes = [models.Index(fields=["organisation", "is_active"], name="query_org_active")]

    def __str__(self) -> str:
        return self.name


class QueryVersion(models.Model):
    """A query's text as it was saved, by whom and when; the newest is the query's text."""

    query = models.ForeignKey(ListeningQuery, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    name = models.CharField(max_length=120, blank=True)
    is_active = models.BooleanField(default=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["query", "number"], name="query_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.query_id} v{self.number}"


class TopicMatch(models.Model):
    """A mention that matched a topic, and the first of the topic's queries that did.

    `created_at` copies the mention's, so share of voice counts a topic's days from
    one index without reading the mention table.
    """

    id = models.BigAutoField(primary_key=True)
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="topic_matches")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="matches")
    query = models.ForeignKey(
        ListeningQuery, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mention", "topic"], name="topic_match_unique")
        ]
        indexes = [models.Index(fields=["topic", "created_at"], name="topic_match_day")]

    def __str__(self) -> str:
        return f"{self.topic_id} ← {self.mention_id}"


class Backfill(models.Model):
    """Running a topic's queries over stored mentions, in the background, with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="backfills")
    # Only mentions created on or after this moment (None: all of history).
    since = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)  # mentions to look at
    done = models.PositiveIntegerField(default=0)  # looked at so far
    added = models.PositiveIntegerField(default=0)  # matches created
    removed = models.PositiveIntegerField(default=0)  # matches that no longer hold
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.topic_id} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(100 * self.done / self.total)) if self.total else 0
