"""Replies, channel health, alerts, the inbox banner and the channels API and pages.

Driven through Telegram's connector and its fake Bot API: the rules here are the same
for every network.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from panal.channels import health, replies
from panal.channels.base import AuthFailed, Unavailable
from panal.channels.models import Health, OutboundMessage
from panal.core import clock
from panal.org.choices import Role

from .contract import stored
from .test_telegram import TelegramHarness

Status = OutboundMessage.Status


@pytest.fixture
def tg(org, users):
    harness = TelegramHarness(org)
    harness.start()
    harness.users = users
    yield harness
    harness.stop()


@pytest.fixture
def mention(tg):
    sample = tg.samples()[0]
    tg.publish(sample)
    tg.collect()
    return stored(tg.account, sample.external_id)


# --- refusing up front ----------------------------------------------------------------


def test_a_reply_is_refused_up_front_with_the_reason(tg, mention, users):
    agent = users["agent"]
    with pytest.raises(replies.ReplyRefused, match="empty"):
        replies.send_reply(agent, mention, "   ")
    with pytest.raises(replies.ReplyRefused, match="4096"):
        replies.send_reply(agent, mention, "x" * 4097)
    tg.account.token_expires_at = clock.now() - timedelta(days=1)
    tg.account.save()
    mention.account.refresh_from_db()
    with pytest.raises(replies.ReplyRefused, match="expired"):
        replies.send_reply(agent, mention, "Hola")
    tg.account.token_expires_at = None
    tg.account.health, tg.account.health_reason = Health.DISCONNECTED, "token revoked"
    tg.account.save()
    mention.account.refresh_from_db()
    with pytest.raises(replies.ReplyRefused, match="token revoked"):
        replies.send_reply(agent, mention, "Hola")
    tg.account.health, tg.account.is_active = Health.CONNECTED, False
    tg.account.save()
    mention.account.refresh_from_db()
    with pytest.raises(replies.ReplyRefused, match="inactive"):
        replies.send_reply(agent, mention, "Hola")
    assert not OutboundMessage.objects.exists()
    assert tg.fake.sent == []


def test_a_deleted_mention_and_a_channel_without_replies_refuse(tg, mention, users, add):
    mention.deleted_at = clock.now()
    mention.save()
    assert "deleted" in replies.refusal(mention, "Hola")
    (from_webhook,) = add({"external_id": "w-1", "text": "hola"})
    assert "does not take replies" in replies.refusal(from_webhook, "Hola")


def test_only_roles_that_publish_may_reply(mention, users):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        replies.send_reply(users[Role.ANALYST], mention, "Hola")
    with pytest.raises(PermissionDenied):
        replies.send_reply(users[Role.AGENCY], mention, "Hola")


# --- delivering -----------------------------------------------------------------------


def test_a_temporary_failure_is_retried_and_never_shown_as_sent(tg, mention, users):
    message = replies.send_reply(users["agent"], mention, "Lo miramos")
    tg.fake.fail_next(502, path="/sendMessage", body=b"Bad Gateway")
    assert replies.deliver(message.pk) == Status.QUEUED
    message.refresh_from_db()
    assert message.status == Status.QUEUED and "502" in message.error
    assert message.next_attempt_at > clock.now()
    assert message.external_id == "" and message.sent_at is None
    tg.account.refresh_from_db()
    assert tg.account.health == Health.DEGRADED
    # Not before its time...
    assert replies.deliver(message.pk) == Status.QUEUED and tg.fake.sent == []
    # ...then it goes, and the account is connected again.
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=clock.now())
    assert replies.send_due() == 1
    message.refresh_from_db()
    assert message.status == Status.SENT and message.external_id and message.error == ""
    tg.account.refresh_from_db()
    assert tg.account.health == Health.CONNECTED


def test_a_reply_fails_for_good_after_the_last_retry(tg, mention, users):
    message = replies.send_reply(users["agent"], mention, "Lo miramos")
    tg.fake.fail_next(503, path="/sendMessage", times=replies.RETRIES)
    for _ in range(replies.RETRIES):
        OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=None)
        replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == Status.FAILED and "503" in message.error
    assert message.attempts == replies.RETRIES
    # A failed reply can be queued again by hand, and then goes.
    replies.retry(users["agent"], message)
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_a_refusal_by_the_network_fails_at_once(tg, mention, users):
    message = replies.send_reply(users["agent"], mention, "Hola")
    tg.fake.fail_next(
        403,
        path="/sendMessage",
        headers={"Content-Type": "application/json"},
        body={
            "ok": False,
            "error_code": 403,
            "description": "Forbidden: bot was blocked by the user",
        },
    )
    assert replies.deliver(message.pk) == Status.FAILED
    message.refresh_from_db()
    assert "blocked" in message.error and message.attempts == 1


# --- health and alerts ----------------------------------------------------------------


def test_a_rejected_token_alerts_the_tool_administrators_once(tg, users):
    account = tg.account
    health.record_failure(account, AuthFailed("HTTP 401 Unauthorized"))
    account.refresh_from_db()
    assert account.health == Health.DISCONNECTED and "401" in account.health_reason
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [users[Role.TOOL_ADMIN].email]
    assert "Acme bot" in mail.outbox[0].subject
    health.record_failure(account, AuthFailed("HTTP 401 Unauthorized"))
    assert len(mail.outbox) == 1  # the same problem is told once


def test_repeated_outages_degrade_then_disconnect(tg):
    account = tg.account
    health.record_failure(account, Unavailable("timed out"))
    assert account.health == Health.DEGRADED
    for _ in range(health.DISCONNECTED_AFTER):
        health.record_failure(account, Unavailable("timed out"))
    account.refresh_from_db()
    assert account.health == Health.DISCONNECTED
    health.record_success(account)
    account.refresh_from_db()
    assert (account.health, account.failures) == (Health.CONNECTED, 0)


def test_an_expiring_token_is_announced_and_bannered(tg, client_for):
    tg.account.token_expires_at = clock.now() + timedelta(days=3)
    tg.account.save()
    assert health.check_tokens() == 1
    assert "expires" in mail.outbox[0].body
    assert health.check_tokens() == 0  # once
    page = client_for(Role.AGENT).get("/")
    html = page.content.decode()
    assert "Some channels need attention" in html and "Acme bot" in html


def test_the_inbox_has_no_banner_when_all_is_well(tg, client_for):
    html = client_for(Role.AGENT).get("/").content.decode()
    assert "Some channels need attention" not in html


def test_the_health_page_is_for_those_who_manage_channels(tg, client_for):
    tg.account.health, tg.account.health_reason = Health.DEGRADED, "<b>timed out</b>"
    tg.account.save()
    page = client_for(Role.TOOL_ADMIN).get("/channels/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-health="degraded"' in html and "&lt;b&gt;timed out&lt;/b&gt;" in html
    assert client_for(Role.AGENT).get("/channels/").status_code == 403


# --- the mention page -----------------------------------------------------------------


def test_replying_from_the_mention_page(
    tg, mention, client_for, django_capture_on_commit_callbacks
):
    client = client_for(Role.AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/mentions/{mention.pk}/reply/", {"text": "<script>alert(1)</script> ¡Gracias!"}
        )
    assert response.status_code == 302
    message = OutboundMessage.objects.get()
    assert message.status == Status.SENT  # the task ran after commit
    html = client.get(f"/mentions/{mention.pk}/").content.decode()
    assert 'data-status="sent"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ¡Gracias!" in html
    assert "<script>alert(1)</script>" not in html
    assert tg.fake.sent[0]["payload"]["text"] == "<script>alert(1)</script> ¡Gracias!"


def test_the_mention_page_says_why_it_cannot_reply(tg, mention, client_for):
    tg.account.health, tg.account.health_reason = Health.DISCONNECTED, "token revoked"
    tg.account.save()
    html = client_for(Role.AGENT).get(f"/mentions/{mention.pk}/").content.decode()
    assert "You cannot reply through this channel now" in html and "token revoked" in html
    assert 'name="text"' not in html
    response = client_for(Role.AGENT).post(f"/mentions/{mention.pk}/reply/", {"text": "Hola"})
    assert response.status_code == 302 and not OutboundMessage.objects.exists()


def test_a_viewer_cannot_post_a_reply(tg, mention, client_for):
    response = client_for(Role.ANALYST).post(f"/mentions/{mention.pk}/reply/", {"text": "Hola"})
    assert response.status_code == 403
    assert not OutboundMessage.objects.exists()


# --- the API --------------------------------------------------------------------------


def test_the_api_sends_and_lists_replies(
    tg, mention, client_for, django_capture_on_commit_callbacks
):
    client = client_for(Role.AGENT)
    url = f"/api/v1/mentions/{mention.pk}/replies"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"text": "Hola"}, content_type="application/json")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    listed = client.get(url).json()
    assert [r["status"] for r in listed] == ["sent"] and listed[0]["external_id"]
    too_long = client.post(url, {"text": "x" * 5000}, content_type="application/json")
    assert too_long.status_code == 409 and "4096" in too_long.json()["detail"]
    empty = client.post(url, {"text": ""}, content_type="application/json")
    assert empty.status_code == 422


def test_the_api_lists_channel_health_for_those_allowed(tg, client_for):
    tg.account.token_expires_at = clock.now() + timedelta(days=2)
    tg.account.save()
    rows = {r["slug"]: r for r in client_for(Role.TOOL_ADMIN).get("/api/v1/channels").json()}
    assert rows["acme-bot"]["kind"] == "telegram"
    assert "expires" in rows["acme-bot"]["problems"][0]
    assert client_for(Role.AGENT).get("/api/v1/channels").status_code == 403


def test_an_item_and_its_edit_in_one_delivery_keep_both_texts(tg):
    sample = tg.samples()[0]
    update = dict(sample.data)
    message = dict(update["message"])
    edited = dict(message, text="Ya llegó, gracias", edit_date=message["date"] + 60)
    tg.post({"update_id": 1, "message": message})
    tg.post({"update_id": 2, "edited_message": edited})
    tg.collect()  # both deliveries in one drain
    mention = stored(tg.account, sample.external_id)
    assert mention.text == "Ya llegó, gracias"
    assert [v.text for v in mention.versions.all()] == [sample.text]


def test_an_account_without_its_credentials_refuses_replies(tg, mention, users):
    tg.account.credentials = {}
    tg.account.save()
    mention.account.refresh_from_db()
    with pytest.raises(replies.ReplyRefused, match="not configured: token missing"):
        replies.send_reply(users["agent"], mention, "Hola")


def test_the_health_page_names_what_an_account_lacks(tg, client_for):
    tg.account.credentials = {}
    tg.account.save()
    html = client_for(Role.TOOL_ADMIN).get("/channels/").content.decode()
    assert "Not configured; missing: <span" in html and ">token</span>" in html
