"""Template filters for showing strangers' data: links only to http(s) addresses."""

from django import template

register = template.Library()


@register.filter
def http_url(value: object) -> str:
    """`value` when it is an http(s) URL, else "" (no javascript:, data:, relative links)."""
    text = str(value or "").strip()
    if text.lower().startswith(("http://", "https://")) and len(text) > len("https://"):
        return text
    return ""
