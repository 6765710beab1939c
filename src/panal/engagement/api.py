"""The engagement API: cases, their notes and history, goodwill, approvals and ideas
(docs/api.md).

The same services as the pages, so the same checks: a case the caller may not see is a
404, a change they may not make a 403, a change that cannot be made a 409 or 422 with
the reason.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from panal.listening.schemas import ErrorOut, ValidationErrorOut
from panal.org.models import Team
from panal.org.services import current_organisation

from . import cases, ideas
from .case_views import VIEWS, CaseFilters, inbox_queryset
from .models import Approval, Case, Idea

router = Router(tags=["cases"])

_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
MAX_PAGE = 200


class CaseOut(Schema):
    id: str
    subject: str
    status: str
    priority: str
    intent: str
    tags: list[str]
    lang: str
    channel: str
    owner_team: str | None
    assignee: str | None
    contact_id: str | None
    shared: bool
    model: str
    route_reason: str
    opened_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    sla_state: str
    merged_into: str | None

    @staticmethod
    def resolve_id(obj) -> str:
        return str(obj.id)

    @staticmethod
    def resolve_owner_team(obj) -> str | None:
        return obj.owner_team.slug if obj.owner_team_id else None

    @staticmethod
    def resolve_assignee(obj) -> str | None:
        return obj.assignee.username if obj.assignee_id else None

    @staticmethod
    def resolve_contact_id(obj) -> str | None:
        return str(obj.contact_id) if obj.contact_id else None

    @staticmethod
    def resolve_merged_into(obj) -> str | None:
        return str(obj.merged_into_id) if obj.merged_into_id else None


class EventOut(Schema):
    id: str
    at: datetime
    kind: str
    actor: str | None
    data: dict[str, Any]

    @staticmethod
    def resolve_id(obj) -> str:
        return str(obj.id)

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return obj.actor.username if obj.actor_id else None


class CaseDetailOut(CaseOut):
    mentions: list[str]
    events: list[EventOut]
    notes: list[dict[str, Any]]
    ideas: list[str]
    routing: str = Field(description="How it was routed, in the request's language")

    @staticmethod
    def resolve_routing(obj) -> str:
        return cases.explain_routing(obj)

    @staticmethod
    def resolve_mentions(obj) -> list[str]:
        links = obj.links.order_by("added_at", "id").values_list("mention_id", flat=True)
        return [str(i) for i in links]

    @staticmethod
    def resolve_events(obj) -> list:
        return cases.history(obj)

    @staticmethod
    def resolve_notes(obj) -> list[dict[str, Any]]:
        return [
            {"id": str(n.pk), "author": n.author.username if n.author_id else None,
             "body": n.body, "created_at": n.created_at}
            for n in obj.notes.select_related("author").order_by("created_at", "id")
        ]  # fmt: skip

    @staticmethod
    def resolve_ideas(obj) -> list[str]:
        return [str(pk) for pk in obj.ideas.values_list("pk", flat=True)]


class CasePatch(Schema):
    status: str | None = None
    priority: str | None = None
    tags: list[str] | None = Field(default=None, max_length=100)
    assignee: str | None = Field(default=None, description="A username; empty string: nobody")
    team: str | None = Field(default=None, description="A team slug of the organisation")


class NoteIn(Schema):
    body: str = Field(min_length=1, max_length=10_000)


class GoodwillIn(Schema):
    kind: str = Field(pattern="^(refund|credit|gift)$")
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    reason: str = Field(default="", max_length=500)


class DecisionIn(Schema):
    approve: bool
    note: str = Field(default="", max_length=2000)


class ApprovalOut(Schema):
    id: str
    case_id: str
    kind: str
    status: str
    summary: str
    required_role: str
    requested_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    created_at: datetime

    @staticmethod
    def resolve_id(obj) -> str:
        return str(obj.id)

    @staticmethod
    def resolve_case_id(obj) -> str:
        return str(obj.case_id)

    @staticmethod
    def resolve_requested_by(obj) -> str | None:
        return obj.requested_by.username if obj.requested_by_id else None

    @staticmethod
    def resolve_decided_by(obj) -> str | None:
        return obj.decided_by.username if obj.decided_by_id else None


def _case(request, case_id: str) -> Case:
    try:
        return cases.get_case_for(request.auth, case_id)
    except cases.CaseNotFound as missing:
        raise cases.CaseNotFound(str(missing)) from None


@router.get(
    "/cases",
    response={200: list[CaseOut], **_ERRORS},
    operation_id="listCases",
    summary="Cases of one queue, most pressing first",
)
def list_cases(
    request, view: str = "all", status: str = "", priority: str = "", page: int = 1,
    limit: int = 50,
):  # fmt: skip
    """Needs `engagement.view_case`. `view`: mine, team, unassigned, all (open) or closed."""
    if view not in VIEWS:
        view = "all"
    filters = CaseFilters.from_params(
        {"view": view, "status": status, "priority": priority, "page": str(max(page, 1))}
    )
    limit = max(1, min(limit, MAX_PAGE))
    start = (filters.page - 1) * limit
    return list(inbox_queryset(request.auth, filters)[start : start + limit])


@router.get(
    "/cases/{case_id}",
    response={200: CaseDetailOut, **_ERRORS},
    operation_id="getCase",
    summary="A case with its mentions, notes and history",
)
def get_case(request, case_id: str):
    return _case(request, case_id)


@router.patch(
    "/cases/{case_id}",
    response={200: CaseOut, 409: ErrorOut, **_ERRORS},
    operation_id="updateCase",
    summary="Change a case's status, priority, tags, assignee or team",
)
def update_case(request, case_id: str, payload: CasePatch):
    """Needs `engagement.work_case` on a case the caller sees. All the changes or none
    (a refused one undoes the others); each is in the case's history, by the caller."""
    case = _case(request, case_id)
    try:
        with transaction.atomic():
            return _update(request.auth, case, payload)
    except _Refused as refused:
        return Status(409, {"detail": str(refused)})


class _Refused(Exception):
    pass


def _update(user, case: Case, payload: CasePatch):
    try:
        if payload.status is not None:
            cases.set_status(user, case, payload.status)
        if payload.priority is not None:
            cases.set_priority(user, case, payload.priority)
        if payload.tags is not None:
            cases.set_tags(user, case, payload.tags)
        if payload.team is not None:
            team = Team.objects.filter(
                organisation_id=case.organisation_id, slug=payload.team
            ).first()
            if team is None:
                raise _Refused(f"Unknown team {payload.team!r}.")
            cases.move_to_team(user, case, team)
        if payload.assignee is not None:
            assignee = None
            if payload.assignee:
                assignee = get_user_model().objects.filter(username=payload.assignee).first()
                if assignee is None:
                    raise _Refused(f"Unknown person {payload.assignee!r}.")
            cases.assign(user, case, assignee)
    except cases.CaseError as error:
        raise _Refused(str(error)) from None
    return cases.get_case_for(user, case.pk)


@router.post(
    "/cases/{case_id}/notes",
    response={201: dict, 409: ErrorOut, **_ERRORS},
    operation_id="addCaseNote",
    summary="Add an internal note (@username notifies)",
)
def add_note(request, case_id: str, payload: NoteIn):
    case = _case(request, case_id)
    try:
        note = cases.add_note(request.auth, case, payload.body)
    except cases.CaseError as error:
        return Status(409, {"detail": str(error)})
    return Status(
        201, {"id": str(note.pk), "mentioned": [u.username for u in note.mentioned.all()]}
    )


@router.post(
    "/cases/{case_id}/goodwill",
    response={201: dict, 409: ErrorOut, **_ERRORS},
    operation_id="grantGoodwill",
    summary="Grant a refund, credit or gift (above your authority: an approval request)",
)
def grant_goodwill(request, case_id: str, payload: GoodwillIn):
    from . import authority

    case = _case(request, case_id)
    try:
        goodwill = authority.grant(request.auth, case, payload.kind, payload.amount, payload.reason)
    except (authority.AuthorityError, cases.CaseError) as error:
        return Status(409, {"detail": str(error)})
    return Status(201, {
        "id": str(goodwill.pk), "status": goodwill.status, "amount": str(goodwill.amount),
        "currency": goodwill.currency,
        "approval_id": str(goodwill.approval_id) if goodwill.approval_id else None,
    })  # fmt: skip


@router.get(
    "/approvals",
    response={200: list[ApprovalOut], **_ERRORS},
    operation_id="listApprovals",
    summary="Approval requests of the caller's organisations",
)
def list_approvals(request, status: str = "pending"):
    """Needs `engagement.approve_request` (everyone sees their own requests too)."""
    from panal.org.services import organisation_ids_for

    user = request.auth
    qs = Approval.objects.filter(organisation_id__in=organisation_ids_for(user))
    if not user.has_perm("engagement.approve_request"):
        qs = qs.filter(requested_by=user)
    if status in Approval.Status.values:
        qs = qs.filter(status=status)
    return list(qs.select_related("requested_by", "decided_by")[:MAX_PAGE])


@router.post(
    "/approvals/{approval_id}/decision",
    response={200: ApprovalOut, 409: ErrorOut, **_ERRORS},
    operation_id="decideApproval",
    summary="Approve or reject a request",
)
def decide_approval(request, approval_id: str, payload: DecisionIn):
    from panal.org.services import organisation_ids_for

    from . import authority

    approval = (
        Approval.objects.filter(
            pk=int(approval_id) if approval_id.isdigit() and len(approval_id) < 19 else -1,
            organisation_id__in=organisation_ids_for(request.auth),
        )
        .select_related("case")
        .first()
    )
    if approval is None:
        raise cases.CaseNotFound("Approval not found.")
    try:
        authority.decide(request.auth, approval, payload.approve, payload.note)
    except (authority.AuthorityError, cases.CaseError) as error:
        return Status(409, {"detail": str(error)})
    approval.refresh_from_db()
    return approval


# --- ideas (docs/engagement.md#ideas) ---------------------------------------------------------


class IdeaOut(Schema):
    id: str
    title: str
    description: str
    status: str
    team: str | None
    cases: list[str]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_id(obj) -> str:
        return str(obj.id)

    @staticmethod
    def resolve_team(obj) -> str | None:
        return obj.team.slug if obj.team_id else None

    @staticmethod
    def resolve_cases(obj) -> list[str]:
        return [str(case.pk) for case in obj.cases.all()]  # prefetched for a list


class IdeaIn(Schema):
    title: str = Field(min_length=1, max_length=ideas.MAX_TITLE)
    description: str = Field(default="", max_length=ideas.MAX_DESCRIPTION)
    case: str | None = Field(default=None, description="A case id to link the new idea to")


class IdeaPatch(Schema):
    status: str | None = Field(
        default=None, description="new, under_review, planned, shipped or declined"
    )
    title: str | None = Field(default=None, max_length=ideas.MAX_TITLE)
    description: str | None = Field(default=None, max_length=ideas.MAX_DESCRIPTION)


class IdeaLinkIn(Schema):
    idea: str


def _idea(request, idea_id: str) -> Idea:
    try:
        return ideas.get_idea_for(request.auth, idea_id)
    except ideas.IdeaNotFound as exc:
        raise HttpError(404, str(exc)) from None


def _see_ideas(user) -> None:
    if not ideas.can_see(user):
        raise PermissionDenied("Missing permission: engagement.view_idea")


@router.get(
    "/ideas", response={200: list[IdeaOut], **_ERRORS}, operation_id="listIdeas", tags=["ideas"]
)
def list_ideas(request, status: str = "", limit: int = 50):
    """The ideas of the caller's organisation, newest change first; `status` filters."""
    _see_ideas(request.auth)
    organisation = current_organisation(request.auth)
    if organisation is None:
        return []
    rows = (
        Idea.objects.filter(organisation=organisation)
        .select_related("team")
        .prefetch_related(Prefetch("cases", Case.objects.only("id")))
    )
    if status:
        if status not in Idea.Status.values:
            raise HttpError(422, f"Unknown status: {status[:40]}")
        rows = rows.filter(status=status)
    return list(rows[: max(1, min(limit, MAX_PAGE))])


@router.post(
    "/ideas", response={201: IdeaOut, **_ERRORS}, operation_id="createIdea", tags=["ideas"]
)
def create_idea(request, payload: IdeaIn):
    """A new idea of the caller's organisation, linked to `case` when given."""
    organisation = current_organisation(request.auth)
    if organisation is None:
        raise PermissionDenied("You are not a member of any organisation.")
    case = _case(request, payload.case) if payload.case else None
    try:
        idea = ideas.create_idea(
            request.auth, organisation, payload.title, payload.description, case=case
        )
    except ideas.IdeaError as exc:
        raise HttpError(422, str(exc)) from None
    return Status(201, idea)


@router.get(
    "/ideas/{idea_id}", response={200: IdeaOut, **_ERRORS}, operation_id="getIdea", tags=["ideas"]
)
def get_idea(request, idea_id: str):
    return _idea(request, idea_id)


@router.patch(
    "/ideas/{idea_id}", response={200: IdeaOut, **_ERRORS}, operation_id="updateIdea",
    tags=["ideas"],
)  # fmt: skip
def update_idea(request, idea_id: str, payload: IdeaPatch):
    """Status, title or description; a new status goes into every linked case's history."""
    idea = _idea(request, idea_id)
    try:
        return ideas.update_idea(request.auth, idea, status=payload.status, title=payload.title,
                                 description=payload.description)  # fmt: skip
    except ideas.IdeaError as exc:
        raise HttpError(422, str(exc)) from None


@router.post(
    "/cases/{case_id}/ideas", response={200: IdeaOut, **_ERRORS}, operation_id="linkCaseToIdea",
    tags=["ideas"],
)  # fmt: skip
def link_case_to_idea(request, case_id: str, payload: IdeaLinkIn):
    """Link the case to an idea (nothing changes if it already is)."""
    case = _case(request, case_id)
    idea = _idea(request, payload.idea)
    try:
        ideas.link_case(request.auth, idea, case)
    except ideas.IdeaError as exc:
        raise HttpError(422, str(exc)) from None
    return idea


@router.delete(
    "/cases/{case_id}/ideas/{idea_id}", response={204: None, **_ERRORS},
    operation_id="unlinkCaseFromIdea", tags=["ideas"],
)  # fmt: skip
def unlink_case_from_idea(request, case_id: str, idea_id: str):
    case = _case(request, case_id)
    idea = _idea(request, idea_id)
    ideas.unlink_case(request.auth, idea, case)
    return Status(204, None)
