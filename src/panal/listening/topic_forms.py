"""The forms of the topic and query pages: they parse what was posted; topics.py decides."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django import forms
from django.utils.translation import gettext_lazy as _

from panal.org.models import Organisation, Team

from .models import Topic


class TopicForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Topic.Kind.choices)
    team = forms.ModelChoiceField(
        label=_("Owner team"), queryset=Team.objects.none(), required=False,
        empty_label=_("No team"),
    )  # fmt: skip
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, organisation: Organisation, *args, creating: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only the organisation's own teams can be chosen; another id is "not a choice".
        self.fields["team"].queryset = Team.objects.filter(organisation=organisation)
        if creating:  # a new topic is active
            del self.fields["is_active"]

    @classmethod
    def of(cls, topic: Topic) -> TopicForm:
        return cls(
            topic.organisation,
            initial={
                "name": topic.name,
                "kind": topic.kind,
                "team": topic.team_id,
                "description": topic.description,
                "is_active": topic.is_active,
            },
        )


class QueryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    text = forms.CharField(label=_("Query"), required=False, strip=False, widget=forms.Textarea)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class BackfillForm(forms.Form):
    since = forms.DateField(
        label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def since_moment(self) -> datetime | None:
        """The start of the chosen UTC day, or None for all of history."""
        day = self.cleaned_data.get("since")
        return datetime.combine(day, time.min, tzinfo=UTC) if day else None
