"""Authority limits, goodwill and approvals (docs/engagement.md#authority-and-approvals).

Each role may grant goodwill (a refund, a credit, a gift) up to an amount per case
without asking anyone: the seeds' 150 for front-line staff, more for area managers, no
limit for the director. The organisation overrides any role's amount in
`EngagementConfig.authority`. "Per case" means everything already granted or waiting on
the case plus the new amount. Above the limit the goodwill waits, and an `Approval`
goes to the next role up that may cover the total: front line → area manager →
director.

An approval is decided once, by someone holding `engagement.approve_request` and the
required role or a higher one, never by the person who asked. Deciding runs the
handler registered for the approval's kind: goodwill here, replies in `composer`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from panal.core import clock
from panal.org.choices import Role
from panal.org.models import Membership, Organisation

from .cases import CaseError, can_see, config_for, notify, record, require_work
from .models import Approval, Case, CaseEvent, Goodwill, Notification

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000")
MAX_REASON = 500
MAX_NOTE = 2000

DEFAULT_LIMITS: dict[str, Decimal | None] = {
    Role.AGENT: Decimal("150"),
    Role.CRM_CALL_CENTER: Decimal("150"),
    Role.COMMUNITY_MANAGER: Decimal("300"),
    Role.AREA_MANAGER: Decimal("1000"),
    Role.DIRECTOR: None,  # no limit
    Role.AGENCY: ZERO,
    Role.CURATOR: ZERO,
    Role.EVERYONE: ZERO,
    Role.ANALYST: ZERO,
    Role.ADVOCATE: ZERO,
    Role.TOOL_ADMIN: ZERO,
}

# The chain of authority: who is "the next role up". Roles outside it never decide.
FRONT_LINE = (Role.AGENT, Role.CRM_CALL_CENTER, Role.COMMUNITY_MANAGER)
ABOVE_FRONT_LINE = (Role.AREA_MANAGER, Role.DIRECTOR)
RANK: dict[str, int] = {
    **dict.fromkeys(FRONT_LINE, 0),
    Role.AREA_MANAGER: 1,
    Role.DIRECTOR: 2,
}

AMOUNT_RE = re.compile(r"^\d{1,9}(?:[.,]\d{1,2})?$")


class AuthorityError(CaseError):
    """Bad input or a request that cannot be made; the message says why."""


# --- money ------------------------------------------------------------------------------


def money(amount: Decimal | None, currency: str) -> str:
    """An amount with two decimals in the active language's format, then the currency."""
    if amount is None:
        return _("no limit")
    return f"{number_format(amount, 2, force_grouping=True)}\u00a0{currency}"


def parse_amount(value) -> Decimal:
    """A positive amount with at most two decimals, at most 1,000,000. Accepts "150,50"."""
    if isinstance(value, bool):
        raise AuthorityError(_("Enter an amount."))
    if isinstance(value, int | Decimal | float):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or amount != amount.quantize(CENT, rounding="ROUND_DOWN"):
            raise AuthorityError(
                _("“%(value)s” is not an amount: use at most two decimals, such as 150.50.")
                % {"value": str(value)[:40]}
            )
    else:
        text = str(value or "").strip().replace("\u00a0", "").replace(" ", "")
        if not text:
            raise AuthorityError(_("Enter an amount."))
        if not AMOUNT_RE.match(text):
            raise AuthorityError(
                _(
                    "“%(value)s” is not an amount: write digits with at most two decimals "
                    "and no thousands separator, such as 150 or 150.50."
                )
                % {"value": text[:40]}
            )
        amount = Decimal(text.replace(",", "."))
    if amount <= 0:
        raise AuthorityError(_("The amount must be more than zero."))
    if amount > MAX_AMOUNT:
        raise AuthorityError(
            _("The amount may not be more than %(max)s.")
            % {"max": number_format(MAX_AMOUNT, 0, force_grouping=True)}
        )
    return amount.quantize(CENT)


# --- limits ----------------------------------------------------------------------------


def _limit(role: str, value) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise AuthorityError(_("The limit of “%(role)s” must be a number.") % {"role": role})
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise AuthorityError(
            _("The limit of “%(role)s” must be a number, not “%(value)s”.")
            % {"role": role, "value": str(value)[:40]}
        )
    if amount < 0:
        raise AuthorityError(_("The limit of “%(role)s” cannot be negative.") % {"role": role})
    if amount != amount.quantize(CENT, rounding="ROUND_DOWN"):
        raise AuthorityError(
            _("The limit of “%(role)s” takes at most two decimals.") % {"role": role}
        )
    if amount > MAX_AMOUNT:
        raise AuthorityError(
            _("The limit of “%(role)s” may not be more than %(max)s (leave it empty for no limit).")
            % {"role": role, "max": number_format(MAX_AMOUNT, 0, force_grouping=True)}
        )
    return amount.quantize(CENT)


def parse_limits(data) -> dict[str, Decimal | None]:
    """Validate `{role: amount}` (None or "" = no limit); a bad entry is refused by name."""
    if data is None or data == "":
        return {}
    if not isinstance(data, Mapping):
        raise AuthorityError(_("The limits must map each role to an amount."))
    out: dict[str, Decimal | None] = {}
    for role, value in data.items():
        if role not in Role.values:
            raise AuthorityError(_("Unknown role “%(role)s”.") % {"role": str(role)[:60]})
        out[role] = _limit(role, value)
    return out


def limits_json(limits: Mapping[str, Decimal | None]) -> dict[str, str | None]:
    """What to store in `EngagementConfig.authority` (JSON has no decimals)."""
    return {role: None if v is None else str(v) for role, v in limits.items()}


def limits_for(organisation: Organisation | int) -> dict[str, Decimal | None]:
    """Every role's limit in the organisation: the defaults with its overrides.

    A stored entry that no longer validates is ignored (the default applies)."""
    limits = dict(DEFAULT_LIMITS)
    stored = config_for(organisation).authority
    if isinstance(stored, Mapping):
        for role, value in stored.items():
            try:
                limits.update(parse_limits({role: value}))
            except AuthorityError:
                continue
    return limits


def roles_in(user, organisation: Organisation | int) -> list[str]:
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    if not getattr(user, "is_authenticated", False):
        return []
    roles = (
        Membership.objects.filter(user=user, organisation_id=org_id, is_active=True)
        .values_list("roles", flat=True)
        .first()
    )
    return list(roles or [])


def _highest(roles: Iterable[str], limits: Mapping[str, Decimal | None]) -> Decimal | None:
    best: Decimal | None = ZERO
    for role in roles:
        value = limits.get(role, ZERO)
        if value is None:
            return None
        best = max(best, value)
    return best


def limit_for(user, organisation: Organisation | int) -> Decimal | None:
    """The highest limit among the user's roles in the organisation (None: no limit)."""
    return _highest(roles_in(user, organisation), limits_for(organisation))


def required_role_for(
    total: Decimal, organisation: Organisation | int | None = None, requester_roles=()
) -> str:
    """The lowest role above the front line (and above the requester's own roles) whose
    limit covers `total`; the director decides whatever nobody else covers."""
    limits = limits_for(organisation) if organisation is not None else DEFAULT_LIMITS
    own = max((RANK.get(r, -1) for r in requester_roles), default=-1)
    for role in ABOVE_FRONT_LINE:
        if RANK[role] <= own:
            continue
        value = limits.get(role, ZERO)
        if value is None or total <= value:
            return role
    return Role.DIRECTOR


def promises_above_authority(
    user, organisation: Organisation | int, amounts: Iterable[Decimal]
) -> Decimal | None:
    """The largest of `amounts` above the user's limit, or None when all are within it."""
    limit = limit_for(user, organisation)
    if limit is None:
        return None
    above = [Decimal(a) for a in amounts if Decimal(a) > limit]
    return max(above) if above else None


def committed_on_case(case: Case) -> Decimal:
    """Goodwill already granted or waiting for approval on the case."""
    total = Goodwill.objects.filter(
        case=case, status__in=[Goodwill.Status.GRANTED, Goodwill.Status.PENDING]
    ).aggregate(total=Sum("amount"))["total"]
    return (total or ZERO).quantize(CENT)


# --- who decides -----------------------------------------------------------------------


def can_decide_role(roles: Iterable[str], required_role: str) -> bool:
    """Whether these roles hold `required_role` or one above it in the chain (the
    director is above all)."""
    roles = set(roles)
    if Role.DIRECTOR in roles or required_role in roles:
        return True
    needed = RANK.get(required_role)
    return needed is not None and any(RANK.get(r, -1) > needed for r in roles)


def decidable_roles(roles: Iterable[str]) -> list[str] | None:
    """The required roles these roles may decide (None: every one)."""
    roles = set(roles)
    if Role.DIRECTOR in roles:
        return None
    return sorted(r for r in {*RANK, *roles} if can_decide_role(roles, r))


def refusal(user, approval: Approval) -> str | None:
    """Why the user may not decide this approval (None: they may)."""
    if not user.has_perm("engagement.approve_request"):
        return _("You may not decide approval requests.")
    roles = roles_in(user, approval.organisation_id)
    if not roles:
        return _("You are not a member of this organisation.")
    if approval.requested_by_id == user.pk:
        return _("You cannot decide your own request.")
    if not can_decide_role(roles, approval.required_role):
        labels = dict(Role.choices)
        return _("This request needs a decision by the role “%(role)s” or a higher one.") % {
            "role": labels.get(approval.required_role, approval.required_role)
        }
    return None


def approvers(
    organisation_id: int, required_role: str, team_id: int | None = None, exclude=None
) -> list[int]:
    """Who is told about a request: holders of the role (area managers of the case's team
    when there are any) and the directors."""
    rows = list(
        Membership.objects.filter(organisation_id=organisation_id, is_active=True).values_list(
            "user_id", "team_id", "roles"
        )
    )
    holders = [(u, t) for u, t, roles in rows if required_role in (roles or [])]
    if required_role == Role.AREA_MANAGER and team_id is not None:
        in_team = [(u, t) for u, t in holders if t == team_id]
        holders = in_team or holders
    people = {u for u, _t in holders}
    people |= {u for u, _t, roles in rows if Role.DIRECTOR in (roles or [])}
    people.discard(getattr(exclude, "pk", exclude))
    return sorted(people)


# --- approvals -------------------------------------------------------------------------

Handler = Callable[[Approval, bool, object], None]
HANDLERS: dict[str, Handler] = {}
# Modules that register a handler when imported, looked up the first time it is needed.
HANDLER_MODULES = {Approval.Kind.REPLY: "panal.engagement.composer"}


def register_handler(kind: str, fn: Handler) -> None:
    """Run `fn(approval, approved, decided_by)` when an approval of `kind` is decided."""
    HANDLERS[kind] = fn


def handler_for(kind: str) -> Handler | None:
    if kind not in HANDLERS and kind in HANDLER_MODULES:
        name = HANDLER_MODULES[kind]
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real error inside the module: let it show
                raise
    return HANDLERS.get(kind)


def _summary(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= 500 else text[:499] + "…"


@transaction.atomic
def request_approval(user, case: Case, kind: str, summary: str, required_role: str) -> Approval:
    """Ask the `required_role` (or higher) to decide; records it and tells them."""
    if not can_see(user, case):
        raise PermissionDenied(_("You may not change this case."))
    if kind not in Approval.Kind.values:
        raise AuthorityError(_("Unknown kind of approval “%(kind)s”.") % {"kind": str(kind)[:40]})
    if required_role not in Role.values:
        raise AuthorityError(_("Unknown role “%(role)s”.") % {"role": str(required_role)[:60]})
    summary = _summary(summary)
    if not summary:
        raise AuthorityError(_("Say what the request is about."))
    approval = Approval.objects.create(
        organisation_id=case.organisation_id, case=case, kind=kind, requested_by=user,
        required_role=required_role, summary=summary, created_at=clock.now(),
    )  # fmt: skip
    record(case, CaseEvent.Kind.APPROVAL, user, approval=approval.pk, approval_kind=kind,
           status=Approval.Status.PENDING, required_role=required_role,
           summary=summary)  # fmt: skip

    def text() -> str:  # in each approver's language
        return _("%(who)s asks for your approval on case #%(id)s: %(summary)s") % {
            "who": user.get_username(), "id": case.pk, "summary": summary,
        }  # fmt: skip

    notify(approvers(case.organisation_id, required_role, case.owner_team_id, exclude=user),
           case.organisation_id, Notification.Kind.APPROVAL, text, case)  # fmt: skip
    return approval


def decide(user, approval: Approval, approve: bool, note: str = "") -> Approval:
    """Approve or reject a pending request, once; then run its kind's handler."""
    reason = refusal(user, approval)
    if reason:
        raise PermissionDenied(reason)
    note = (note or "").replace("\r\n", "\n").strip()
    if len(note) > MAX_NOTE:
        raise AuthorityError(_("A note takes at most %(n)s characters.") % {"n": MAX_NOTE})
    status = Approval.Status.APPROVED if approve else Approval.Status.REJECTED
    now = clock.now()
    with transaction.atomic():
        # Two deciders at once: only the first UPDATE still finds it pending.
        won = Approval.objects.filter(pk=approval.pk, status=Approval.Status.PENDING).update(
            status=status, decided_by=user, decided_at=now, decision_note=note
        )
        if not won:
            approval.refresh_from_db()
            raise AuthorityError(already_decided(approval))
        approval.status, approval.decided_by, approval.decided_at = status, user, now
        approval.decision_note = note
        case = approval.case
        record(case, CaseEvent.Kind.APPROVAL, user, approval=approval.pk,
               approval_kind=approval.kind, status=status, note=note,
               requested_by=approval.requested_by_id)  # fmt: skip
        if approval.requested_by_id:

            def text() -> str:  # in the requester's language
                template = (
                    _("%(who)s approved your request on case #%(id)s: %(summary)s")
                    if approve
                    else _("%(who)s rejected your request on case #%(id)s: %(summary)s")
                )
                return template % {
                    "who": user.get_username(), "id": case.pk, "summary": approval.summary,
                }  # fmt: skip

            notify([approval.requested_by_id], approval.organisation_id,
                   Notification.Kind.APPROVAL, text, case)  # fmt: skip
        handler = handler_for(approval.kind)
        if handler is not None:
            handler(approval, approve, user)
    return approval


def already_decided(approval: Approval) -> str:
    who = approval.decided_by.get_username() if approval.decided_by_id else _("someone")
    if approval.status == Approval.Status.APPROVED:
        return _("This request was already approved by %(who)s.") % {"who": who}
    return _("This request was already rejected by %(who)s.") % {"who": who}


# --- goodwill --------------------------------------------------------------------------


@transaction.atomic
def grant(user, case: Case, kind: str, amount, reason: str = "") -> Goodwill:
    """Grant goodwill within the user's limit on the case, or ask the next role up."""
    require_work(user, case)
    if kind not in Goodwill.Kind.values:
        raise AuthorityError(_("Unknown kind of goodwill “%(kind)s”.") % {"kind": str(kind)[:40]})
    amount = parse_amount(amount)
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON:
        raise AuthorityError(_("A reason takes at most %(n)s characters.") % {"n": MAX_REASON})
    # One grant at a time per case, so two people cannot both fit under the limit.
    Case.objects.select_for_update().filter(pk=case.pk).first()
    org_id = case.organisation_id
    currency = config_for(org_id).currency
    total = committed_on_case(case) + amount
    roles = roles_in(user, org_id)
    limit = _highest(roles, limits_for(org_id))
    team_id = (
        Membership.objects.filter(user=user, organisation_id=org_id, is_active=True)
        .values_list("team_id", flat=True)
        .first()
    ) or case.owner_team_id
    goodwill = Goodwill(
        organisation_id=org_id, case=case, kind=kind, amount=amount, currency=currency,
        reason=reason, requested_by=user, team_id=team_id, created_at=clock.now(),
    )  # fmt: skip
    if limit is None or total <= limit:
        goodwill.status = Goodwill.Status.GRANTED
        goodwill.save()
        record(case, CaseEvent.Kind.GOODWILL, user, goodwill=goodwill.pk, goodwill_kind=kind,
               amount=str(amount), currency=currency, status=goodwill.status,
               reason=reason)  # fmt: skip
        return goodwill
    required = required_role_for(total, org_id, roles)
    labels = dict(Goodwill.Kind.choices)
    summary = _(
        "%(who)s asks to grant a %(kind)s of %(amount)s: %(total)s on this case in all, "
        "above their limit of %(limit)s."
    ) % {
        "who": user.get_username(), "kind": str(labels[kind]).lower(),
        "amount": money(amount, currency), "total": money(total, currency),
        "limit": money(limit, currency),
    }  # fmt: skip
    if reason:
        summary += " " + _("Reason: %(reason)s") % {"reason": reason}
    approval = request_approval(user, case, Approval.Kind.GOODWILL, summary, required)
    goodwill.status = Goodwill.Status.PENDING
    goodwill.approval = approval
    goodwill.save()
    return goodwill


def _decide_goodwill(approval: Approval, approved: bool, decided_by) -> None:
    status = Goodwill.Status.GRANTED if approved else Goodwill.Status.REJECTED
    for goodwill in Goodwill.objects.filter(approval=approval, status=Goodwill.Status.PENDING):
        goodwill.status = status
        goodwill.save(update_fields=["status"])
        record(goodwill.case, CaseEvent.Kind.GOODWILL, decided_by, goodwill=goodwill.pk,
               goodwill_kind=goodwill.kind, amount=str(goodwill.amount),
               currency=goodwill.currency, status=status, approval=approval.pk)  # fmt: skip


register_handler(Approval.Kind.GOODWILL, _decide_goodwill)


# --- the ledger ------------------------------------------------------------------------

LEDGER_STATUSES = (Goodwill.Status.GRANTED, Goodwill.Status.PENDING, Goodwill.Status.REJECTED)


@dataclass
class Cell:
    """How many and how much, in one currency."""

    currency: str
    count: int = 0
    amount: Decimal = ZERO

    @property
    def money(self) -> str:
        return money(self.amount, self.currency)

    def add(self, count: int, amount: Decimal) -> None:
        self.count += count
        self.amount = (self.amount + amount).quantize(CENT)


@dataclass
class LedgerRow:
    """One agent's or one team's goodwill in one currency, by kind and status."""

    key: int | None
    label: str
    currency: str
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)

    def cell(self, kind: str, status: str) -> Cell:
        return self.cells.setdefault((kind, status), Cell(self.currency))

    def _get(self, kind: str, status: str) -> Cell:
        return self.cells.get((kind, status)) or Cell(self.currency)

    @property
    def totals(self) -> list[Cell]:
        """By status, in LEDGER_STATUSES order."""
        out = []
        for status in LEDGER_STATUSES:
            total = Cell(self.currency)
            for (_kind, s), cell in self.cells.items():
                if s == status:
                    total.add(cell.count, cell.amount)
            out.append(total)
        return out

    @property
    def lines(self) -> list[tuple[str, str, list[Cell]]]:
        """(kind, label, cells by status) for each kind with any goodwill."""
        kinds = {k for k, _s in self.cells}
        return [
            (kind, str(label), [self._get(kind, s) for s in LEDGER_STATUSES])
            for kind, label in Goodwill.Kind.choices
            if kind in kinds
        ]


@dataclass
class Ledger:
    since: datetime
    until: datetime
    agents: list[LedgerRow]
    teams: list[LedgerRow]


def _person(first: str, last: str, username: str | None) -> str:
    name = f"{first or ''} {last or ''}".strip()
    return name or username or _("(deleted user)")


def ledger(
    organisation: Organisation | int,
    *,
    since: datetime,
    until: datetime,
    team=None,
    user=None,
) -> Ledger:
    """Goodwill per agent and per team, by kind and status: one grouped query."""
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    where = Q(organisation_id=org_id, created_at__gte=since, created_at__lt=until)
    if team is not None:
        where &= Q(team_id=getattr(team, "pk", team))
    if user is not None:
        where &= Q(requested_by_id=getattr(user, "pk", user))
    rows = (
        Goodwill.objects.filter(where)
        .values(
            "requested_by",
            "requested_by__username",
            "requested_by__first_name",
            "requested_by__last_name",
            "team",
            "team__name",
            "kind",
            "status",
            "currency",
        )
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )
    agents: dict[tuple, LedgerRow] = {}
    teams: dict[tuple, LedgerRow] = {}
    for row in rows:
        currency = row["currency"]
        amount = (row["total"] or ZERO).quantize(CENT)
        person = row["requested_by"]
        name = _person(
            row["requested_by__first_name"],
            row["requested_by__last_name"],
            row["requested_by__username"],
        )
        agent = agents.setdefault((person, currency), LedgerRow(person, name, currency))
        agent.cell(row["kind"], row["status"]).add(row["n"], amount)
        team_id = row["team"]
        team_row = teams.setdefault(
            (team_id, currency),
            LedgerRow(team_id, row["team__name"] or _("No team"), currency),
        )
        team_row.cell(row["kind"], row["status"]).add(row["n"], amount)
    by_agent = sorted(agents.values(), key=_by_label)
    return Ledger(since, until, by_agent, sorted(teams.values(), key=_by_label))


def _by_label(row: LedgerRow) -> tuple:
    return (row.label.lower(), row.currency, row.key or 0)


def ledger_csv_rows(book: Ledger) -> Iterable[list]:
    """scope, name, kind, status, count, amount, currency: one line per non-empty cell."""
    for scope, rows in (("agent", book.agents), ("team", book.teams)):
        for row in rows:
            for kind, _label, cells in row.lines:
                for status, cell in zip(LEDGER_STATUSES, cells, strict=True):
                    if cell.count:
                        amount = str(cell.amount)
                        yield [scope, row.label, kind, status, cell.count, amount, row.currency]
