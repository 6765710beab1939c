"""Product ideas, and the cases they came from (docs/engagement.md#ideas).

A case whose customer proposes an improvement is linked to an idea: a new one made from
the case, or one already there (several customers asking for the same thing make one
idea with several cases). The idea belongs to the organisation's product team and moves
new → under review → planned → shipped (or declined); each change is written in the
history of every case linked to it, so whoever answers those customers sees it.

Who may do what (the same checks for pages and API):
- see ideas: `engagement.view_idea`, in one of one's organisations;
- put one forward, link or unlink a case: `engagement.add_idea`, and working the case
  (`engagement.work_case` and seeing it);
- change an idea's status, title or description: `engagement.change_idea`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from panal.core import clock
from panal.org.choices import Department
from panal.org.models import Organisation, Team

from . import cases
from .models import Case, CaseEvent, Idea

Status = Idea.Status
MAX_TITLE = 300
MAX_DESCRIPTION = 10_000
LINK_CHOICES = 200  # the newest ideas offered for linking on a case page


class IdeaError(ValueError):
    """A change that cannot be made; the message says why."""


class IdeaNotFound(LookupError):
    """No such idea, or not one the user may see (the same answer for both)."""


def can_see(user) -> bool:
    return user.is_authenticated and user.has_perm("engagement.view_idea")


def can_propose(user) -> bool:
    return user.is_authenticated and user.has_perm("engagement.add_idea")


def can_manage(user) -> bool:
    return user.is_authenticated and user.has_perm("engagement.change_idea")


def ideas_of(organisation_id: int) -> QuerySet[Idea]:
    """The organisation's ideas, newest change first, each with `n_cases`."""
    return (
        Idea.objects.filter(organisation_id=organisation_id)
        .select_related("team")
        .annotate(n_cases=Count("cases"))
    )


def get_idea_for(user, idea_id) -> Idea:
    """The idea, if the user may see it; else IdeaNotFound."""
    try:
        idea = Idea.objects.select_related("team", "created_by").get(pk=int(idea_id))
    except (Idea.DoesNotExist, ValueError, TypeError, OverflowError):
        raise IdeaNotFound(_("Idea not found.")) from None
    if not can_see(user) or idea.organisation_id not in cases.seats(user):
        raise IdeaNotFound(_("Idea not found."))
    return idea


def _title(value: str) -> str:
    title = " ".join(str(value or "").split())
    if not title:
        raise IdeaError(_("An idea needs a title."))
    if len(title) > MAX_TITLE:
        raise IdeaError(_("The title is too long (at most %(n)d characters).") % {"n": MAX_TITLE})
    return title


def _description(value: str) -> str:
    text = str(value or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise IdeaError(
            _("The description is too long (at most %(n)d characters).") % {"n": MAX_DESCRIPTION}
        )
    return text


def _product_team(organisation_id: int) -> Team | None:
    return (
        Team.objects.filter(organisation_id=organisation_id, department=Department.PRODUCT)
        .order_by("name", "id")
        .first()
    )


def _check_case(user, case: Case) -> None:
    if not can_propose(user) or not cases.can_work(user, case):
        raise PermissionDenied(_("Your role cannot link this case to an idea."))


def create_idea(
    user, organisation: Organisation, title: str, description: str = "", *, case: Case | None = None
) -> Idea:
    """A new idea of the organisation, for its product team; linked to `case` if given."""
    if not can_propose(user) or organisation.pk not in cases.seats(user):
        raise PermissionDenied(_("Your role cannot put ideas forward."))
    if case is not None:
        _check_case(user, case)
        if case.organisation_id != organisation.pk:
            raise IdeaError(_("The case belongs to another organisation."))
    clean_title, clean_description = _title(title), _description(description)
    now = clock.now()
    with transaction.atomic():
        idea = Idea.objects.create(
            organisation=organisation, title=clean_title, description=clean_description,
            team=_product_team(organisation.pk), created_by=user, created_at=now,
            updated_at=now,
        )  # fmt: skip
        if case is not None:
            _link(user, idea, case, now)
    return idea


def _link(user, idea: Idea, case: Case, now) -> None:
    idea.cases.add(case)
    cases.record(case, CaseEvent.Kind.IDEA, user, at=now, idea=idea.pk, action="linked",
                 summary=idea.title)  # fmt: skip


def link_case(user, idea: Idea, case: Case) -> bool:
    """Link the case to the idea. False if it already was (nothing changes)."""
    _check_case(user, case)
    if case.organisation_id != idea.organisation_id:
        raise IdeaError(_("The case and the idea belong to different organisations."))
    with transaction.atomic():
        if idea.cases.filter(pk=case.pk).exists():
            return False
        now = clock.now()
        _link(user, idea, case, now)
        Idea.objects.filter(pk=idea.pk).update(updated_at=now)
    return True


def unlink_case(user, idea: Idea, case: Case) -> bool:
    """Take the case off the idea. False if it was not linked."""
    _check_case(user, case)
    with transaction.atomic():
        if not idea.cases.filter(pk=case.pk).exists():
            return False
        idea.cases.remove(case)
        cases.record(case, CaseEvent.Kind.IDEA, user, idea=idea.pk, action="unlinked",
                     summary=idea.title)  # fmt: skip
    return True


def update_idea(
    user,
    idea: Idea,
    *,
    status: str | None = None,
    title: str | None = None,
    description: str | None = None,
) -> Idea:
    """Change the status, title or description. A new status is written in the history of
    every case linked to the idea."""
    if not can_manage(user) or idea.organisation_id not in cases.seats(user):
        raise PermissionDenied(_("Your role cannot change ideas."))
    if status is not None and status not in Status.values:
        raise IdeaError(_("Unknown status: %(status)s.") % {"status": str(status)[:40]})
    changed: list[str] = []
    if title is not None and (clean := _title(title)) != idea.title:
        idea.title = clean
        changed.append("title")
    if description is not None and (text := _description(description)) != idea.description:
        idea.description = text
        changed.append("description")
    before = idea.status
    if status is not None and status != before:
        idea.status = status
        changed.append("status")
    if not changed:
        return idea
    now = clock.now()
    idea.updated_at = now
    with transaction.atomic():
        idea.save(update_fields=[*changed, "updated_at"])
        if "status" in changed:
            label = f"{idea.title}: {Status(before).label} → {idea.get_status_display()}"
            CaseEvent.objects.bulk_create(
                CaseEvent(case_id=case_id, kind=CaseEvent.Kind.IDEA, at=now, actor=user,
                          data={"idea": idea.pk, "action": "status", "before": before,
                                "after": idea.status, "title": idea.title[:300],
                                "summary": label[:300]})
                for case_id in idea.cases.values_list("pk", flat=True)
            )  # fmt: skip
    return idea


def link_choices(organisation_id: int, case: Case) -> list[Idea]:
    """Ideas a case page offers to link: the newest not shipped or declined, not linked."""
    return list(
        Idea.objects.filter(organisation_id=organisation_id)
        .exclude(status__in=(Status.SHIPPED, Status.DECLINED))
        .exclude(cases=case)
        .only("id", "title", "status")[:LINK_CHOICES]
    )
