"""Customer satisfaction after resolution, asked in the case's own channel (docs/engagement.md).

When a case is resolved (`cases.apply_status`, after commit) and the organisation asks
for satisfaction, a survey is created with a secret token. If the channel takes a reply
now, a short question goes out in the customer's language (es/en) through the reply
service, with the link to the public page when `PANAL_PUBLIC_URL` is set; otherwise only
the link page exists, and the case's history says why. The customer answers with a
lone score in the same conversation (`capture`, called by the router for every incoming
mention) or on the page `/csat/<token>/`. One answer per survey.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q

from panal.channels import replies
from panal.core import clock

from . import cases
from .models import Case, CaseEvent, CaseMention, Csat

log = logging.getLogger(__name__)

ANSWER_DAYS = 7  # a lone score in the channel counts this long after the survey
MAX_COMMENT = 2000
VIA_CHANNEL = "channel"
VIA_LINK = "link"

QUESTION = {
    "es": "¿Cómo valorarías nuestra ayuda del 1 al 5? Responde con un número (5 = excelente)",
    "en": "How would you rate our help from 1 to 5? Reply with a number (5 = excellent)",
}
LINK = {"es": " o valóranos aquí: {url}", "en": " or rate us here: {url}"}

# A lone score: "4", "4/5", "4 de 5", "4 of 5", "4 out of 5", "5️⃣", or 1 to 5 stars.
_SCORE = re.compile(
    r"^(?P<n>[1-5])(?:\ufe0f?\u20e3)?"
    r"(?:\s*(?:/|de|of|out\s+of|sobre)\s*5)?"
    r"\s*[.!]*\s*$",
    re.IGNORECASE,
)
_STARS = re.compile(r"^(?:[⭐★🌟]\ufe0f?\s*){1,5}[.!]*$")


def parse_score(text: str) -> int | None:
    """The score in a message that is only a score (1 to 5), else None."""
    text = (text or "").strip()
    if not text or len(text) > 40:
        return None
    match = _SCORE.match(text)
    if match:
        return int(match["n"])
    if _STARS.match(text):
        return sum(text.count(star) for star in "⭐★🌟")
    return None


def language_of(case: Case) -> str:
    lang = (case.lang or "")[:2].lower()
    if lang in QUESTION:
        return lang
    default = (getattr(case.organisation, "default_language", "") or "")[:2].lower()
    return default if default in QUESTION else "es"


def survey_url(csat: Csat) -> str:
    """The public page's absolute address, or "" when `PANAL_PUBLIC_URL` is not set."""
    base = (getattr(django_settings, "PANAL_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}/csat/{csat.token}/" if base else ""


def survey_text(case: Case, csat: Csat) -> str:
    lang = language_of(case)
    url = survey_url(csat)
    return QUESTION[lang] + (LINK[lang].format(url=url) if url else "") + "."


def _reply_target(case: Case):
    """The customer's latest message on the case (a messaging window counts from it),
    else the first mention."""
    first = case.first_mention
    latest = (
        CaseMention.objects.filter(
            case=case,
            mention__author_id=first.author_id,
            mention__account_id=first.account_id,
            mention__deleted_at__isnull=True,
        )
        .select_related("mention__account")
        .order_by("-mention__created_at", "-mention_id")
        .first()
        if first.author_id is not None
        else None
    )
    return latest.mention if latest is not None else first


def after_resolved(case_id: int) -> Csat | None:
    """Create and send the survey of a case just resolved (after commit); None when not
    asked: satisfaction off, no channel, the case reopened, or a survey already exists."""
    case = (
        Case.objects.select_related("organisation", "first_mention__account")
        .filter(pk=case_id)
        .first()
    )
    if case is None or case.status != Case.Status.RESOLVED:
        return None
    if not cases.config_for(case.organisation_id).csat_enabled:
        return None
    if case.first_mention is None or case.first_mention.account_id is None:
        return None
    if Csat.objects.filter(case=case).exists():
        return None
    target = _reply_target(case)
    try:
        with transaction.atomic():
            survey = Csat.objects.create(
                case=case, token=secrets.token_urlsafe(32), sent_at=clock.now()
            )
            text = survey_text(case, survey)
            reason = replies.refusal(target, text)
            if reason is None:
                try:
                    survey.outbound = replies.send_system_reply(target, text)
                except replies.ReplyRefused as exc:  # the channel changed in between
                    reason = str(exc)
            if survey.outbound is not None:
                survey.save(update_fields=["outbound"])
                cases.record(
                    case, CaseEvent.Kind.CSAT, None, sent=VIA_CHANNEL,
                    outbound=survey.outbound_id, mention=target.pk,
                )  # fmt: skip
            else:
                cases.record(case, CaseEvent.Kind.CSAT, None, sent=VIA_LINK, reason=reason)
    except IntegrityError:  # another run created it first
        return None
    return survey


def _same_conversation(mention, survey_mention) -> bool:
    if mention.account_id != survey_mention.account_id:
        return False
    if mention.visibility == "private" or mention.kind == "direct_message":
        return True
    thread = mention.thread_external_id
    return bool(thread) and thread == survey_mention.thread_external_id


def capture(mention) -> bool:
    """Record a lone score (1 to 5, "4/5", "4 de 5", ⭐⭐⭐⭐) from a customer who was asked
    in this conversation within `ANSWER_DAYS`; True when it was a survey answer."""
    if mention.author_id is None or mention.account_id is None:
        return False
    score = parse_score(mention.text)
    if score is None:
        return False
    since = clock.now() - timedelta(days=ANSWER_DAYS)
    candidates = (
        Csat.objects.filter(
            case__organisation_id=mention.organisation_id,
            case__contact_id=mention.author_id,
            answered_at__isnull=True,
            outbound__isnull=False,
            sent_at__gte=since,
        )
        .select_related("case", "outbound__mention")
        .order_by("-sent_at")
    )
    for survey in candidates[:5]:
        if not _same_conversation(mention, survey.outbound.mention):
            continue
        with transaction.atomic():
            if not _answer(survey, score, "", VIA_CHANNEL):
                return False
            cases.record(
                survey.case, CaseEvent.Kind.CSAT, None, score=score, via=VIA_CHANNEL,
                mention=mention.pk,
            )  # fmt: skip
        return True
    return False


def _answer(survey: Csat, score: int, comment: str, via: str) -> bool:
    """Store the one answer; False when the survey was already answered."""
    now = clock.now()
    changed = Csat.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        score=score, comment=comment, answered_at=now, answered_via=via
    )
    if changed:
        survey.score, survey.comment, survey.answered_at, survey.answered_via = (
            score, comment, now, via,
        )  # fmt: skip
    return bool(changed)


class AnswerError(ValueError):
    """An answer that cannot be stored; the message says why."""


class AlreadyAnswered(AnswerError):
    """The survey has its answer."""


def survey_for_token(token: str) -> Csat | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 43:
        return None
    return Csat.objects.select_related("case__organisation").filter(token=token).first()


@transaction.atomic
def answer_by_link(survey: Csat, score: int, comment: str) -> Csat:
    """The public page's answer (already validated as 1 to 5 and at most 2,000 characters)."""
    comment = (comment or "").replace("\r\n", "\n").strip()
    if score not in range(1, 6):
        raise AnswerError("score")
    if len(comment) > MAX_COMMENT:
        raise AnswerError("comment")
    if not _answer(survey, score, comment, VIA_LINK):
        raise AlreadyAnswered("answered")
    cases.record(survey.case, CaseEvent.Kind.CSAT, None, score=score, via=VIA_LINK)
    return survey


def csat_summary(organisation, since, until) -> dict:
    """Surveys created in [since, until): sent, answered, average score, % satisfied (4 or 5)."""
    org_id = getattr(organisation, "pk", organisation)
    row = Csat.objects.filter(
        case__organisation_id=org_id, sent_at__gte=since, sent_at__lt=until
    ).aggregate(
        sent=Count("id"),
        by_channel=Count("id", filter=Q(outbound__isnull=False)),
        answered=Count("id", filter=Q(score__isnull=False)),
        satisfied=Count("id", filter=Q(score__gte=4)),
        average=Avg("score"),
    )
    answered = row["answered"]
    return {
        "sent": row["sent"],
        "by_channel": row["by_channel"],
        "link_only": row["sent"] - row["by_channel"],
        "answered": answered,
        "average": round(float(row["average"]), 2) if row["average"] is not None else None,
        "satisfied_pct": round(100 * row["satisfied"] / answered, 1) if answered else None,
    }
