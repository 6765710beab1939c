"""POST /api/v1/mentions: who may ingest, validation before storage, idempotence."""

import pytest
from django.test import Client

from panal.demo import builders
from panal.listening.models import Mention, MentionVersion
from panal.listening.schemas import MAX_INGEST_ITEMS
from panal.org.choices import Role
from panal.org.roles import ROLE_PERMISSIONS

from .conftest import URL

INGESTERS = [r for r in Role.values if "listening.ingest_mention" in ROLE_PERMISSIONS[r]]

ROW = {
    "external_id": "x1",
    "text": "Mi pedido no llega",
    "lang": "es",
    "created_at": "2026-11-10T08:00:00Z",
    "author": {"id": "42", "handle": "cli", "display_name": "Cliente", "followers": 10},
}


@pytest.mark.parametrize("role", ["analyst", "tool_admin", "director"])
def test_ingesters_get_202_with_string_ids(api_for, account, post_batch, role):
    response = post_batch(api_for(role), account.slug, [ROW])
    assert response.status_code == 202, response.content
    body = response.json()
    stored = Mention.objects.get(external_id="x1")
    assert body == {"created": 1, "edited": 0, "deleted": 0, "unchanged": 0,
                    "ids": {"x1": str(stored.id)}}  # fmt: skip
    assert stored.account == account and stored.text == ROW["text"]
    assert stored.processed_at is not None  # the pipeline ran after commit


def test_the_ingest_roles_are_exactly_those_tested():
    assert sorted(INGESTERS) == ["analyst", "director", "tool_admin"]


@pytest.mark.parametrize("role", sorted(set(Role.values) - set(INGESTERS)))
def test_everyone_else_is_403_and_nothing_is_stored(api_for, account, post_batch, role):
    response = post_batch(api_for(role), account.slug, [ROW])
    assert response.status_code == 403
    assert response.json() == {"detail": "Missing permission: listening.ingest_mention"}
    assert not Mention.objects.exists()


def test_anonymous_is_401(account, post_batch):
    assert post_batch(Client(), account.slug, [ROW]).status_code == 401
    assert not Mention.objects.exists()


def test_session_user_may_ingest(client_for, account, post_batch):
    assert post_batch(client_for("analyst"), account.slug, [ROW]).status_code == 202


@pytest.mark.parametrize("slug", ["no-such-account", "other-hooks"])
def test_unknown_or_foreign_account_is_404(api_for, other_org, account, post_batch, slug):
    builders.channel_account(other_org, "api", "other-hooks", "Other hooks")
    response = post_batch(api_for("analyst"), slug, [ROW])
    assert response.status_code == 404
    assert response.json() == {"detail": f"No channel account {slug!r} in your organisations."}
    assert not Mention.objects.exists()


def test_a_member_of_both_organisations_may_ingest_into_either(
    users, other_org, account, post_batch
):
    builders.channel_account(other_org, "api", "other-hooks", "Other hooks")
    builders.member(other_org, Role.ANALYST, username="analyst")  # the same user joins Other
    from panal.api.services import create_token

    from .conftest import bearer

    client = bearer(create_token(users["analyst"], "t").raw)
    assert post_batch(client, "other-hooks", [ROW]).status_code == 202
    assert Mention.objects.get().organisation == other_org


def test_paused_account_is_409(api_for, account, post_batch):
    account.is_active = False
    account.save()
    response = post_batch(api_for("analyst"), account.slug, [ROW])
    assert response.status_code == 409
    assert "paused" in response.json()["detail"]


def test_one_bad_item_stores_nothing_and_every_problem_is_listed(api_for, account, post_batch):
    batch = [
        ROW,
        {"text": "sin id"},
        {**ROW, "external_id": "x2", "created_at": "ayer"},
        "not an object",
        {**ROW, "external_id": "x3"},
        {"external_id": "x4"},
    ]
    response = post_batch(api_for("analyst"), account.slug, batch)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "4 of 6 mentions are invalid; nothing was stored."
    assert [e["index"] for e in body["errors"]] == [1, 2, 3, 5]
    assert "'external_id' is required" in body["errors"][0]["error"]
    assert "not a date" in body["errors"][1]["error"]
    assert "must be a JSON object" in body["errors"][2]["error"]
    assert "'text' is required" in body["errors"][3]["error"]
    assert not Mention.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"mentions": [ROW]},
        {"account": "acme-hooks"},
        {"account": "acme-hooks", "mentions": {"external_id": "x"}},
        {"account": ["acme-hooks"], "mentions": [ROW]},
        [ROW],
    ],
)
def test_malformed_envelopes_are_422(api_for, account, body):
    response = api_for("analyst").post(URL, body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"]
    assert not Mention.objects.exists()


def test_body_that_is_not_json_is_400(api_for, account):
    response = api_for("analyst").post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_more_than_the_limit_is_413(api_for, account, post_batch):
    rows = [{"external_id": f"n{i}", "text": "t"} for i in range(MAX_INGEST_ITEMS + 1)]
    response = post_batch(api_for("analyst"), account.slug, rows)
    assert response.status_code == 413
    assert f"At most {MAX_INGEST_ITEMS}" in response.json()["detail"]
    assert not Mention.objects.exists()


def test_exactly_the_limit_is_accepted(api_for, account, post_batch):
    rows = [{"external_id": f"n{i}", "text": "t"} for i in range(MAX_INGEST_ITEMS)]
    response = post_batch(api_for("analyst"), account.slug, rows)
    assert response.status_code == 202
    assert response.json()["created"] == MAX_INGEST_ITEMS == Mention.objects.count()


def test_a_body_over_the_size_limit_is_413(api_for, account, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"account": account.slug, "mentions": [{"external_id": "big", "text": "x" * 2000}]}
    response = api_for("analyst").post(URL, body, content_type="application/json")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_redelivery_changes_nothing(api_for, account, post_batch):
    client = api_for("analyst")
    batch = [ROW, {**ROW, "external_id": "x2", "text": "Otro"}]
    first = post_batch(client, account.slug, batch).json()
    before = list(Mention.objects.order_by("id").values())
    again = post_batch(client, account.slug, batch)
    assert again.status_code == 202
    assert again.json() == {**first, "created": 0, "unchanged": 2}
    assert list(Mention.objects.order_by("id").values()) == before


def test_an_edit_through_the_api_keeps_the_previous_text(api_for, account, post_batch):
    client = api_for("analyst")
    first = post_batch(client, account.slug, [ROW]).json()
    edited = post_batch(
        client, account.slug, [{**ROW, "text": "Ya llegó, gracias", "event": "edited"}]
    ).json()
    assert edited["edited"] == 1 and edited["ids"] == first["ids"]
    detail = api_for("agent").get(f"{URL}/{first['ids']['x1']}").json()
    assert detail["text"] == "Ya llegó, gracias"
    assert [v["text"] for v in detail["versions"]] == [ROW["text"]]
    assert MentionVersion.objects.count() == 1
    found = api_for("agent").get(URL, {"q": "gracias"}).json()["items"]
    assert [m["id"] for m in found] == [first["ids"]["x1"]]


def test_a_delete_event_hides_the_mention(api_for, account, post_batch):
    client = api_for("analyst")
    pk = post_batch(client, account.slug, [ROW]).json()["ids"]["x1"]
    deleted = post_batch(client, account.slug, [{"external_id": "x1", "event": "deleted"}])
    assert deleted.json()["deleted"] == 1
    agent = api_for("agent")
    assert agent.get(f"{URL}/{pk}").status_code == 404
    assert agent.get(URL).json()["items"] == []
    assert Mention.objects.get(pk=pk).deleted_at is not None


def test_ingested_hostile_text_reads_back_exactly(api_for, account, post_batch):
    text = "</script><script>alert(1)</script> 'single' \"double\" & <b>bold</b> 日本語 ✓"
    ids = post_batch(api_for("analyst"), account.slug, [{**ROW, "text": text}]).json()["ids"]
    response = api_for("agent").get(f"{URL}/{ids['x1']}")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["text"] == text
    assert b"<script>" in response.content  # JSON, not HTML: nothing is escaped


SURROGATE = "contains an unpaired surrogate (not valid Unicode)"


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"text": "nul \x00 byte"}, "'text' contains a NUL character (U+0000)"),
        ({"title": "lone \ud800 surrogate"}, f"'title' {SURROGATE}"),
        ({"raw": {"deep": [{"x": "\x00"}]}}, "'raw' contains a NUL character (U+0000)"),
        ({"metrics": {"\udfff": 1}}, f"'metrics' {SURROGATE}"),
        ({"author": {"id": "1", "handle": "a\ud83d"}}, f"'author' {SURROGATE}"),
    ],
)
def test_text_no_database_stores_is_refused_per_item(api_for, account, post_batch, fields, says):
    """PostgreSQL stores no NUL (text or jsonb); no engine stores a lone surrogate."""
    batch = [ROW, {**ROW, "external_id": "y", **fields}]
    response = post_batch(api_for("analyst"), account.slug, batch)
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [{"index": 1, "error": says}]
    assert not Mention.objects.exists()
