"""SLA clocks: warnings and breaches at the right business instant, pauses, escalation.

The calendar is Madrid's office week with Easter 2026 off: Good Friday (3 April) and
Easter Monday (6 April). A normal case opened on Thursday 2 April at 16:00 has 2 hours
that day, then nothing until Tuesday 7 April at 09:00: its 4-hour first response is due
Tuesday at 11:00 (09:00 UTC), with the warning at 80 % (3 h 12 min) on Tuesday at 10:12.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from panal.core import clock
from panal.engagement import cases, sla
from panal.engagement.models import Case, CaseEvent, Notification
from panal.org.models import Team

HOURS = {
    "timezone": "Europe/Madrid",
    "week": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-04-03", "2026-04-06"],
}
POLICY = {
    "warn_at": 0.8,
    "priorities": {
        "critical": {"first_response": 30, "resolution": 240},
        "high": {"first_response": 60, "resolution": 480},
        "normal": {"first_response": 240, "resolution": 1440},
        "low": {"first_response": 480, "resolution": 4320},
    },
}
OPENED = datetime(2026, 4, 2, 14, 0, tzinfo=UTC)  # Thursday 16:00 in Madrid (CEST)
FIRST_DUE = datetime(2026, 4, 7, 9, 0, tzinfo=UTC)  # Tuesday 11:00 in Madrid
WARN_AT = datetime(2026, 4, 7, 8, 12, tzinfo=UTC)  # Tuesday 10:12 in Madrid
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def frozen():
    clock.set_now(OPENED)
    yield
    clock.set_now(None)


@pytest.fixture
def config(org):
    config = cases.config_for(org)
    config.business_hours = HOURS
    config.sla = POLICY
    config.save()
    return config


def team(org, department):
    return Team.objects.get(organisation=org, department=department)


def make_case(org, *, assignee=None, priority="normal", owner="customer_service", at=OPENED):
    settings = cases.settings_for(org)
    first, resolution = cases.sla_deadlines(settings, priority, "telegram", at)
    return Case.objects.create(
        organisation=org, subject="El router <b>no</b> conecta", status=Case.Status.OPEN,
        priority=priority, priority_rank=cases.PRIORITY_RANK[priority], channel="telegram",
        owner_team=team(org, owner) if owner else None, assignee=assignee, opened_at=at,
        updated_at=at, first_response_due=first, resolution_due=resolution,
    )  # fmt: skip


def tick_at(when, **kwargs):
    clock.set_now(when)
    return sla.tick(**kwargs)


def sla_events(case, state):
    return list(CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.SLA, data__state=state))


def test_the_deadlines_skip_the_weekend_and_both_holidays(org, config):
    case = make_case(org)
    assert case.first_response_due == FIRST_DUE
    # 24 business hours: Thursday 2 h, Tuesday 9, Wednesday 9, Thursday 9 April 4 h.
    assert case.resolution_due == datetime(2026, 4, 9, 11, 0, tzinfo=UTC)


def test_the_warning_comes_at_80_percent_of_business_time(org, users, config):
    agent = users["agent"]
    case = make_case(org, assignee=agent)
    # Easter Monday morning: a holiday, the clock has not moved since Thursday 18:00.
    assert tick_at(datetime(2026, 4, 6, 10, 0, tzinfo=UTC))["warned"] == 0
    assert tick_at(WARN_AT - SECOND)["warned"] == 0
    case.refresh_from_db()
    assert case.sla_state == Case.Sla.OK
    counts = tick_at(WARN_AT)
    assert counts["warned"] == 1
    case.refresh_from_db()
    assert case.sla_state == Case.Sla.WARNING
    assert case.sla_warned_at == WARN_AT
    (event,) = sla_events(case, "warning")
    assert event.data["clock"] == "first_response"
    assert event.data["due"] == FIRST_DUE.isoformat()
    assert event.actor is None
    notes = Notification.objects.filter(case=case, kind=Notification.Kind.SLA)
    assert [n.user_id for n in notes] == [agent.pk]


def test_an_unassigned_case_warns_its_owner_team(org, users, config):
    case = make_case(org)
    tick_at(WARN_AT)
    notified = set(
        Notification.objects.filter(case=case, kind=Notification.Kind.SLA).values_list(
            "user_id", flat=True
        )
    )
    # The customer service team: the agent and the area manager (the builders' teams).
    assert notified == {users["agent"].pk, users["area_manager"].pk}


def test_the_breach_escalates_once(org, users, config):
    config.director_team = team(org, "marketing")  # the director and the analyst
    config.save()
    agent = users["agent"]
    case = make_case(org, assignee=agent)
    tick_at(WARN_AT)
    assert tick_at(FIRST_DUE - SECOND)["breached"] == 0
    counts = tick_at(FIRST_DUE)
    assert counts["breached"] == 1
    assert counts["escalated"] == 1
    assert counts["failed"] == 0
    case.refresh_from_db()
    assert case.sla_state == Case.Sla.BREACHED
    assert case.sla_breached_at == FIRST_DUE
    # One step up, and the deadlines follow the new priority.
    assert case.priority == "high"
    assert case.priority_rank == 1
    assert case.first_response_due == datetime(2026, 4, 2, 15, 0, tzinfo=UTC)
    (bump,) = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.PRIORITY)
    assert (bump.data["before"], bump.data["after"]) == ("normal", "high")
    assert "SLA" in bump.data["reason"]
    (escalated,) = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ESCALATED)
    assert escalated.data["clock"] == "first_response"
    assert len(sla_events(case, "breached")) == 1
    told = set(
        Notification.objects.filter(
            case=case, kind=Notification.Kind.SLA, created_at=FIRST_DUE
        ).values_list("user_id", flat=True)
    )
    assert told == {agent.pk, users["area_manager"].pk, users["director"].pk, users["analyst"].pk}
    assert escalated.data["notified"] == 4


def test_tick_is_idempotent(org, users, config):
    case = make_case(org, assignee=users["agent"])
    tick_at(FIRST_DUE)
    events = CaseEvent.objects.filter(case=case).count()
    notes = Notification.objects.filter(case=case).count()
    again = tick_at(FIRST_DUE + timedelta(hours=3))
    assert again["breached"] == 0
    assert again["warned"] == 0
    assert CaseEvent.objects.filter(case=case).count() == events
    assert Notification.objects.filter(case=case).count() == notes
    case.refresh_from_db()
    assert case.priority == "high"


def test_a_case_breached_while_nobody_ticked_skips_the_warning(org, users, config):
    case = make_case(org, assignee=users["agent"])
    counts = tick_at(FIRST_DUE + timedelta(days=1))
    assert counts["breached"] == 1
    assert counts["warned"] == 0
    assert sla_events(case, "warning") == []


def test_without_a_director_team_the_hub_hears_of_the_breach(org, users, config):
    case = make_case(org, owner="billing")  # nobody in billing: only the hub is told
    tick_at(FIRST_DUE)
    told = set(
        Notification.objects.filter(case=case, kind=Notification.Kind.SLA).values_list(
            "user_id", flat=True
        )
    )
    assert told == {users["agent"].pk, users["area_manager"].pk}  # customer service: the hub


def test_a_critical_case_is_escalated_without_a_higher_priority(org, users, config):
    case = make_case(org, priority="critical", assignee=users["agent"])
    counts = tick_at(OPENED + timedelta(minutes=30))
    assert counts["breached"] == 1
    assert counts["escalated"] == 0
    case.refresh_from_db()
    assert case.priority == "critical"
    assert not CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.PRIORITY).exists()
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ESCALATED).count() == 1


def test_a_first_response_stops_its_clock(org, users, config):
    case = make_case(org, assignee=users["agent"])
    tick_at(WARN_AT)
    Case.objects.filter(pk=case.pk).update(first_response_at=WARN_AT + timedelta(minutes=5))
    counts = tick_at(FIRST_DUE + timedelta(minutes=5))
    assert counts["breached"] == 0
    assert counts["eased"] == 1
    case.refresh_from_db()
    assert case.sla_state == Case.Sla.OK
    found = sla.clocks(case)
    assert found["first_response"] is None
    assert found["resolution"].state == "ok"


def test_time_waiting_on_the_customer_does_not_count(org, users, config):
    case = make_case(org, assignee=users["agent"])
    clock.set_now(datetime(2026, 4, 2, 15, 0, tzinfo=UTC))  # Thursday 17:00: 1 h used
    cases.apply_status(case, Case.Status.PENDING)
    clock.set_now(datetime(2026, 4, 7, 8, 0, tzinfo=UTC))  # Tuesday 10:00: the customer wrote
    cases.apply_status(case, Case.Status.OPEN)
    # 2 business hours paused (Thursday 17-18, Tuesday 09-10): due at 13:00, warning 12:12.
    found = sla.clocks(case)["first_response"]
    assert found.due == datetime(2026, 4, 7, 11, 0, tzinfo=UTC)
    assert found.elapsed == timedelta(hours=1)
    assert found.target == timedelta(hours=4)
    assert tick_at(FIRST_DUE)["breached"] == 0  # unpaused, it would have been breached
    assert tick_at(datetime(2026, 4, 7, 10, 12, tzinfo=UTC) - SECOND)["warned"] == 0
    assert tick_at(datetime(2026, 4, 7, 10, 12, tzinfo=UTC))["warned"] == 1
    assert tick_at(datetime(2026, 4, 7, 11, 0, tzinfo=UTC))["breached"] == 1


def test_a_running_pause_freezes_the_clock(org, users, config):
    case = make_case(org, assignee=users["agent"])
    clock.set_now(datetime(2026, 4, 2, 15, 0, tzinfo=UTC))
    cases.apply_status(case, Case.Status.PENDING)
    later = datetime(2026, 4, 8, 15, 0, tzinfo=UTC)  # long after the unpaused deadlines
    counts = tick_at(later)
    assert counts["warned"] == 0
    assert counts["breached"] == 0
    found = sla.clocks(case, now=later)["first_response"]
    assert found.elapsed == timedelta(hours=1)
    assert found.remaining == timedelta(hours=3)
    assert found.state == "ok"


def test_tick_can_be_limited_to_one_organisation(org, other_org, users, config):
    case = make_case(org, assignee=users["agent"])
    assert tick_at(FIRST_DUE, organisation=other_org)["checked"] == 0
    case.refresh_from_db()
    assert case.sla_state == Case.Sla.OK
    assert tick_at(FIRST_DUE, organisation=org)["breached"] == 1


def test_closed_cases_are_not_scanned(org, users, config):
    case = make_case(org, assignee=users["agent"])
    cases.apply_status(case, Case.Status.CLOSED)
    assert tick_at(FIRST_DUE + timedelta(days=3))["checked"] == 0


def render_panel(case, now):
    with translation.override("en"):
        return render_to_string("engagement/case/_sla.html", {"sla": sla.sla_panel(case, now=now)})


def test_the_panel_shows_time_left_and_state(org, users, config):
    case = make_case(org, assignee=users["agent"])
    html = render_panel(case, WARN_AT)
    assert 'data-clock="first_response" data-state="warning"' in html
    assert "48 min left" in html
    assert 'data-clock="resolution" data-state="ok"' in html
    assert "paused" not in html


def test_the_panel_shows_how_late(org, users, config):
    case = make_case(org, assignee=users["agent"])
    html = render_panel(case, FIRST_DUE + timedelta(hours=1, minutes=5))
    assert 'data-clock="first_response" data-state="breached"' in html
    assert "1 h 05 min late" in html
    assert "sla-tag-breached" in html


def test_the_panel_says_when_the_clock_is_paused(org, users, config):
    case = make_case(org, assignee=users["agent"])
    clock.set_now(datetime(2026, 4, 2, 15, 0, tzinfo=UTC))
    cases.apply_status(case, Case.Status.PENDING)
    html = render_panel(case, datetime(2026, 4, 8, 15, 0, tzinfo=UTC))
    assert "paused — waiting on the customer" in html
    assert "3 h 00 min left" in html
    assert 'data-state="ok"' in html


def test_the_panel_of_a_case_without_targets(org, users, config):
    case = make_case(org, assignee=users["agent"])
    Case.objects.filter(pk=case.pk).update(first_response_due=None, resolution_due=None)
    case.refresh_from_db()
    html = render_panel(case, WARN_AT)
    assert "No service-level targets apply" in html


def test_the_panel_of_a_resolved_case(org, users, config):
    case = make_case(org, assignee=users["agent"])
    Case.objects.filter(pk=case.pk).update(first_response_at=WARN_AT)
    case.refresh_from_db()
    clock.set_now(FIRST_DUE)
    cases.apply_status(case, Case.Status.RESOLVED)
    html = render_panel(case, FIRST_DUE + timedelta(days=30))
    assert 'data-clock="first_response" data-state="done"' in html
    assert "Answered" in html
    assert 'data-clock="resolution" data-state="ok"' in html
    assert "Resolved on time" in html
