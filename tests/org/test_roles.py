"""The roles are groups with real permissions; memberships keep a user's groups in step."""

import pytest
from django.contrib.auth.models import Group

from panal.demo import builders
from panal.org import services
from panal.org.choices import EngagementModel, Role
from panal.org.models import Organisation
from panal.org.roles import ROLE_PERMISSIONS, group_name


def test_every_role_is_a_group_with_its_permissions(db):
    assert set(ROLE_PERMISSIONS) == set(Role.values)
    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=group_name(role))
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert have == set(perms), role


def test_agency_drafts_but_does_not_publish(users):
    agency = users[Role.AGENCY]
    assert agency.has_perm("listening.draft_reply")
    assert not agency.has_perm("listening.publish_reply")
    assert users[Role.AGENT].has_perm("listening.publish_reply")


def test_everyone_reads_listening_and_reports_only(users):
    everyone = users[Role.EVERYONE]
    assert everyone.has_perm("listening.view_mention")
    assert everyone.has_perm("org.view_reports")
    assert not everyone.has_perm("listening.draft_reply")
    assert not everyone.has_perm("listening.ingest_mention")


def test_advocates_are_external(users):
    advocate = users[Role.ADVOCATE]
    assert not advocate.has_perm("listening.view_mention")
    assert not advocate.groups.filter(name=group_name(Role.EVERYONE)).exists()


def test_leaving_removes_the_roles(org, users):
    agent = users[Role.AGENT]
    membership = agent.memberships.get(organisation=org)
    services.deactivate_member(membership)
    agent = type(agent).objects.get(pk=agent.pk)  # fresh permission cache
    assert not agent.has_perm("listening.view_mention")
    assert services.organisation_ids_for(agent) == []


def test_unknown_role_is_refused(org, users):
    with pytest.raises(ValueError, match="Unknown roles: wizard"):
        services.add_member(org, users[Role.AGENT], ["wizard"])


def test_engagement_model_is_a_stored_setting(org):
    assert org.engagement_model == EngagementModel.HUB_AND_SPOKE
    org.engagement_model = EngagementModel.HONEYCOMB
    org.save()
    assert Organisation.objects.get(pk=org.pk).engagement_model == "honeycomb"


def test_teams_cover_every_department(org):
    assert org.teams.count() == 10
    assert org.teams.filter(is_hub=True).count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/admin/org/organisation/",
        "/admin/org/team/",
        "/admin/org/brand/",
        "/admin/org/membership/",
        "/admin/auth/user/",
        "/admin/channels/channelaccount/",
    ],
)
def test_tool_administrators_manage_it_in_the_admin(client_for, path):
    assert client_for(Role.TOOL_ADMIN).get(path).status_code == 200
    # Other roles are not staff: the admin sends them to its login page.
    response = client_for(Role.DIRECTOR).get(path)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_membership_change_syncs_groups(client_for, org, users):
    admin = client_for(Role.TOOL_ADMIN)
    agent = users[Role.AGENT]
    membership = agent.memberships.get(organisation=org)
    response = admin.post(
        f"/admin/org/membership/{membership.pk}/change/",
        {
            "user": agent.pk,
            "organisation": org.pk,
            "team": "",
            "roles": '["agency", "everyone"]',
            "language": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:500]
    agent = type(agent).objects.get(pk=agent.pk)
    assert agent.has_perm("listening.draft_reply")
    assert not agent.has_perm("listening.publish_reply")


def test_other_organisations_are_not_visible(org, other_org, users):
    outsider = builders.member(other_org, Role.AGENT, username="outsider")
    assert services.organisation_ids_for(outsider) == [other_org.id]
    with pytest.raises(services.NotAMember):
        services.set_current_organisation(outsider, org.id)
