"""What Panal's models made of each mention, and which model said it (docs/understanding.md)."""

from django.db import models


class Understanding(models.Model):
    """The predictions for one mention, each with its confidence and model, so a decision
    can be explained later; rewritten whenever the pipeline runs on the mention.

    The mention keeps the decision (`Mention.lang`, which may be the network's); this row
    keeps what the model said.
    """

    mention = models.OneToOneField(
        "listening.Mention", on_delete=models.CASCADE, primary_key=True,
        related_name="understanding",
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
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.mention_id}: {self.lang}"
