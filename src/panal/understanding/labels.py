"""The names people read for sentiment values and intents, in Spanish and English
(docs/understanding.md)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SENTIMENTS: dict[str, Promise] = {
    "negative": _("Negative"),
    "neutral": _("Neutral"),
    "positive": _("Positive"),
}

INTENTS: dict[str, Promise] = {
    "praise": _("Praise"),
    "complaint": _("Complaint"),
    "question": _("Question"),
    "purchase_intent": _("Purchase intent"),
    "technical_support": _("Technical support"),
    "billing": _("Billing"),
    "media_opportunity": _("Media opportunity"),
    "product_idea": _("Product idea"),
    "competitor": _("Competitor"),
    "recruiting_hr": _("Recruiting and HR"),
    "legal_risk": _("Legal risk"),
    "spam": _("Spam"),
    "none": _("None of these"),
}


def sentiment_label(value: str) -> str:
    """The readable name of a sentiment value; an unknown value is shown as it is."""
    return str(SENTIMENTS.get(value, value))


def intent_label(value: str) -> str:
    """The readable name of an intent; an unknown one (an organisation's own) as it is."""
    return str(INTENTS.get(value, value))
