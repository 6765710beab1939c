"""What Panal's models made of each mention, and which model said it (docs/understanding.md)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Understanding(models.Model):
    """The predictions for one mention, each with its confidence and model, so a decision
    can be explained later; rewritten whenever the pipeline runs on the mention.

    The mention keeps the decision (`Mention.lang`, which may be the network's); this row
    keeps what the model said.
    """

    # No database foreign-key constraint (as a case's links to its mentions): the pipeline
    # writes a batch's rows for the mentions it has just read, and the constraint made the
    # database check and lock each mention's row at every commit (a third of the default
    # path's commit). Django still applies on_delete, and Panal never deletes mentions
    # behind Django's back (docs/pipeline.md#the-understand-stage).
    mention = models.OneToOneField(
        "listening.Mention", on_delete=models.CASCADE, primary_key=True,
        related_name="understanding", db_constraint=False,
    )  # fmt: skip
    lang = models.CharField(max_length=8, blank=True)  # ISO 639-1, or "und"
    lang_confidence = models.FloatField(null=True, blank=True)
    lang_model = models.CharField(max_length=100, blank=True)  # name@version
    sentiment = models.CharField(max_length=10, blank=True)  # negative / neutral / positive
    # positive minus negative probability, in [-1, 1]
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment_confidence = models.FloatField(null=True, blank=True)
    sentiment_model = models.CharField(max_length=80, blank=True)  # name@version
    intents = models.JSONField(default=list, blank=True)  # [{"label", "confidence"}]
    intent_model = models.CharField(max_length=80, blank=True)  # name@version
    urgency = models.FloatField(null=True, blank=True)  # in [0, 1]
    urgency_level = models.CharField(max_length=10, blank=True)  # low/normal/high/critical
    urgency_reasons = models.JSONField(default=list, blank=True)  # [{"reason", "weight"}]
    urgency_model = models.CharField(max_length=80, blank=True)
    # [{"kind", "text", "start", "end", "ref"}]: catalogue items, brands, people, places
    entities = models.JSONField(default=list, blank=True)
    entity_model = models.CharField(max_length=80, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.mention_id}: {self.lang}"


class Correction(models.Model):
    """An agent's correction of what a model said about a mention: training data of the
    mention's organisation (docs/understanding.md#corrections). The text is copied, so the
    example survives the mention's deletion."""

    class Field(models.TextChoices):
        LANGUAGE = "language", _("Language")
        SENTIMENT = "sentiment", _("Sentiment")
        INTENTS = "intents", _("Intents")

    organisation = models.ForeignKey(
        "org.Organisation", on_delete=models.CASCADE, related_name="corrections"
    )
    mention = models.ForeignKey(
        "listening.Mention", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="corrections",
    )  # fmt: skip
    field = models.CharField(max_length=16, choices=Field.choices)
    text = models.TextField()
    lang = models.CharField(max_length=8, blank=True)
    before = models.JSONField(null=True, blank=True)  # what the model (or last fix) said
    after = models.JSONField()  # a code, a label, or a list of intent labels
    model = models.CharField(max_length=80, blank=True)  # name@version corrected
    # Held back from training to judge a retrained model against the current one.
    held_out = models.BooleanField(default=False)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "field", "created_at"])]

    def __str__(self) -> str:
        return f"{self.field}: {self.before} -> {self.after}"


class OrgModel(models.Model):
    """One version of an organisation's own model for a task, trained by
    `panal model retrain` from the shipped data and its corrections (docs/understanding.md)."""

    class Status(models.TextChoices):
        TRAINING = "training", _("Training")
        CANDIDATE = "candidate", _("Not promoted")
        PROMOTED = "promoted", _("In use")
        RETIRED = "retired", _("Retired")
        FAILED = "failed", _("Failed")

    organisation = models.ForeignKey(
        "org.Organisation", on_delete=models.CASCADE, related_name="models"
    )
    task = models.CharField(max_length=16)  # sentiment / intent / language
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRAINING)
    archive = models.BinaryField(null=True, blank=True)  # zip of the model directory
    examples = models.PositiveIntegerField(default=0)  # corrections trained on
    held_out = models.PositiveIntegerField(default=0)  # corrections it was judged on
    scores = models.JSONField(default=dict, blank=True)  # {"candidate": …, "current": …}
    note = models.TextField(blank=True)  # why promoted or not, or the error
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField()
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    promoted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["task", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "task", "version"], name="orgmodel_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.task} v{self.version} ({self.status})"
