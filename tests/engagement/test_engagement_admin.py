"""The engagement settings in the admin: each JSON setting checked the way it is read."""

import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from panal.engagement import cases
from panal.engagement.models import AgentProfile, Case, EngagementConfig, ReplyTemplate
from panal.org.choices import Role
from panal.org.models import Team

HOURS = {"timezone": "Europe/Madrid", "week": {"mon": [["09:00", "18:00"]]}}
SLA = {"priorities": {"normal": {"first_response": 60, "resolution": 480}}}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def admin_client(client_for):
    return client_for(Role.TOOL_ADMIN)


@pytest.fixture
def config(org):
    return cases.config_for(org)


def form(config, **changes):
    data = {
        "organisation": config.organisation_id,
        "playbooks": "{}",
        "business_hours": "{}",
        "sla": "{}",
        "authority": "{}",
        "currency": "EUR",
        "director_team": "",
        "assignment": "skill",
        "new_staff_days": "30",
        "csat_enabled": "on",
    }
    data.update({k: json.dumps(v) if isinstance(v, dict) else v for k, v in changes.items()})
    return data


def url(config):
    return f"/admin/engagement/engagementconfig/{config.pk}/change/"


def errors(response) -> dict:
    return {
        name: [str(e) for e in errs]
        for name, errs in response.context["adminform"].form.errors.items()
    }


def test_valid_settings_are_saved(admin_client, config, org):
    marketing = Team.objects.get(organisation=org, department="marketing")
    response = admin_client.post(
        url(config),
        form(
            config, playbooks={"complaint": {"priority": "high"}}, business_hours=HOURS, sla=SLA,
            authority={"agent": 50, "area_manager": "500.00"}, director_team=str(marketing.pk),
            currency="usd",
        ),
    )  # fmt: skip
    assert response.status_code == 302, errors(response)
    config.refresh_from_db()
    assert config.business_hours == HOURS
    assert config.sla == SLA
    assert config.currency == "USD"
    assert config.director_team == marketing
    assert cases.settings_for(org).problems == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("playbooks", {"complaint": {"priority": "urgent"}}, "unknown priority"),
        ("playbooks", {"weather": {}}, "unknown intent"),
        ("business_hours", {"timezone": "Mars/Olympus", "week": {}}, "unknown timezone"),
        ("business_hours", {"timezone": "UTC", "week": {"mon": [["18:00", "09:00"]]}},
         "reversed"),
        ("sla", {"priorities": {"normal": {"first_response": -5, "resolution": 60}}},
         "positive number"),
        ("sla", {"priorities": {"urgent": {"first_response": 5, "resolution": 60}}},
         "Unknown priority"),
        ("sla", {"priorities": {"normal": {"first_response": 5, "resolution": 60}},
                 "channels": {"fax": {"normal": {"first_response": 1}}}}, "Unknown channel"),
        ("authority", {"agent": -1}, "negative"),
        ("authority", {"wizard": 10}, "Unknown role"),
        ("authority", {"agent": "lots"}, "number"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused_on_their_field(admin_client, config, field, value, message):
    response = admin_client.post(url(config), form(config, **{field: value}))
    assert response.status_code == 200
    found = errors(response)
    assert list(found) == [field]
    assert message.lower() in " ".join(found[field]).lower()
    config.refresh_from_db()
    assert getattr(config, field) == {}


def test_a_director_team_of_another_organisation_is_refused(admin_client, config, other_org):
    theirs = Team.objects.filter(organisation=other_org).first()
    response = admin_client.post(url(config), form(config, director_team=str(theirs.pk)))
    assert response.status_code == 200
    assert "director_team" in errors(response)


def test_json_that_does_not_parse_is_refused(admin_client, config):
    response = admin_client.post(url(config), form(config, sla="{not json"))
    assert response.status_code == 200
    assert "sla" in errors(response)


def test_tool_admins_manage_profiles_and_templates(admin_client, org, users):
    added = admin_client.post(
        "/admin/engagement/agentprofile/add/",
        {"organisation": org.pk, "user": users["agent"].pk, "available": "on",
         "capacity": "12", "skills": '["complaint"]', "languages": '["es", "EN"]'},
    )  # fmt: skip
    assert added.status_code == 302
    profile = AgentProfile.objects.get(user=users["agent"])
    assert profile.languages == ["es", "en"]
    stranger = get_user_model().objects.create_user("stranger")
    refused = admin_client.post(
        "/admin/engagement/agentprofile/add/",
        {"organisation": org.pk, "user": stranger.pk, "capacity": "5", "skills": '["flying"]',
         "languages": "[]"},
    )  # fmt: skip
    assert refused.status_code == 200
    assert set(errors(refused)) == {"user", "skills"}
    template = admin_client.post(
        "/admin/engagement/replytemplate/add/",
        {"organisation": org.pk, "name": "Disculpa", "shortcut": "sorry", "lang": "es",
         "body": "Lo sentimos, {name}.", "intents": '["complaint"]'},
    )  # fmt: skip
    assert template.status_code == 302
    assert ReplyTemplate.objects.filter(shortcut="sorry").exists()


def test_other_roles_have_no_admin(client_for, config):
    response = client_for("agent").get(url(config))
    assert response.status_code == 302  # not staff: sent to the admin login
    assert EngagementConfig.objects.count() == 1


def test_cases_are_read_only(org):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client = Client()
    client.force_login(user)
    now = datetime(2026, 11, 24, tzinfo=UTC)
    case = Case.objects.create(
        organisation=org, subject="<script>x</script>", opened_at=now, updated_at=now
    )
    listing = client.get("/admin/engagement/case/", {"status__exact": "new"})
    assert listing.status_code == 200
    assert b"&lt;script&gt;x&lt;/script&gt;" in listing.content
    assert client.get("/admin/engagement/case/add/").status_code == 403
    page = client.get(f"/admin/engagement/case/{case.pk}/change/")
    assert page.status_code == 200
    assert b'name="subject"' not in page.content  # shown, not editable
