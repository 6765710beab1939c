"""Template helpers of the case pages: notes with their @mentions, and history lines."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import normalize_newlines
from django.utils.translation import gettext as _

from panal.org.choices import EngagementModel

from ..models import Case, EngagementConfig, Idea, Priority
from ..models_of_engagement import explain

Strategy = EngagementConfig.Strategy
register = template.Library()

_HANDLE = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")


@register.filter
def note_html(body: str) -> SafeString:
    """A note's text in paragraphs and lines, each @handle highlighted. Every piece of the
    text goes through format_html, which escapes it."""
    out = SafeString("")
    for n, paragraph in enumerate(re.split(r"\n{2,}", normalize_newlines(body or "").strip("\n"))):
        lines = SafeString("")
        for i, line in enumerate(paragraph.split("\n")):
            lines = format_html("{}<br>{}", lines, _handles(line)) if i else _handles(line)
        out = format_html("{}\n<p>{}</p>", out, lines) if n else format_html("<p>{}</p>", lines)
    return out


def _handles(line: str) -> SafeString:
    """One line, escaped, with each @handle in a span."""
    out = SafeString("")
    pieces = _HANDLE.split(line)  # text, handle, text, handle, …, text
    for i, piece in enumerate(pieces):
        if i % 2:
            out = format_html('{}<span class="at">@{}</span>', out, piece)
        elif piece:
            out = format_html("{}{}", out, piece)
    return out


@register.filter
def playbook_label(intent: str) -> str:
    """The readable name of the intent a case was routed by (or of the crisis playbook)."""
    from panal.understanding.labels import intent_label

    return _("Crisis") if intent == "crisis" else intent_label(intent or "")


def _choice_label(choices, value) -> str:
    """A stored code's label (the code itself when it is not one of the choices)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _team(team_names: dict, team_id) -> str:
    return team_names.get(team_id, "—") if team_id is not None else "—"


@register.simple_tag
def route_explanation(data: dict | None, team_names: dict) -> str:
    """How a case was routed, in the reader's language (autoescaped where it is shown)."""
    if not data or not data.get("model"):
        return "—"
    return explain(data, lambda team_id: team_names.get(team_id) or f"#{team_id}")


@register.simple_tag
def event_summary(event, team_names: dict) -> SafeString:
    """One history line's details in words (every value escaped)."""
    data = event.data or {}
    kind = event.kind
    if kind in ("status", "priority"):  # the codes' labels, in the reader's language
        choices = Case.Status if kind == "status" else Priority
        return format_html(
            "{} → {}", _choice_label(choices, data.get("before", "")),
            _choice_label(choices, data.get("after", "")),
        )  # fmt: skip
    if kind == "tags":
        return format_html(
            "{} {} · {} {}", _("added"), ", ".join(data.get("added") or []) or "—",
            _("removed"), ", ".join(data.get("removed") or []) or "—",
        )  # fmt: skip
    if kind == "team":
        return format_html(
            "{} → {}{}",
            _team(team_names, data.get("before")),
            _team(team_names, data.get("after")),
            f" ({data['reason']})" if data.get("reason") else "",
        )  # fmt: skip
    if kind == "routed":
        return format_html("{} · {}", _choice_label(EngagementModel, data.get("model")),
                           route_explanation(data, team_names))  # fmt: skip
    if kind == "rule":
        return format_html("{}", data.get("name", ""))
    if kind == "assigned":
        how = data.get("how")
        label = _("by a rule") if how == "rule" else _choice_label(Strategy, how)
        return format_html("{}", label)
    if kind == "note":
        people = data.get("mentioned") or []
        return format_html("{}", ", ".join(f"@{p}" for p in people)) if people else SafeString("")
    if kind in ("merged", "split"):
        other = data.get("into") or data.get("source")
        return format_html("#{}", other) if other else SafeString("")
    if kind == "idea":
        actions = {"linked": _("linked"), "unlinked": _("unlinked"), "status": _("status")}
        summary = data.get("summary", "")
        if data.get("action") == "status" and "title" in data:  # the labels in your language
            summary = format_html(
                "{}: {} → {}", data["title"], _choice_label(Idea.Status, data.get("before")),
                _choice_label(Idea.Status, data.get("after")),
            )  # fmt: skip
        return format_html("{}: {}", actions.get(data.get("action"), ""), summary)
    if kind in ("sla", "escalated", "goodwill", "approval", "reply", "lead", "csat", "handover"):
        text = data.get("summary") or data.get("state") or data.get("text") or ""
        return format_html("{}", str(text)[:200])
    return SafeString("")
