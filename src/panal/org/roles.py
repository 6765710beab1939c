"""The roles as Django groups with real permissions (docs/roles.md).

`ROLE_PERMISSIONS` is the single source of truth: `sync_role_groups` makes each
group carry exactly these permissions, after every migrate and from the admin.
"""

from django.contrib.auth.models import Group, Permission

from .choices import Role

READ = ["listening.view_mention", "org.view_reports"]
ANSWER = ["listening.draft_reply", "listening.publish_reply", "listening.correct_mention"]
# The organisation's own models (docs/understanding.md#corrections-and-your-own-models):
# seeing versions and scores, and retraining, promoting or rolling back (change).
SEE_MODELS = ["understanding.view_orgmodel", "understanding.view_correction"]
TRAIN_MODELS = [*SEE_MODELS, "understanding.change_orgmodel"]
# Cases (docs/engagement.md#roles): seeing them, handling them, deciding approvals.
SEE_CASES = ["engagement.view_case", "engagement.view_idea"]
WORK_CASES = [*SEE_CASES, "engagement.work_case", "engagement.view_article", "engagement.add_idea"]
# Ideas (docs/engagement.md#ideas): moving them along (under review, planned, shipped).
MANAGE_IDEAS = ["engagement.change_idea"]
APPROVE = ["engagement.approve_request", "engagement.view_approval"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.DIRECTOR: [
        *READ,
        *ANSWER,
        "listening.ingest_mention",
        "listening.manage_queries",
        "org.manage_organisation",
        "channels.view_channelaccount",
        *SEE_MODELS,
        *WORK_CASES,
        *APPROVE,
        "engagement.manage_rules",
        "engagement.manage_engagement",
        "engagement.offboard_member",
        "engagement.view_all_cases",
        "engagement.answer_any_case",
        "engagement.add_article",
        "engagement.change_article",
        *MANAGE_IDEAS,
    ],
    Role.AREA_MANAGER: [
        *READ,
        *ANSWER,
        *WORK_CASES,
        *APPROVE,
        "engagement.manage_rules",
        *MANAGE_IDEAS,
    ],
    Role.ANALYST: [
        *READ,
        "listening.correct_mention",
        "listening.manage_queries",
        "listening.ingest_mention",
        *TRAIN_MODELS,
        *SEE_CASES,
        "engagement.view_all_cases",
    ],
    Role.AGENT: [*READ, *ANSWER, *WORK_CASES],
    Role.COMMUNITY_MANAGER: [
        *READ,
        *ANSWER,
        "listening.manage_queries",
        "channels.view_channelaccount",
        *WORK_CASES,
        "engagement.manage_rules",
        "engagement.view_all_cases",
        "engagement.answer_any_case",
        "engagement.add_article",
        "engagement.change_article",
        *MANAGE_IDEAS,
    ],
    # Agency staff may draft but never publish or reach out without approval.
    Role.AGENCY: [*READ, "listening.draft_reply", *SEE_CASES],
    Role.CRM_CALL_CENTER: [
        *READ,
        "listening.draft_reply",
        "listening.publish_reply",
        *WORK_CASES,
    ],
    # External allies: no access to the inbox; briefs come with a later issue.
    Role.ADVOCATE: [],
    Role.CURATOR: [
        *READ,
        "listening.draft_reply",
        *SEE_CASES,
        "engagement.view_article",
        "engagement.add_article",
        "engagement.change_article",
    ],
    Role.TOOL_ADMIN: [
        *READ,
        "listening.ingest_mention",
        "org.manage_organisation",
        *(
            f"{app}.{action}_{model}"
            for app, model in [
                ("org", "organisation"),
                ("org", "brand"),
                ("org", "catalogueitem"),
                ("org", "team"),
                ("org", "membership"),
                ("auth", "user"),
                ("auth", "group"),
                ("channels", "channelaccount"),
                ("api", "apitoken"),
                ("engagement", "engagementconfig"),
                ("engagement", "agentprofile"),
                ("engagement", "replytemplate"),
            ]
            for action in ("view", "add", "change", "delete")
        ),
        "channels.view_inbounddelivery",
        "channels.view_outboundmessage",
        "channels.view_cursor",
        *TRAIN_MODELS,
        "engagement.manage_engagement",
        "engagement.offboard_member",
    ],
    # Any employee: read access to listening results and the regular reports.
    Role.EVERYONE: list(READ),
}


def group_name(role: str) -> str:
    return f"role:{role}"


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def sync_role_groups() -> dict[str, Group]:
    """Create or update one group per role carrying exactly its permissions."""
    groups = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        group.permissions.set([_permission(p) for p in perms])
        groups[role] = group
    return groups


def sync_role_groups_after_migrate(**kwargs) -> None:
    # Run once, after the last app's migrations, when every permission exists.
    from django.apps import apps

    if kwargs.get("app_config") is not apps.get_app_config("org"):
        return
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0, using=kwargs.get("using", "default"))
    sync_role_groups()
