"""Template filters for what the models said of a mention (docs/understanding.md)."""

from django import template

from panal.understanding import labels

register = template.Library()


@register.filter
def sentiment_label(value: str) -> str:
    return labels.sentiment_label(value or "")


@register.filter
def intent_label(value: str) -> str:
    return labels.intent_label(value or "")
