"""Replies from a case: templates, drafts, approval and sending (docs/engagement.md#replies).

A reply is written on the case, in the customer's language, from reply templates with
variables (`{first_name}`, `{agent}`…) and the knowledge base's suggestions. The policy
checker (`policy.check`) flags risky text as it is typed. Who may send at once: people
with `listening.publish_reply` who joined more than `EngagementConfig.new_staff_days`
ago (approvers excepted); everyone else, and anyone promising more money than their
authority, submits the draft for approval by an area manager. The approval's handler
sends it, as the approver, through the channel's reply service.

One reply at a time: `send` carries the `reply_seq` the agent saw when the case was
loaded and bumps it in the same transaction as the reply; a second agent with the same
number finds it moved and is refused with the name of who replied. The channel's own
refusals (a closed messaging window, a disconnected account, a text too long) are
refused up front with their reason. A draft remembers the number when it was submitted:
if someone replied on the case before it was approved, approving it is refused with who
replied (the approver rejects it, and its author reads the reply first).
"""

from __future__ import annotations

import re
import string
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from panal.channels import replies
from panal.channels.models import OutboundMessage
from panal.core import clock
from panal.org.models import Membership

from . import cases, policy
from .models import Approval, Case, CaseEvent, Draft, ReplyTemplate
from .playbooks import INTENTS

Kind = CaseEvent.Kind
MAX_TEXT = 10_000
MAX_TEMPLATE = 5_000
APPROVER_ROLE = "area_manager"
STATUSES_AFTER = (Case.Status.PENDING, Case.Status.RESOLVED)
SHORTCUT_RE = re.compile(r"^[a-z0-9_-]{1,60}$")
LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
VARIABLES = ("first_name", "name", "handle", "agent", "case", "brand", "organisation")


class NotAllowed(cases.CaseError, PermissionDenied):
    """The user may not answer this case: a refusal (CaseError) and a 403 (PermissionDenied)."""


class ReplyConflict(cases.CaseError):
    """Refused by the state of things, not by the text: someone else replied, the channel
    will not deliver now, or the reply needs approval first."""


def variable_help() -> list[tuple[str, str]]:
    """(variable, what it becomes) for the template pages."""
    return [
        ("first_name", _("The customer's first name")),
        ("name", _("The customer's name as the network shows it")),
        ("handle", _("The customer's @handle")),
        ("agent", _("Your first name")),
        ("case", _("The case number")),
        ("brand", _("The brand the customer wrote to")),
        ("organisation", _("Your organisation's name")),
    ]


# --- templates ------------------------------------------------------------------------------


def validate_template(body: str) -> list[str]:
    """What is wrong with a template's text: unknown variables, stray braces."""
    try:
        parsed = list(string.Formatter().parse(body or ""))
    except ValueError:
        return [
            _(
                "A brace is not opened or not closed. Write a variable as {first_name}, and "
                "a brace itself as {{ or }}."
            )
        ]
    errors: list[str] = []
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field == "" or field.isdigit():
            errors.append(
                _(
                    "Write a variable name inside the braces, such as {first_name}; a brace "
                    "itself is written {{ or }}."
                )
            )
        elif field not in VARIABLES:
            errors.append(
                _("Unknown variable {%(name)s}. Use one of: %(known)s.")
                % {"name": field[:40], "known": ", ".join(f"{{{v}}}" for v in VARIABLES)}
            )
        if spec or conversion:
            errors.append(
                _("Write variables plainly, such as {first_name}: nothing after the name.")
            )
    return list(dict.fromkeys(errors))


def fill(body: str, values: dict[str, str]) -> str:
    """Put `values` in place of the variables. The values are never parsed themselves,
    and nothing but a plain variable name is looked up (no attributes, no indexes)."""
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError:
        return body
    out: list[str] = []
    for literal, field, spec, conversion in parsed:
        out.append(literal)
        if field is None:
            continue
        if field in values and not spec and not conversion:
            out.append(values[field])
        else:  # not a variable we know: leave it as written
            out.append(
                "{" + field + (f"!{conversion}" if conversion else "") +
                (f":{spec}" if spec else "") + "}"
            )  # fmt: skip
    return "".join(out)


def _person_name(user) -> str:
    return (user.first_name or user.get_full_name() or user.get_username()).strip()


def variables(case: Case, mention=None, user=None) -> dict[str, str]:
    """The values of the template variables for a reply on `case` by `user`."""
    mention = mention if mention is not None else latest_mention(case)
    contact = case.contact or (mention.author if mention is not None else None)
    name = (
        (contact.display_name if contact else "")
        or (mention.author_display_name if mention is not None else "")
        or (contact.handle if contact else "")
        or (mention.author_handle if mention is not None else "")
    ).strip()
    handle = (
        (mention.author_handle if mention is not None else "")
        or (contact.handle if contact else "")
    ).strip()
    organisation = case.organisation
    brand = None
    if mention is not None and mention.brand_id:
        brand = mention.brand
    elif case.account_id and case.account.brand_id:
        brand = case.account.brand
    return {
        "first_name": name.split()[0] if name.split() else "",
        "name": name,
        "handle": "@" + handle.lstrip("@") if handle else "",
        "agent": _person_name(user) if user is not None else "",
        "case": str(case.pk),
        "brand": brand.name if brand else organisation.name,
        "organisation": organisation.name,
    }


def render(template: ReplyTemplate | str, case: Case, mention=None, user=None) -> str:
    """The template's text with the variables filled from the case, its contact and mention."""
    body = template if isinstance(template, str) else template.body
    return fill(body, variables(case, mention, user))


def render_for_auto_reply(case: Case, mention, shortcut: str) -> str:
    """A rule's auto-reply: the template with this shortcut in the customer's language
    (else the organisation's default language), filled in; "" when there is none."""
    lang = customer_language(case, mention)
    rows = {
        _primary(t.lang): t
        for t in ReplyTemplate.objects.filter(
            organisation_id=case.organisation_id, shortcut=shortcut
        )
    }
    template = rows.get(lang) or rows.get(_primary(case.organisation.default_language))
    return render(template, case, mention) if template is not None else ""


def _primary(lang: str) -> str:
    return (lang or "").strip().lower().replace("_", "-").split("-")[0]


def customer_language(case: Case, mention=None) -> str:
    """The case's language, else its latest mention's, else the organisation's default."""
    mention = mention if mention is not None else latest_mention(case)
    return _primary(
        case.lang
        or (mention.lang if mention is not None else "")
        or case.organisation.default_language
    )


def templates_for(case: Case, mention=None) -> list[ReplyTemplate]:
    """The organisation's templates in the customer's language, the case's intent first."""
    lang = customer_language(case, mention)
    rows = list(
        ReplyTemplate.objects.filter(organisation_id=case.organisation_id).filter(
            Q(lang__iexact=lang) | Q(lang__istartswith=f"{lang}-")
        )
    )
    return sorted(rows, key=lambda t: (case.intent not in (t.intents or []), t.name.lower(), t.pk))


def require_manage_templates(user) -> None:
    if not user.has_perm("engagement.manage_rules"):
        raise PermissionDenied(_("Your role cannot change reply templates."))


class TemplateError(cases.CaseError):
    """A template that cannot be saved; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def clean_template(name: str, shortcut: str, lang: str, body: str, intents) -> dict:
    name = " ".join((name or "").split())
    shortcut = (shortcut or "").strip().lower()
    body = (body or "").replace("\r\n", "\n").strip()
    lang = (lang or "").strip().lower().replace("_", "-")
    intents = [i for i in dict.fromkeys(intents or []) if i]
    if not name:
        raise TemplateError(_("Give the template a name."), "name")
    if not SHORTCUT_RE.match(shortcut):
        raise TemplateError(
            _("A shortcut is letters, digits, hyphens or underscores (at most 60)."), "shortcut"
        )
    if not LANG_RE.match(lang):
        raise TemplateError(
            _("Write the language as a code such as “es”, “en” or “pt-br”."), "lang"
        )
    if not body:
        raise TemplateError(_("The template has no text."), "body")
    if len(body) > MAX_TEMPLATE:
        raise TemplateError(
            _("A template takes at most %(n)s characters.") % {"n": MAX_TEMPLATE}, "body"
        )
    errors = validate_template(body)
    if errors:
        raise TemplateError(" ".join(errors), "body")
    unknown = [i for i in intents if i not in INTENTS]
    if unknown:
        raise TemplateError(
            _("Unknown intent “%(intent)s”.") % {"intent": unknown[0][:40]}, "intents"
        )
    return {"name": name[:200], "shortcut": shortcut, "lang": lang, "body": body,
            "intents": intents}  # fmt: skip


@transaction.atomic
def save_template(user, organisation, *, template: ReplyTemplate | None = None, **fields):
    """Create (or change `template`) after checking the permission and the text."""
    require_manage_templates(user)
    if template is not None and template.organisation_id != organisation.pk:
        raise PermissionDenied(_("That template belongs to another organisation."))
    data = clean_template(**fields)
    clash = ReplyTemplate.objects.filter(
        organisation=organisation, shortcut=data["shortcut"], lang=data["lang"]
    )
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise TemplateError(
            _("Another template in this language already uses the shortcut “%(shortcut)s”.")
            % {"shortcut": data["shortcut"]},
            "shortcut",
        )
    template = template or ReplyTemplate(organisation=organisation)
    for key, value in data.items():
        setattr(template, key, value)
    template.save()
    return template


@transaction.atomic
def delete_template(user, template: ReplyTemplate) -> None:
    require_manage_templates(user)
    template.delete()


# --- knowledge ----------------------------------------------------------------------------


def suggestions_for(case: Case, limit: int = 3) -> list:
    """Published knowledge-base articles that answer the case ([] without the knowledge base)."""
    try:
        from . import knowledge
    except ImportError:
        return []
    mention = latest_mention(case)
    text = " ".join(filter(None, [case.subject, mention.text if mention is not None else ""]))
    return list(knowledge.suggest(case.organisation_id, text, customer_language(case), limit))


# --- who may send ---------------------------------------------------------------------------


def latest_mention(case: Case):
    """The mention a reply answers by default: the latest one still there."""
    mentions = cases.mentions_of(case)
    return mentions.filter(deleted_at__isnull=True).last() or mentions.last()


def mention_of(case: Case, mention=None):
    """`mention` (an object or id) checked to be part of the case; the latest by default."""
    if mention is None or mention == "":
        found = latest_mention(case)
        if found is None:
            raise cases.CaseError(_("This case has no message to reply to."))
        return found
    try:
        pk = int(getattr(mention, "pk", mention))
    except (TypeError, ValueError):
        pk = None
    found = cases.mentions_of(case).filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise cases.CaseError(_("That message is not part of this case."))
    return found


def needs_approval(user, case: Case, text: str | None = None, flags=None) -> str | None:
    """Why a reply by `user` on `case` must be approved first, or None when they may send.

    Without publishing rights (agency staff), or a member for fewer than the
    organisation's `new_staff_days` (approvers excepted); with `text`, also a promise above
    the author's authority."""
    if not user.has_perm("listening.publish_reply"):
        return _("Your role may write replies but not publish them: submit them for approval.")
    days = cases.config_for(case.organisation_id).new_staff_days
    joined = (
        Membership.objects.filter(user=user, organisation_id=case.organisation_id, is_active=True)
        .values_list("joined_at", flat=True)
        .first()
    )
    if (
        days
        and joined is not None
        and joined > clock.now() - timedelta(days=days)
        and not user.has_perm("engagement.approve_request")
    ):
        return _(
            "You joined less than %(days)d days ago: for now a manager approves your replies."
        ) % {"days": days}
    if text is not None:
        if flags is None:
            flags = policy.check(text, user=user, case=case)
        for flag in flags:
            if flag.blocks and flag.lifted_by_approval:
                return flag.message
    return None


def _clean_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise cases.CaseError(_("The reply is empty."))
    if len(text) > MAX_TEXT:
        raise cases.CaseError(_("A reply takes at most %(n)s characters.") % {"n": MAX_TEXT})
    return text


def _require_answer(user, case: Case) -> None:
    if not cases.can_answer(user, case):
        raise NotAllowed(_("You may not answer this case."))


def _hard_blocks(flags) -> list:
    """Blocking flags that no approval lifts (personal data in public, too long, empty)."""
    return [f for f in flags if f.blocks and not f.lifted_by_approval]


def _name(user) -> str:
    if user is None:
        return _("someone")
    return user.get_full_name() or user.get_username()


def _team_id(user, case: Case) -> int | None:
    return (
        Membership.objects.filter(user=user, organisation_id=case.organisation_id, is_active=True)
        .values_list("team_id", flat=True)
        .first()
    )


# --- drafts and approval --------------------------------------------------------------------


@transaction.atomic
def save_draft(user, case: Case, text: str, mention=None) -> Draft:
    """Keep the user's reply on the case (their one open draft is updated)."""
    _require_answer(user, case)
    text = _clean_text(text)
    mention = mention_of(case, mention)
    flags = [f.as_dict() for f in policy.check(text, user=user, case=case, mention=mention)]
    now = clock.now()
    draft = (
        Draft.objects.select_for_update()
        .filter(case=case, author=user, status=Draft.Status.DRAFT)
        .order_by("-updated_at")
        .first()
    )
    if draft is None:
        draft = Draft(case=case, author=user, created_at=now)
    draft.mention = mention
    draft.team_id = _team_id(user, case)
    draft.text = text
    draft.lang = customer_language(case, mention)
    draft.flags = flags
    draft.updated_at = now
    draft.save()
    return draft


def drafts_of(case: Case) -> list[Draft]:
    """The case's drafts not yet sent, newest first."""
    return list(
        Draft.objects.filter(case=case)
        .exclude(status=Draft.Status.SENT)
        .select_related("author", "approval", "approval__decided_by")
        .order_by("-updated_at", "-id")
    )


@transaction.atomic
def submit(user, draft: Draft) -> Draft:
    """Ask an area manager to approve the draft; it goes out when they do."""
    from . import authority

    case = draft.case
    _require_answer(user, case)
    if draft.author_id != user.pk:
        raise NotAllowed(_("Only the author of a draft may submit it."))
    if draft.status not in (Draft.Status.DRAFT, Draft.Status.REJECTED):
        raise ReplyConflict(_("This draft was already submitted."))
    text = _clean_text(draft.text)
    refusal = replies.refusal(draft.mention)
    if refusal:
        raise ReplyConflict(refusal)
    flags = policy.check(text, user=user, case=case, mention=draft.mention)
    hard = _hard_blocks(flags)
    if hard:
        raise cases.CaseError(hard[0].message)
    reason = needs_approval(user, case, text=text, flags=flags) or _("Asked for a second look.")
    summary = _("Reply to approve: %(text)s") % {"text": text}
    approval = authority.request_approval(
        user, case, kind=Approval.Kind.REPLY, summary=summary, required_role=APPROVER_ROLE
    )
    draft.approval = approval
    draft.status = Draft.Status.PENDING
    draft.flags = [f.as_dict() for f in flags]
    draft.seen_seq = Case.objects.values_list("reply_seq", flat=True).get(pk=case.pk)
    draft.updated_at = clock.now()
    draft.save(update_fields=["approval", "status", "flags", "seen_seq", "updated_at"])
    cases.record(case, Kind.DRAFT, user, draft=draft.pk, approval=approval.pk,
                 status=Draft.Status.PENDING, reason=reason)  # fmt: skip
    return draft


def decide_reply(approval: Approval, approved: bool, decided_by) -> OutboundMessage | None:
    """The approval handler: send an approved draft as the approver, or mark it rejected.

    `authority.decide` tells the author either way. A reply the channel can no longer
    deliver (the window closed meanwhile) is refused with the reason, so the request
    stays open for the approver to reject."""
    from .authority import AuthorityError

    draft = (
        Draft.objects.select_for_update(of=("self",))
        .select_related("case", "mention", "author")
        .filter(approval=approval)
        .first()
    )
    if draft is None or draft.status != Draft.Status.PENDING:
        return None
    case = draft.case
    now = clock.now()
    if not approved:
        draft.status = Draft.Status.REJECTED
        draft.updated_at = now
        draft.save(update_fields=["status", "updated_at"])
        cases.record(case, Kind.DRAFT, decided_by, draft=draft.pk, approval=approval.pk,
                     status=Draft.Status.REJECTED, note=approval.decision_note)  # fmt: skip
        return None
    try:  # only if nobody replied since it was submitted (one voice, never two answers)
        message = _deliver(
            decided_by, case, draft.mention, draft.text, seen_seq=draft.seen_seq, draft=draft
        )
    except (cases.CaseError, PermissionDenied) as exc:
        raise AuthorityError(
            _("The reply cannot be sent: %(reason)s") % {"reason": str(exc)}
        ) from None
    return message


def register() -> None:
    """Make approved replies go out (`authority` imports this module when one is decided)."""
    from . import authority

    authority.register_handler(Approval.Kind.REPLY, decide_reply)


# --- sending ------------------------------------------------------------------------------


def collision_message(case: Case) -> str:
    last = (
        CaseEvent.objects.filter(case=case, kind=Kind.REPLY)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    if last is None or last.actor is None:
        return _(
            "Someone else replied to this case while you were writing; read their reply first."
        )
    return _(
        "Someone else (%(who)s) replied to this case while you were writing; read their reply "
        "first."
    ) % {"who": _name(last.actor)}


def _deliver(user, case: Case, mention, text: str, *, seen_seq=None, status_after=None,
             draft: Draft | None = None) -> OutboundMessage:  # fmt: skip
    """Bump the case's reply number (only from `seen_seq` when given), queue the reply and
    record it, all in one transaction."""
    with transaction.atomic():
        rows = Case.objects.filter(pk=case.pk)
        if seen_seq is not None:
            rows = rows.filter(reply_seq=seen_seq)
        if not rows.update(reply_seq=F("reply_seq") + 1):
            raise ReplyConflict(collision_message(case))
        try:
            message = replies.send_reply(user, mention, text)
        except replies.ReplyRefused as exc:
            raise ReplyConflict(str(exc)) from None
        now = clock.now()
        case.reply_seq = Case.objects.values_list("reply_seq", flat=True).get(pk=case.pk)
        data = {"text": text, "outbound": message.pk, "mention": mention.pk, "who": _name(user)}
        if draft is not None:
            data.update(draft=draft.pk, author=draft.author_id)
        cases.record(case, Kind.REPLY, user, at=now, **data)
        if case.first_response_at is None:
            Case.objects.filter(pk=case.pk, first_response_at__isnull=True).update(
                first_response_at=now
            )
            case.first_response_at = now
        if status_after:
            cases.apply_status(case, status_after, actor=user)
        else:
            Case.objects.filter(pk=case.pk).update(updated_at=now)
        # The reply's own draft, or the author's open draft of this case, is now sent.
        sent = (
            Draft.objects.filter(pk=draft.pk)
            if draft is not None
            else Draft.objects.filter(case=case, author=user, status=Draft.Status.DRAFT)
        )
        sent.update(status=Draft.Status.SENT, outbound=message, updated_at=now)
        transaction.on_commit(lambda: _release(user, case))
    return message


def _release(user, case: Case) -> None:
    try:
        from . import presence
    except ImportError:
        return
    presence.release(user, case)


def send(user, case: Case, text: str, *, seen_seq: int, mention=None,
         status_after: str | None = None) -> OutboundMessage:  # fmt: skip
    """Send a reply now, once: refused with the reason when the user may not answer, needs
    approval, the text may not be published, the channel will not deliver, or someone
    else replied since the user loaded the case (`seen_seq`)."""
    _require_answer(user, case)
    text = _clean_text(text)
    if status_after not in (None, "", *STATUSES_AFTER):
        raise cases.CaseError(
            _("A reply may leave the case waiting on the customer or resolved, nothing else.")
        )
    try:
        seen_seq = int(seen_seq)
    except (TypeError, ValueError):
        raise cases.CaseError(_("Reload the case and try again.")) from None
    if seen_seq < 0:
        raise cases.CaseError(_("Reload the case and try again."))
    mention = mention_of(case, mention)
    refusal = replies.refusal(mention)
    if refusal:
        raise ReplyConflict(refusal)
    flags = policy.check(text, user=user, case=case, mention=mention)
    hard = _hard_blocks(flags)
    if hard:
        raise cases.CaseError(hard[0].message)
    reason = needs_approval(user, case, text=text, flags=flags)
    if reason:
        raise ReplyConflict(reason)
    return _deliver(user, case, mention, text, seen_seq=seen_seq, status_after=status_after or None)


def replies_of(case: Case) -> list[OutboundMessage]:
    """Every reply sent on the case's messages, oldest first: the thread's answers."""
    return list(
        OutboundMessage.objects.filter(mention__case_link__case=case)
        .select_related("author")
        .order_by("created_at", "id")
    )


register()
