"""Cases and everything around them (docs/engagement.md).

A case is the unit of work: one mention, or a thread of them, owned by a team under
the organisation's engagement model, with an assignee, a priority, SLA clocks, tags,
internal notes, a full history (`CaseEvent`), and links to the contact (the author),
leads and knowledge articles. Conversations belong to teams, never to one person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from panal.core.ids import new_id

USER = settings.AUTH_USER_MODEL


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


# Inbox order: the most pressing first.
PRIORITY_RANK = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class EngagementConfig(models.Model):
    """An organisation's engagement settings; defaults apply while a field is empty."""

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin")
        LOAD = "load", _("By load (capacity)")
        SKILL = "skill", _("By skill and language, then load")
        MANUAL = "manual", _("Manual (the team's queue)")

    organisation = models.OneToOneField(
        "org.Organisation", on_delete=models.CASCADE, related_name="engagement"
    )
    playbooks = models.JSONField(
        default=dict, blank=True, help_text=_("Overrides of the default playbooks, by intent.")
    )
    business_hours = models.JSONField(
        default=dict, blank=True, help_text=_("The calendar the SLA clocks run on.")
    )
    sla = models.JSONField(default=dict, blank=True, help_text=_("SLA targets per priority."))
    authority = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Goodwill each role may grant per case without approval."),
    )
    currency = models.CharField(max_length=3, default="EUR")
    director_team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignment = models.CharField(max_length=16, choices=Strategy.choices, default=Strategy.SKILL)
    new_staff_days = models.PositiveIntegerField(
        default=30, help_text=_("Replies of members who joined this recently need approval.")
    )
    csat_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("engagement settings")
        verbose_name_plural = _("engagement settings")

    def __str__(self) -> str:
        return str(self.organisation)


# `is_open` as a comparison (`is_open = true`): Django writes `is_open=True` as the bare
# column, which SQLite's planner cannot match to an index column, so the queue indexes
# would not give the inbox its order.
IS_OPEN = Q(is_open=Value(True))
IS_CLOSED = Q(is_open=Value(False))


class Case(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", pgettext_lazy("case status", "Open")
        PENDING = "pending", _("Waiting on the customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)

    class Sla(models.TextChoices):
        OK = "ok", _("On time")
        WARNING = "warning", _("Due soon")
        BREACHED = "breached", _("Breached")

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    # The organisation, owner team and assignee are indexed by the queue indexes (Meta),
    # which start with them: single-column indexes would only tempt SQLite's planner away
    # from the ones that also give the inbox's order.
    organisation = models.ForeignKey(
        "org.Organisation", on_delete=models.CASCADE, related_name="cases", db_index=False
    )
    subject = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    is_open = models.BooleanField(default=True)  # status in OPEN_STATUSES, for the indexes
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    priority_rank = models.PositiveSmallIntegerField(default=2)
    intent = models.CharField(max_length=32, blank=True)  # the playbook applied
    actions = models.JSONField(default=list, blank=True)  # the playbook's actions
    tags = models.JSONField(default=list, blank=True)
    lang = models.CharField(max_length=8, blank=True)
    channel = models.CharField(max_length=20, blank=True)
    account = models.ForeignKey(
        "channels.ChannelAccount", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    # The contact and the first mention, as a case's links to its mentions, carry no
    # database foreign-key constraint: routing writes them from rows it has just read, a
    # few thousand a batch, and each constraint made the database check (and lock) a
    # mention or author row at every commit. Django still applies on_delete, and Panal
    # never deletes mentions or authors behind Django's back (docs/engagement.md#routing).
    contact = models.ForeignKey(
        "listening.Author", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases",
        db_constraint=False,
    )  # fmt: skip
    first_mention = models.ForeignKey(
        "listening.Mention", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False,
    )  # fmt: skip
    # Routing: the engagement model's decision when the case opened (and after moves).
    model = models.CharField(max_length=32, blank=True)
    owner_team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_cases",
        db_index=False,
    )  # fmt: skip
    domain_team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visible_to_all = models.BooleanField(default=False)
    visible_team_ids = models.JSONField(default=list, blank=True)
    answer_all = models.BooleanField(default=False)
    answer_team_ids = models.JSONField(default=list, blank=True)
    shared = models.BooleanField(default=False)  # several teams may answer: honeycomb
    route_reason = models.TextField(blank=True)
    assignee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_cases",
        db_index=False,
    )  # fmt: skip
    # Clocks.
    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    sla_state = models.CharField(max_length=10, choices=Sla.choices, default=Sla.OK)
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)  # pending: clock paused
    pauses = models.JSONField(default=list, blank=True)  # [[start, end], …] ISO
    # One reply at a time: a send bumps `reply_seq` only if nobody else did first; the
    # soft lock tells others who is replying.
    reply_seq = models.PositiveIntegerField(default=0)
    # Empty on almost every case (and on every new one): indexed only where set
    # (Meta.indexes), so opening a case adds no entry to these two indexes.
    lock_user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    lock_until = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged",
        db_index=False,
    )  # fmt: skip

    class Meta:
        ordering = ["priority_rank", "first_response_due", "id"]
        permissions = [
            ("work_case", "Can handle cases: assign, note, change status"),
            ("view_all_cases", "Can see every case of the organisation"),
            ("answer_any_case", "Can answer any case, whatever team owns it"),
            ("approve_request", "Can decide approval requests"),
            ("manage_rules", "Can change routing rules"),
            ("manage_engagement", "Can change the engagement model, playbooks, SLA and limits"),
            ("offboard_member", "Can hand a leaving person's work to their team"),
        ]
        indexes = [
            models.Index(
                fields=["assignee", "is_open", "priority_rank", "first_response_due"],
                name="case_assignee_queue",
            ),
            models.Index(
                fields=["owner_team", "is_open", "priority_rank", "first_response_due"],
                name="case_team_queue",
            ),
            models.Index(
                fields=["organisation", "is_open", "priority_rank", "first_response_due"],
                name="case_org_queue",
            ),
            models.Index(fields=["organisation", "-opened_at"], name="case_org_opened"),
            models.Index(
                fields=["organisation", "is_open", "-closed_at", "-id"], name="case_org_closed"
            ),
            models.Index(fields=["is_open", "resolution_due"], name="case_open_due"),
            models.Index(
                fields=["lock_user"], name="case_lock_user", condition=Q(lock_user__isnull=False)
            ),
            models.Index(
                fields=["merged_into"],
                name="case_merged_into",
                condition=Q(merged_into__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"[:120]

    def team_can_see(self, team_id: int | None) -> bool:
        return self.visible_to_all or (team_id is not None and team_id in self.visible_team_ids)

    def team_can_answer(self, team_id: int | None) -> bool:
        return self.answer_all or (team_id is not None and team_id in self.answer_team_ids)


class CaseMention(models.Model):
    """A mention belongs to at most one case. No database foreign-key constraints (see
    `Case.contact`): routing writes one a mention."""

    case = models.ForeignKey(  # indexed by casemention_case
        Case, on_delete=models.CASCADE, related_name="links", db_index=False, db_constraint=False
    )
    mention = models.OneToOneField(
        "listening.Mention", on_delete=models.CASCADE, related_name="case_link", db_constraint=False
    )
    added_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["case", "added_at"], name="casemention_case")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.mention_id}"


class CaseAccess(models.Model):
    """A team that sees the case besides its owner (the queries' copy of
    `Case.visible_team_ids`, so an inbox is one indexed lookup). Its case carries no
    database constraint (see `Case.contact`); its team does."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="access", db_constraint=False
    )
    team = models.ForeignKey(  # indexed by caseaccess_unique
        "org.Team", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "case"], name="caseaccess_unique")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.team_id}"


class CaseEvent(models.Model):
    """The case's history: every change, by whom (None: Panal itself) and why."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ROUTED = "routed", _("Routed")
        MENTION = "mention", _("Mention added")
        ASSIGNED = "assigned", _("Assigned")
        STATUS = "status", _("Status changed")
        PRIORITY = "priority", _("Priority changed")
        TAGS = "tags", _("Tags changed")
        TEAM = "team", _("Moved to a team")
        NOTE = "note", _("Internal note")
        RULE = "rule", _("Rule applied")
        REPLY = "reply", _("Reply")
        DRAFT = "draft", _("Draft")
        APPROVAL = "approval", _("Approval")
        GOODWILL = "goodwill", _("Goodwill")
        SLA = "sla", _("SLA")
        ESCALATED = "escalated", _("Escalated")
        MERGED = "merged", _("Merged")
        SPLIT = "split", _("Split")
        LEAD = "lead", _("Lead")
        ARTICLE = "article", _("Article")
        CSAT = "csat", _("Satisfaction")
        HANDOVER = "handover", _("Handed over")
        IDEA = "idea", _("Idea")

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    # No foreign-key constraints (as RuleFire): routing writes a few a mention, PostgreSQL
    # would check each at commit; Django still applies on_delete.
    case = models.ForeignKey(  # indexed by caseevent_case_at
        Case, on_delete=models.CASCADE, related_name="events", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    at = models.DateTimeField()
    # None for Panal's own changes (routing writes a few a mention): indexed only where
    # set, so those add no entry to it.
    actor = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False,
        db_index=False,
    )  # fmt: skip
    kind = models.CharField(max_length=12, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"], name="caseevent_case_at"),
            models.Index(
                fields=["actor"], name="caseevent_actor", condition=Q(actor__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class Note(models.Model):
    """An internal note on a case; @username mentions notify those people."""

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    mentioned = models.ManyToManyField(USER, blank=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.body[:60]}"


# A history event's and a notification's values in this order (with `core.db.insert_rows`
# and `core.ids.numbered`): how routing and leads write them by the thousand.
EVENT_FIELDS = ("id", "case", "at", "actor", "kind", "data")
NOTICE_FIELDS = ("id", "organisation", "user", "kind", "case", "text", "created_at")


class Notification(models.Model):
    class Kind(models.TextChoices):
        MENTIONED = "mentioned", _("You were mentioned")
        ASSIGNED = "assigned", _("Assigned to you")
        CRISIS = "crisis", _("Crisis")
        NOTIFY = "notify", _("Rule notification")
        SLA = "sla", _("SLA")
        APPROVAL = "approval", _("Approval")
        HANDOVER = "handover", _("Handed over")

    # No foreign-key constraints (as RuleFire): routing writes them in bulk; Django still
    # applies on_delete.
    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey(
        "org.Organisation", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    user = models.ForeignKey(  # indexed by notification_unread
        USER, on_delete=models.CASCADE, related_name="notifications", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    kind = models.CharField(max_length=12, choices=Kind.choices)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, db_constraint=False
    )
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.text


class Rule(models.Model):
    """When a mention (with its case and contact) matches `conditions`, do `actions`."""

    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    query = models.TextField(_("query"), blank=True)  # the listening query language
    actions = models.JSONField(_("actions"), default=list)
    stop_processing = models.BooleanField(_("stop processing later rules"), default=False)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class RuleFire(models.Model):
    """The audit: which rule fired on which mention, and what it did.

    Routing writes several a mention, so the table carries no foreign-key constraints
    (PostgreSQL would check four a row at every commit): routing writes only ids it has
    just read or made, and Django still applies each relation's on_delete.
    """

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey(  # not indexed: read through the rules (rule, at)
        "org.Organisation", on_delete=models.CASCADE, related_name="+", db_constraint=False,
        db_index=False,
    )  # fmt: skip
    rule = models.ForeignKey(  # indexed by rulefire_rule_at
        Rule, null=True, on_delete=models.SET_NULL, related_name="fires", db_constraint=False,
        db_index=False,
    )  # fmt: skip
    rule_name = models.CharField(max_length=200)
    # The mention it fired on stays recorded (an audit is not rewritten) and is not
    # indexed: the audit is read by rule and by case, never by mention.
    mention = models.ForeignKey(
        "listening.Mention", null=True, on_delete=models.DO_NOTHING, related_name="+",
        db_constraint=False, db_index=False,
    )  # fmt: skip
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False
    )
    actions = models.JSONField(default=list)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["rule", "-at"], name="rulefire_rule_at")]

    def __str__(self) -> str:
        return f"{self.rule_name} @ {self.mention_id}"


class AgentProfile(models.Model):
    """How work reaches a person: capacity, skills, languages, availability."""

    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="agent_profiles")
    available = models.BooleanField(_("available"), default=True)
    capacity = models.PositiveIntegerField(_("capacity"), default=20)
    skills = models.JSONField(_("skills"), default=list, blank=True)  # intents
    languages = models.JSONField(_("languages"), default=list, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="agentprofile_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ({self.organisation_id})"


class Approval(models.Model):
    """A request for the next role up: goodwill above authority, or a reply to approve."""

    class Kind(models.TextChoices):
        GOODWILL = "goodwill", _("Goodwill")
        REPLY = "reply", _("Reply")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="approvals")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    required_role = models.CharField(max_length=32)
    summary = models.CharField(max_length=500)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "status"], name="approval_org_status")]

    def __str__(self) -> str:
        return self.summary


class Goodwill(models.Model):
    """A refund, credit or gift on a case: the ledger of authority used."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund")
        CREDIT = "credit", _("Credit")
        GIFT = "gift", _("Gift")

    class Status(models.TextChoices):
        GRANTED = "granted", _("Granted")
        PENDING = "pending", _("Waiting for approval")
        REJECTED = "rejected", _("Rejected")

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="goodwill")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL)
    approval = models.OneToOneField(
        Approval, null=True, blank=True, on_delete=models.SET_NULL, related_name="goodwill"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}"


class ReplyTemplate(models.Model):
    """A macro: text with {variables}, in one language, suggested for some intents."""

    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    shortcut = models.SlugField(_("shortcut"), max_length=60)
    lang = models.CharField(_("language"), max_length=8)
    body = models.TextField(_("text"))
    intents = models.JSONField(_("intents"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "shortcut", "lang"], name="replytemplate_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.lang})"


class Draft(models.Model):
    """A reply being written on a case; it may need approval before it goes out."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SENT = "sent", _("Sent")

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="drafts")
    mention = models.ForeignKey("listening.Mention", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL)
    text = models.TextField()
    lang = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    flags = models.JSONField(default=list, blank=True)  # the policy checker's findings
    approval = models.OneToOneField(
        Approval, null=True, blank=True, on_delete=models.SET_NULL, related_name="draft"
    )
    outbound = models.ForeignKey(
        "channels.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    # The case's `reply_seq` when the draft was submitted: approving it sends it only if
    # nobody replied on the case meanwhile (one voice, never two answers).
    seen_seq = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.text[:60]


class Presence(models.Model):
    """Who has a case open right now, and whether they are typing (collision detection)."""

    class State(models.TextChoices):
        VIEWING = "viewing", _("Viewing")
        TYPING = "typing", _("Typing a reply")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="presence")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.VIEWING)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="presence_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.state} {self.case_id}"


class Lead(models.Model):
    """A sales lead from purchase intent, with the conversation (its case) attached."""

    class Stage(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    contact = models.ForeignKey(
        "listening.Author", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    title = models.CharField(max_length=300)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.NEW)
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL)
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Idea(models.Model):
    """A product idea customers (or staff) put forward, with the cases it came from
    (docs/engagement.md#ideas); it moves from new to shipped, or is declined."""

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("idea status", "New")
        UNDER_REVIEW = "under_review", _("Under review")
        PLANNED = "planned", _("Planned")
        SHIPPED = "shipped", _("Shipped")
        DECLINED = "declined", _("Declined")

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    team = models.ForeignKey(  # the product team that owns it
        "org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    cases = models.ManyToManyField(Case, related_name="ideas", blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status", "-updated_at"], name="idea_org_status")
        ]

    def __str__(self) -> str:
        return self.title


class Article(models.Model):
    """A knowledge-base article, suggested to agents while they answer."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", pgettext_lazy("article status", "Published")

    organisation = models.ForeignKey("org.Organisation", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"))
    lang = models.CharField(_("language"), max_length=8)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    source_case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title


class Csat(models.Model):
    """A satisfaction survey after resolution, answered in the channel or by link."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="csat")
    token = models.CharField(max_length=43, unique=True)
    outbound = models.ForeignKey(
        "channels.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    sent_at = models.DateTimeField()
    score = models.PositiveSmallIntegerField(null=True, blank=True)  # 1 to 5
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_via = models.CharField(max_length=10, blank=True)  # channel / link

    def __str__(self) -> str:
        return f"{self.case_id}: {self.score}"
