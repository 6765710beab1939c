"""The forms of a correction, and the corrections panel of the mention page
(docs/understanding.md#corrections-and-your-own-models)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from panal.listening.models import Mention

from . import labels, language, learning
from .models import Correction, Understanding

# Codes the detector answers that Django's language table knows under another name.
_DJANGO_CODE = {"zh": "zh-hans", "no": "nb"}
_OWN_NAMES = {"tl": _("Tagalog"), language.UND: _("Unknown or mixed")}


def language_name(code: str) -> str:
    """A language code's name in the reader's language (the code itself when unknown)."""
    if code in _OWN_NAMES:
        return f"{_OWN_NAMES[code]} ({code})"
    try:
        return f"{get_language_info(_DJANGO_CODE.get(code, code))['name_translated']} ({code})"
    except KeyError:
        return code


def _language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in learning.language_codes()]


class LanguageForm(forms.Form):
    after = forms.ChoiceField(label=_("Language"), choices=_language_choices)


class SentimentForm(forms.Form):
    after = forms.ChoiceField(label=_("Sentiment"), choices=labels.SENTIMENTS.items)


class IntentsForm(forms.Form):
    after = forms.MultipleChoiceField(
        label=_("Intents"),
        choices=lambda: [
            (label, labels.intent_label(label)) for label in [*learning.intent_labels(), "none"]
        ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one intent, or “None of these”.")},
    )

    def clean_after(self) -> list[str]:
        chosen = self.cleaned_data["after"]
        if "none" in chosen and len(chosen) > 1:
            raise forms.ValidationError(_("“None of these” cannot go with other intents."))
        return [label for label in chosen if label != "none"]


FORMS: dict[str, type[forms.Form]] = {
    Correction.Field.LANGUAGE: LanguageForm,
    Correction.Field.SENTIMENT: SentimentForm,
    Correction.Field.INTENTS: IntentsForm,
}


def form_for(field_name: str, data=None, initial: Any = None) -> forms.Form:
    """The bound (or initial) form of one field; ids are prefixed so the three can share
    a page."""
    return FORMS[field_name](data, initial={"after": initial}, auto_id=f"fix-{field_name}-%s")


@dataclass(frozen=True)
class ShownCorrection:
    correction: Correction
    before: str
    after: str


@dataclass(frozen=True)
class Panel:
    can_correct: bool
    forms: dict[str, forms.Form]
    history: list[ShownCorrection]


def readable(field_name: str, value: Any) -> str:
    """A stored value as people read it."""
    if value is None:
        return "—"
    if field_name == Correction.Field.LANGUAGE:
        return language_name(str(value))
    if field_name == Correction.Field.SENTIMENT:
        return labels.sentiment_label(str(value))
    names = [labels.intent_label(str(v)) for v in value or []]
    return ", ".join(names) if names else labels.intent_label("none")


def panel(user, mention: Mention) -> Panel:
    """The corrections part of a mention's page: a form per field (with the mention's
    current values) for users who may correct, and the history for everyone who sees it."""
    can = user.has_perm(learning.CORRECT_PERM)
    forms_shown: dict[str, forms.Form] = {}
    if can:
        row: Understanding | None = getattr(mention, "understanding", None)
        intents = [str(i.get("label")) for i in (row.intents if row else [])] or ["none"]
        forms_shown = {
            Correction.Field.LANGUAGE: form_for(
                Correction.Field.LANGUAGE, initial=mention.lang or language.UND
            ),
            Correction.Field.SENTIMENT: form_for(
                Correction.Field.SENTIMENT, initial=row.sentiment if row else None
            ),
            Correction.Field.INTENTS: form_for(Correction.Field.INTENTS, initial=intents),
        }
    history = [
        ShownCorrection(c, readable(c.field, c.before), readable(c.field, c.after))
        for c in learning.corrections_of(mention)
    ]
    return Panel(can_correct=can, forms=forms_shown, history=history)
