"""YouTube comments through the contract suite, plus what only YouTube has: quota units
per Pacific day, Google's error JSON, OAuth refresh tokens, threads one level deep."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from panal.channels import intake, replies
from panal.channels.base import AuthFailed, RateLimited, Rejected, connector_for
from panal.channels.models import OutboundMessage
from panal.channels.runner import poll_once
from panal.channels.youtube import wire
from panal.channels.youtube.connector import Quota, next_pacific_midnight, pacific_day
from panal.core import clock
from panal.demo import builders
from panal.listening.models import Mention
from tests.fakes.youtube import FakeYouTube

from .contract import Contract, Harness, Sample, stored

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/youtube/fixtures"
API_KEY = "AIzaSyD-fake-key-0123456789abcdefghij"
CLIENT_ID = "1234567890-abc.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-fake-secret"
REFRESH = "1//0gFakeRefreshToken-abc"
CHANNEL = "UCacmeMovil0000000000001"
VIDEO = "dQw4w9WgXcQ"
ES = "UgzQ3sF8xYbRk1Vb9Y14AaABAg"
EN = "UgwEnT0m5kLp2Qr7Xy1Z4AaABAg"
CREATED = [
    "thread__es.json", "thread__en.json", "thread__hostile.json", "comment__rtl_reply.json",
    "thread__emoji.json", "thread__long.json",
]  # fmt: skip
# 23:30 in California on 23 November: the quota day ends in half an hour.
LATE_EVENING = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def comment_of(obj: dict) -> dict:
    return obj["snippet"]["topLevelComment"] if obj["kind"] == "youtube#commentThread" else obj


def thread(number: int, *, video: str = VIDEO, text: str = "", minute: int = 0) -> dict:
    cid = f"Ugz{number:08d}AaABAg"
    at = (datetime(2026, 11, 21, tzinfo=UTC) + timedelta(minutes=minute or number)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    top = {
        "kind": "youtube#comment",
        "id": cid,
        "snippet": {
            "channelId": CHANNEL,
            "videoId": video,
            "textDisplay": text or f"comentario {number}",
            "textOriginal": text or f"comentario {number}",
            "authorDisplayName": f"@user{number}",
            "authorChannelUrl": f"http://www.youtube.com/@user{number}",
            "authorChannelId": {"value": f"UCuser{number:018d}"},
            "likeCount": 0,
            "publishedAt": at,
            "updatedAt": at,
        },
    }
    return {
        "kind": "youtube#commentThread",
        "id": cid,
        "snippet": {
            "channelId": CHANNEL,
            "videoId": video,
            "topLevelComment": top,
            "canReply": True,
            "totalReplyCount": 0,
            "isPublic": True,
        },
    }


def reply(parent: str, number: int) -> dict:
    at = (datetime(2026, 11, 22, tzinfo=UTC) + timedelta(minutes=number)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    return {
        "kind": "youtube#comment",
        "id": f"{parent}.9r{number:020d}",
        "snippet": {
            "videoId": VIDEO,
            "textOriginal": f"respuesta {number}",
            "textDisplay": f"respuesta {number}",
            "parentId": parent,
            "authorDisplayName": f"@fan{number}",
            "authorChannelId": {"value": f"UCfan{number:019d}"},
            "publishedAt": at,
            "updatedAt": at,
        },
    }


class YouTubeHarness(Harness):
    kind = "youtube"

    def start(self, settings=None, credentials=None, **fake):
        self.fake = FakeYouTube(
            api_key=API_KEY,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            refresh_token=REFRESH,
            channel_id=CHANNEL,
            **fake,
        ).start()
        self.account = builders.channel_account(
            self.org, kind="youtube", slug="acme-youtube", name="Acme en YouTube", secrets=[]
        )
        self.account.settings = {
            "base_url": f"{self.fake.base_url}/youtube/v3",
            "token_url": f"{self.fake.base_url}/token",
            "channel_id": CHANNEL,
            "client_id": CLIENT_ID,
            **(settings or {}),
        }
        self.account.credentials = {
            "api_key": API_KEY,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH,
            **(credentials or {}),
        }
        self.account.save()

    def stop(self):
        self.fake.stop()

    def samples(self):
        out = []
        for name in CREATED:
            obj = load(name)
            comment = comment_of(obj)
            snippet = comment["snippet"]
            handle = snippet["authorDisplayName"]
            out.append(
                Sample(
                    external_id=comment["id"],
                    text=snippet["textOriginal"],
                    author_handle=handle[1:] if handle.startswith("@") else "",
                    author_external_id=snippet["authorChannelId"]["value"],
                    thread_external_id=wire.thread_of(comment),
                    in_reply_to_external_id=snippet.get("parentId", ""),
                    data=obj,
                )
            )
        return out

    def publish(self, sample, event="created", *, new_text=""):
        if event == "created":
            self.fake.publish(copy.deepcopy(sample.data))
        elif event == "edited":
            self.fake.edit(sample.external_id, new_text)
        else:
            self.fake.delete(sample.external_id)

    def collect(self):
        self.account.refresh_from_db()
        poll_once(self.account)

    def redeliver(self):
        # Nothing to ask: every poll reads the newest threads again, so the next one
        # brings the same comments back.
        pass

    def replies_received(self):
        return [{"text": s["text"], "in_reply_to": s["parentId"]} for s in self.fake.sent]

    def echo_replies(self):
        # YouTube shows our reply inside its thread; the fake put it there on insert.
        assert self.fake.sent

    def rate_limit_next(self, seconds):
        self.fake.rate_limit_next(seconds)

    def cursor_sent(self):
        # YouTube takes no "since": what a poll sends from its cursor are the ids of the
        # recent comments it reads again.
        calls = [r.arg("id") for r in self.fake.seen("GET", r"/comments$") if r.arg("id")]
        return calls[-1] if calls else None


class TestYouTube(Contract):
    harness = YouTubeHarness


@pytest.fixture
def yt(org):
    harness = YouTubeHarness(org)
    harness.start()
    try:
        yield harness
    finally:
        harness.stop()
        clock.set_now(None)


@pytest.fixture
def make(org):
    made = []

    def start(settings=None, credentials=None, **fake):
        harness = YouTubeHarness(org)
        harness.start(settings, credentials, **fake)
        made.append(harness)
        return harness

    yield start
    for harness in made:
        harness.stop()
    clock.set_now(None)


def ids(account) -> set[str]:
    return set(Mention.objects.filter(account=account).values_list("external_id", flat=True))


def poll(harness, cursor=None):
    connector = connector_for("youtube")
    http = connector.make_http(harness.account)
    try:
        return connector.poll(harness.account, http, cursor or {})
    finally:
        http.close()


# --- mapping ------------------------------------------------------------------------


def test_fields_come_from_the_comments(yt):
    for sample in yt.samples():
        yt.publish(sample)
    yt.collect()
    es = stored(yt.account, ES)
    assert (es.kind, es.visibility, es.reply_capability) == ("comment", "public", "public_reply")
    assert es.url == f"https://www.youtube.com/watch?v={VIDEO}&lc={ES}"
    assert es.author_handle == "lucia_v" and es.author_display_name == "@lucia_v"
    assert es.author_avatar_url.startswith("https://yt3.ggpht.com/")
    assert es.metrics == {"likes": 12, "replies": 0}
    assert es.raw == {"videoId": VIDEO, "channelId": CHANNEL}
    assert es.created_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    rtl = stored(yt.account, f"{EN}.9zRtlRepLy1AbCdEfGhIjK")
    assert (rtl.kind, rtl.thread_external_id, rtl.in_reply_to_external_id) == ("reply", EN, EN)
    hostile = stored(yt.account, "UgxH0st1le9Kq2Wm8Zr3AaABAg")
    assert hostile.author_display_name == "<b>x_evil</b>" and hostile.author_handle == ""


def test_reads_ask_for_plain_text_with_the_api_key(yt):
    sample = yt.samples()[2]
    yt.publish(sample)
    yt.collect()
    assert stored(yt.account, sample.external_id).text == sample.text  # not "&lt;script&gt;"
    request = yt.fake.seen("GET", r"/commentThreads$")[0]
    assert request.arg("textFormat") == "plainText" and request.arg("key") == API_KEY
    assert request.arg("allThreadsRelatedToChannelId") == CHANNEL
    assert request.arg("order") == "time" and request.arg("part") == "snippet,replies"
    assert "authorization" not in request.headers
    assert not yt.fake.token_requests  # reading needs no OAuth when there is a key


def test_without_an_api_key_reads_use_oauth(make):
    harness = make(credentials={"api_key": ""})
    harness.fake.publish(thread(1))
    harness.collect()
    request = harness.fake.seen("GET", r"/commentThreads$")[0]
    assert request.arg("key") is None and request.headers["authorization"].startswith("Bearer ")
    assert "Ugz00000001AaABAg" in ids(harness.account)


def test_a_disabled_thread_cannot_be_answered():
    data = thread(1)
    data["snippet"]["canReply"] = False
    item = wire.item_of(data["snippet"]["topLevelComment"], can_reply=False)
    assert item.reply_capability == "none"


# --- polling --------------------------------------------------------------------------


def test_pages_are_followed_until_a_seen_thread(yt):
    yt.fake.publish(thread(1))
    yt.collect()
    for number in range(2, 232):
        yt.fake.publish(thread(number))
    yt.collect()
    assert len(ids(yt.account)) == 231
    pages = yt.fake.seen("GET", r"/commentThreads$")
    assert [bool(p.arg("pageToken")) for p in pages] == [False, False, True, True]
    assert all(p.arg("maxResults") == "100" for p in pages)


def test_the_first_run_reads_one_page(yt):
    for number in range(1, 151):
        yt.fake.publish(thread(number))
    yt.collect()
    assert len(ids(yt.account)) == 100


def test_only_the_configured_videos_are_read(make):
    harness = make(settings={"video_ids": [VIDEO, "aaaaaaaaaaa", "not a video"]})
    harness.fake.publish(thread(1))
    harness.fake.publish(thread(2, video="aaaaaaaaaaa"))
    harness.fake.publish(thread(3, video="bbbbbbbbbbb"))
    page = poll(harness)
    assert {i.external_id for i in page.items} == {"Ugz00000001AaABAg", "Ugz00000002AaABAg"}
    assert any("not a video" in e for e in page.errors)
    asked = {r.arg("videoId") for r in harness.fake.seen("GET", r"/commentThreads$")}
    assert asked == {VIDEO, "aaaaaaaaaaa"}


def test_a_video_with_comments_off_is_skipped_and_the_others_read(make):
    harness = make(settings={"video_ids": [VIDEO, "aaaaaaaaaaa"]})
    harness.fake.disable_comments("aaaaaaaaaaa")
    harness.fake.publish(thread(1))
    page = poll(harness)
    assert [i.external_id for i in page.items] == ["Ugz00000001AaABAg"]
    assert any("commentsDisabled" in e for e in page.errors)


def test_replies_beyond_those_in_the_thread_are_fetched_once(yt):
    yt.fake.publish(thread(1))
    yt.collect()
    parent = "Ugz00000001AaABAg"
    for number in range(8):
        yt.fake.publish(reply(parent, number))
    yt.collect()
    assert {f"{parent}.9r{n:020d}" for n in range(8)} <= ids(yt.account)
    assert len(yt.fake.seen("GET", r"/comments$")) == 2  # one ?id=, one ?parentId=
    parents = [r for r in yt.fake.seen("GET", r"/comments$") if r.arg("parentId")]
    assert parents[0].arg("parentId") == parent
    yt.collect()
    assert len([r for r in yt.fake.seen("GET", r"/comments$") if r.arg("parentId")]) == 1


def test_edits_and_deletes_are_found_by_reading_recent_ids(yt):
    yt.fake.publish(thread(1))
    yt.fake.publish(reply("Ugz00000001AaABAg", 1))
    yt.fake.publish(thread(2))
    yt.collect()
    yt.fake.edit("Ugz00000002AaABAg", "editado: ya funciona")
    yt.fake.delete("Ugz00000001AaABAg.9r00000000000000000001")
    yt.collect()
    edited = stored(yt.account, "Ugz00000002AaABAg")
    assert edited.text == "editado: ya funciona" and edited.edited_at is not None
    assert stored(yt.account, "Ugz00000001AaABAg.9r00000000000000000001").deleted_at
    yt.collect()
    assert edited.versions.count() == 1


def test_the_cursor_survives_a_restart(yt):
    yt.fake.publish(thread(1))
    yt.fake.publish(thread(2))
    yt.collect()
    cursor = intake.load_cursor(yt.account)
    mine = cursor["sources"][f"channel:{CHANNEL}"]
    assert mine["newest"] == "2026-11-21T00:02:00Z"
    assert set(mine["seen"]) == {"Ugz00000001AaABAg", "Ugz00000002AaABAg"}
    assert set(cursor["recent"]) == {"Ugz00000001AaABAg", "Ugz00000002AaABAg"}
    yt.fake.publish(thread(3))
    page = poll(yt, cursor)  # a new process: only the stored cursor carries over
    assert [i.external_id for i in page.items] == ["Ugz00000003AaABAg"]


# --- quota ----------------------------------------------------------------------------


def test_pacific_midnight():
    assert pacific_day(LATE_EVENING) == "2026-11-23"
    assert next_pacific_midnight(LATE_EVENING) == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert next_pacific_midnight(summer) == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)


def test_the_budget_stops_calls_until_midnight_pacific_and_survives_a_restart(make):
    clock.set_now(LATE_EVENING)
    harness = make(settings={"daily_quota": 3})
    harness.fake.publish(thread(1))
    harness.collect()  # 1 unit: threads
    harness.collect()  # 2 more: ids, threads
    calls = len(harness.fake.seen())
    assert intake.load_cursor(harness.account)["quota"] == {"day": "2026-11-23", "used": 3}
    with pytest.raises(RateLimited) as raised:
        harness.collect()
    assert raised.value.retry_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert len(harness.fake.seen()) == calls  # refused before calling
    harness.account.refresh_from_db()
    assert harness.account.paused_until == raised.value.retry_at
    connector = connector_for("youtube")
    connector.quota = Quota()  # a restart forgets what memory held; the cursor has it
    with pytest.raises(RateLimited):
        harness.collect()
    clock.set_now(datetime(2026, 11, 24, 8, 0, 1, tzinfo=UTC))
    harness.collect()
    assert intake.load_cursor(harness.account)["quota"] == {"day": "2026-11-24", "used": 2}


def test_a_reply_needs_fifty_units(make, users):
    clock.set_now(LATE_EVENING)
    harness = make(settings={"daily_quota": 50})
    harness.publish(harness.samples()[0])
    harness.collect()
    mention = stored(harness.account, ES)
    message = replies.send_reply(users["agent"], mention, "Gracias")
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED
    assert message.next_attempt_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert not harness.fake.sent and "quota" in message.error


def test_quota_exceeded_from_youtube_waits_for_midnight_pacific(make):
    clock.set_now(LATE_EVENING)
    harness = make(daily_limit=1)
    harness.fake.publish(thread(1))
    harness.collect()
    with pytest.raises(RateLimited) as raised:
        harness.collect()
    assert raised.value.retry_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert "quotaExceeded" in str(raised.value)
    calls = len(harness.fake.seen())
    with pytest.raises(RateLimited):
        harness.collect()
    assert len(harness.fake.seen()) == calls  # not asked again today
    harness.fake.daily_limit = 10_000
    clock.set_now(datetime(2026, 11, 24, 8, 0, 1, tzinfo=UTC))
    harness.collect()


# --- Google's errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("comments_disabled", Rejected, "commentsDisabled"),
        ("forbidden", Rejected, "forbidden"),
        ("key_invalid", AuthFailed, "API_KEY_INVALID"),
        ("rate_limit", RateLimited, "rateLimitExceeded"),
    ],
)
def test_google_errors_are_mapped(yt, name, error, words):
    yt.fake.error_next(name)
    with pytest.raises(error, match=words):
        poll(yt)


def test_a_legacy_403_rate_limit_waits_a_minute(yt):
    body = {"error": {"code": 403, "message": "User rate limit", "errors": [
        {"reason": "userRateLimitExceeded", "domain": "usageLimits", "message": "slow down"}
    ]}}  # fmt: skip
    yt.fake.fail_next(403, path=r"^/youtube/v3/", body=body)
    clock.set_now(LATE_EVENING)
    with pytest.raises(RateLimited) as raised:
        poll(yt)
    assert raised.value.retry_at == LATE_EVENING + timedelta(seconds=60)


def test_a_reply_on_a_video_without_comments_fails_with_the_reason(yt, users):
    yt.publish(yt.samples()[0])
    yt.collect()
    yt.fake.disable_comments(VIDEO)
    message = replies.send_reply(users["agent"], stored(yt.account, ES), "Hola")
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and "commentsDisabled" in message.error


# --- OAuth and replies --------------------------------------------------------------------


def _reply(harness, users, index, text="Gracias, lo miramos."):
    sample = harness.samples()[index]
    if index == 3:  # a reply needs its thread
        harness.publish(harness.samples()[1])
    harness.publish(sample)
    harness.collect()
    message = replies.send_reply(users["agent"], stored(harness.account, sample.external_id), text)
    replies.deliver(message.pk)
    message.refresh_from_db()
    return message


def test_the_reply_id_is_the_one_polling_returns(yt, users):
    message = _reply(yt, users, 0)
    assert message.status == "sent", message.error
    request = yt.fake.seen("POST", r"/comments$")[0]
    assert request.arg("part") == "snippet" and request.arg("key") is None
    assert request.json() == {"snippet": {"parentId": ES, "textOriginal": "Gracias, lo miramos."}}
    polled = [c["id"] for c in yt.fake.replies[ES]]
    assert polled == [message.external_id] and message.external_id.startswith(f"{ES}.")
    assert message.url == f"https://www.youtube.com/watch?v={VIDEO}&lc={message.external_id}"
    assert yt.fake.calls[-1] == ("comments.insert", 50)


def test_a_reply_to_a_reply_goes_to_the_top_level_comment(yt, users):
    message = _reply(yt, users, 3)
    assert message.status == "sent"
    assert yt.fake.sent[0]["parentId"] == EN


def test_the_token_is_refreshed_before_it_expires_and_after_a_401(yt, users):
    message = _reply(yt, users, 0)
    assert message.status == "sent" and len(yt.fake.token_requests) == 1
    assert yt.fake.token_requests[0] == {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH,
    }
    yt.fake.tokens.clear()  # Google dropped the access token early
    second = replies.send_reply(users["agent"], stored(yt.account, ES), "Otra vez")
    replies.deliver(second.pk)
    second.refresh_from_db()
    assert second.status == "sent" and len(yt.fake.token_requests) == 2
    clock.set_now(clock.now() + timedelta(seconds=3599 - 60))
    third = replies.send_reply(users["agent"], stored(yt.account, ES), "Y otra")
    replies.deliver(third.pk)
    third.refresh_from_db()
    assert third.status == "sent" and len(yt.fake.token_requests) == 3


def test_a_revoked_grant_fails_the_reply_and_disconnects(yt, users):
    yt.publish(yt.samples()[0])
    yt.collect()
    yt.fake.revoke()
    message = replies.send_reply(users["agent"], stored(yt.account, ES), "Hola")
    replies.deliver(message.pk)
    message.refresh_from_db()
    yt.account.refresh_from_db()
    assert message.status == "failed" and "invalid_grant" in message.error
    assert yt.account.health == "disconnected"


def test_without_oauth_replies_are_refused(make):
    harness = make(credentials={"refresh_token": ""})
    harness.publish(harness.samples()[0])
    harness.collect()
    reason = replies.refusal(stored(harness.account, ES), "Hola")
    assert reason and "OAuth" in reason


def test_a_reply_longer_than_10000_characters_is_refused(yt):
    yt.publish(yt.samples()[0])
    yt.collect()
    mention = stored(yt.account, ES)
    assert "10000" in replies.refusal(mention, "a" * 10_001)


def test_our_own_comments_are_not_mentions(yt):
    own = thread(1)
    own["snippet"]["topLevelComment"]["snippet"]["authorChannelId"]["value"] = CHANNEL
    yt.fake.publish(own)
    yt.fake.publish(thread(2))
    yt.collect()
    assert ids(yt.account) == {"Ugz00000002AaABAg"}


# --- check ---------------------------------------------------------------------------------


def test_check_reads_our_channel_with_oauth(yt):
    connector = connector_for("youtube")
    http = connector.make_http(yt.account)
    try:
        found = connector.check(yt.account, http)
    finally:
        http.close()
    assert (found.handle, found.self_ids) == ("acmemovil", (CHANNEL,))
    assert yt.fake.seen("GET", r"/channels$")[0].arg("mine") == "true"


def test_check_refuses_a_token_of_another_channel(make):
    harness = make(settings={"channel_id": "UCother00000000000000001"})
    connector = connector_for("youtube")
    http = connector.make_http(harness.account)
    try:
        with pytest.raises(Rejected, match="UCother"):
            connector.check(harness.account, http)
    finally:
        http.close()


def test_check_with_only_a_key_looks_the_channel_up(make):
    harness = make(credentials={"refresh_token": ""})
    connector = connector_for("youtube")
    http = connector.make_http(harness.account)
    try:
        found = connector.check(harness.account, http)
    finally:
        http.close()
    assert found.self_ids == (CHANNEL,)
    assert harness.fake.seen("GET", r"/channels$")[0].arg("id") == CHANNEL


def test_settings_are_documented():
    text = (Path(__file__).resolve().parents[2] / "docs/channels/youtube.md").read_text()
    assert [s.name for s in connector_for("youtube").settings if f"`{s.name}`" not in text] == []
