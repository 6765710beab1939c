"""X through the contract suite (by polling, and by Account Activity webhooks), plus what
only X has: CRC, base64 signatures, edit chains, note tweets, weighted length, the
filtered stream and its rules."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
from pathlib import Path

import pytest
from django.test import Client

from panal.channels import deliveries, intake, replies
from panal.channels.base import AuthFailed, Rejected, Unavailable, connector_for
from panal.channels.models import InboundDelivery, OutboundMessage
from panal.channels.runner import AccountRunner, poll_once
from panal.demo import builders
from panal.listening.models import Mention
from tests.fakes.x import OUR_ID, OUR_USERNAME, FakeX, crc_response_token, sign

from .contract import Contract, Harness, Sample, stored

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/x/fixtures"
BEARER = "AAAAAAAAAAAAAAAAAAAAAPanalTestBearer%3DkLm0pQ"
USER_TOKEN = "bWtQcGFuYWwtdXNlci1jb250ZXh0LXRva2VuOjE3MDA6MTphYzox"
CONSUMER_SECRET = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
OLD_SECRET = "previous-consumer-secret-0001"
QUERY = "(acme OR @acme_soporte) -is:retweet"
CREATED = [
    "tweet__es.json", "tweet__en.json", "tweet__hostile.json", "tweet__rtl.json",
    "tweet__emoji.json", "tweet__long.json",
]  # fmt: skip


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def plain(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def x_connector():
    return connector_for("x")


class XPollHarness(Harness):
    """Mentions reach us by recent search and the mentions timeline."""

    kind = "x"
    can_delete = False
    why_not = (
        "X's search, mentions timeline and filtered stream never report deletions; "
        "only Account Activity webhooks do (see XWebhookHarness)"
    )

    def start(self):
        self.fake = FakeX(bearer=BEARER, user_token=USER_TOKEN, consumer_secret=CONSUMER_SECRET)
        self.fake.start()
        self.account = builders.channel_account(
            self.org, kind="x", slug="acme-x", name="Acme en X", handle=OUR_USERNAME, secrets=[]
        )
        self.account.settings = {
            "base_url": self.fake.base_url,
            "user_id": OUR_ID,
            "search_queries": [QUERY],
            "stream": False,
        }
        self.account.credentials = {
            "bearer_token": BEARER,
            "user_access_token": USER_TOKEN,
            "consumer_secret": CONSUMER_SECRET,
        }
        self.account.self_ids = [OUR_ID]
        self.account.save()
        self.client = Client()
        self.last: bytes | None = None

    def stop(self):
        self.fake.stop()

    def samples(self):
        out = []
        for name in CREATED:
            message = load(name)
            tweet = message["data"]
            user = message["includes"]["users"][0]
            parent = next(
                (r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "replied_to"),
                "",
            )
            text = (tweet.get("note_tweet") or {}).get("text") or tweet["text"]
            out.append(
                Sample(
                    external_id=tweet["edit_history_tweet_ids"][0],
                    text=plain(text),
                    author_handle=user["username"],
                    author_external_id=user["id"],
                    thread_external_id=tweet["conversation_id"],
                    in_reply_to_external_id=parent,
                    lang="" if tweet["lang"] == "und" else tweet["lang"],
                    data=message,
                )
            )
        return out

    def publish(self, sample, event="created", *, new_text=""):
        if event == "created":
            self.fake.add_wire(sample.data)
        elif event == "edited":
            self.fake.edit(sample.external_id, new_text)
        else:
            self.fake.delete(sample.external_id)

    def poll(self):
        self.account.refresh_from_db()
        return poll_once(self.account)

    def collect(self):
        self.poll()

    def redeliver(self):
        self.fake.replay_next = True  # the next search overlaps what was read

    def replies_received(self):
        return [
            {
                "text": s["payload"]["text"],
                "in_reply_to": s["payload"]["reply"]["in_reply_to_tweet_id"],
            }
            for s in self.fake.sent
        ]

    def echo_replies(self):
        pass  # our replies are posts now: the next search finds them

    def rate_limit_next(self, seconds):
        self.fake.rate_limit_next(seconds)

    def cursor_sent(self):
        searches = self.fake.seen("GET", r"/2/tweets/search/recent$")
        return searches[-1].arg("since_id") if searches else None

    # webhooks (used by the webhook harness and the tests below)
    def post(self, body: bytes, secret: str = CONSUMER_SECRET, signature: str | None = None):
        self.last = body
        return self.client.post(
            f"/hooks/x/{self.account.slug}/",
            data=body,
            content_type="application/json",
            headers={"x-twitter-webhooks-signature": signature or sign(secret, body)},
        )

    def post_forged(self, sample):
        message = copy.deepcopy(sample.data)
        user = message["includes"]["users"][0]
        self.fake.users[user["id"]] = user
        tweet = dict(message["data"], text=plain(message["data"]["text"]))
        body = self.fake.activity(tweet_create_events=[self.fake.v1_tweet(tweet)])
        return self.post(body, secret="not-the-consumer-secret")

    def post_malformed(self):
        return self.post(b'{"for_user_id": "1500000000000000001", "tweet_create_events": [')


class XWebhookHarness(XPollHarness):
    """Account Activity webhooks push tweets, edits and deletes; search polls beside them."""

    can_delete = True
    why_not = ""

    def samples(self):
        out = super().samples()
        for sample in out:
            if sample.in_reply_to_external_id:
                # v1.1 has no conversation id: a reply's thread comes from its parent.
                sample.thread_external_id = ""
        return out

    def publish(self, sample, event="created", *, new_text=""):
        if event == "created":
            tweet = self.fake.add_wire(sample.data)
            body = self.fake.activity(tweet_create_events=[self.fake.v1_tweet(tweet)])
        elif event == "edited":
            tweet = self.fake.edit(sample.external_id, new_text)
            body = self.fake.activity(tweet_create_events=[self.fake.v1_tweet(tweet)])
        else:
            body = self.fake.activity(tweet_delete_events=[self.fake.delete(sample.external_id)])
        response = self.post(body)
        assert response.status_code == 200, response.content

    def collect(self):
        deliveries.drain_all()
        self.poll()

    def redeliver(self):
        response = self.post(self.last)
        assert response.status_code == 200

    def echo_replies(self):
        for sent in self.fake.sent:
            self.post(self.fake.activity(tweet_create_events=[self.fake.v1_tweet(sent["tweet"])]))


class TestXPolling(Contract):
    harness = XPollHarness


class TestXWebhooks(Contract):
    harness = XWebhookHarness


@pytest.fixture
def h(org, users):
    harness = XPollHarness(org)
    harness.start()
    harness.users = users
    yield harness
    harness.stop()


@pytest.fixture
def hook(org, users):
    harness = XWebhookHarness(org)
    harness.start()
    harness.users = users
    yield harness
    harness.stop()


# --- webhooks: CRC and signatures ------------------------------------------------------


def test_crc_answers_with_the_known_vector(hook):
    token = "panal-crc-token-1234567890"
    # openssl: printf %s "$token" | openssl dgst -sha256 -hmac "$secret" -binary | base64
    expected = "sha256=PuUKWkbKUttvEznzuWnsgo3h7LCT35fo7BAEKhqGgvU="
    assert crc_response_token(CONSUMER_SECRET, token) == expected
    response = hook.client.get(f"/hooks/x/{hook.account.slug}/", {"crc_token": token})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"response_token": expected}


def test_crc_needs_a_token_and_a_consumer_secret(hook):
    url = f"/hooks/x/{hook.account.slug}/"
    assert hook.client.get(url).status_code == 405
    hook.account.credentials = {"bearer_token": BEARER}
    hook.account.save()
    response = hook.client.get(url, {"crc_token": "abc"})
    assert response.status_code == 403 and "consumer_secret" in response.json()["error"]


def test_a_tampered_or_hex_signed_delivery_is_refused(hook):
    body = load_bytes("tweet_create_events__es.json")
    good = sign(CONSUMER_SECRET, body)
    tampered = body.replace(b"dos veces", b"tres veces")
    assert hook.post(tampered, signature=good).status_code == 401
    hex_signed = "sha256=" + hmac.new(CONSUMER_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hook.post(body, signature=hex_signed).status_code == 401  # Meta's encoding, not X's
    assert hook.post(body, signature=good.removeprefix("sha256=")).status_code == 401
    response = hook.client.post(
        f"/hooks/x/{hook.account.slug}/", data=body, content_type="application/json"
    )
    assert (
        response.status_code == 401 and "x-twitter-webhooks-signature" in response.json()["error"]
    )
    assert InboundDelivery.objects.filter(account=hook.account).count() == 0
    assert hook.post(body, signature=good).status_code == 200


def test_the_previous_consumer_secret_is_accepted_during_a_rotation(hook):
    hook.account.credentials = dict(hook.account.credentials, previous_consumer_secret=OLD_SECRET)
    hook.account.save()
    body = load_bytes("tweet_create_events__es.json")
    assert hook.post(body, secret=OLD_SECRET).status_code == 200
    assert hook.post(body + b" ", secret="someone-else").status_code == 401


def load_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- Account Activity payloads ------------------------------------------------------------


def test_account_activity_tweets_deletes_and_direct_messages(hook):
    assert hook.post(load_bytes("tweet_create_events__es.json")).status_code == 200
    assert hook.post(load_bytes("direct_message_events__es.json")).status_code == 200
    deliveries.drain_all()
    tweet = stored(hook.account, "1790000000000000201")
    fixture = load("tweet_create_events__es.json")["tweet_create_events"][0]
    assert tweet.text == plain(fixture["extended_tweet"]["full_text"])  # not the cut `text`
    assert "& número" in tweet.text and '"correcto"' in tweet.text
    assert tweet.created_at.isoformat() == "2026-03-02T15:20:31+00:00"
    assert (tweet.kind, tweet.visibility, tweet.lang) == ("mention", "public", "es")
    assert tweet.urls == ["https://acme.example/ayuda/facturas"]
    assert tweet.url == "https://x.com/carmen_ruiz_m/status/1790000000000000201"
    assert (tweet.author_handle, tweet.author_followers) == ("carmen_ruiz_m", 356)
    # Our own reply in the same delivery is an echo; our own direct message too.
    assert not stored(hook.account, "1790000000000000202")
    assert not stored(hook.account, "dm:1790000000000000302")
    dm = stored(hook.account, "dm:1790000000000000301")
    assert (dm.kind, dm.visibility, dm.reply_capability) == (
        "direct_message",
        "private",
        "private_reply",
    )
    assert dm.thread_external_id == f"dm:2008-{OUR_ID}"
    assert dm.urls == ["https://acme.example/c/captura.png"]
    assert dm.author_handle == "carmen_ruiz_m"
    assert hook.post(load_bytes("tweet_delete_events.json")).status_code == 200
    deliveries.drain_all()
    tweet.refresh_from_db()
    assert tweet.deleted_at is not None


def test_a_bad_entry_is_reported_and_the_rest_stored(hook):
    data = load("tweet_create_events__es.json")
    broken = copy.deepcopy(data["tweet_create_events"][0])
    broken.update(id_str="1790000000000000299", created_at="yesterday at noon")
    broken["edit_history"] = {"edit_tweet_ids": ["1790000000000000299"]}
    data["tweet_create_events"].append(broken)
    assert hook.post(json.dumps(data).encode()).status_code == 200
    deliveries.drain_all()
    row = InboundDelivery.objects.get(account=hook.account)
    assert row.status == "done" and "1790000000000000299" in row.error
    assert stored(hook.account, "1790000000000000201")
    assert not stored(hook.account, "1790000000000000299")


def test_a_reply_to_a_direct_message_is_a_direct_message(hook, users):
    hook.post(load_bytes("direct_message_events__es.json"))
    deliveries.drain_all()
    dm = stored(hook.account, "dm:1790000000000000301")
    message = replies.send_reply(users["agent"], dm, "Hola Carmen, ya está devuelto.")
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT, message.error
    assert hook.fake.dms == [
        {"to": "2008", "text": "Hola Carmen, ya está devuelto.", "id": hook.fake.dms[0]["id"]}
    ]
    assert message.external_id == f"dm:{hook.fake.dms[0]['id']}"
    assert not hook.fake.sent  # nothing public


# --- items: edits, long posts, hostile text, offsets --------------------------------------


def test_an_edit_chain_is_one_mention_with_versions(h):
    page = load("search__edited.json")
    first, original = page["data"][1], dict(page["data"][1])
    original["edit_history_tweet_ids"] = [first["id"]]  # as it was before the edit
    h.fake.add_wire({"data": original, "includes": page["includes"]})
    h.poll()
    mention = stored(h.account, "1790000000000000108")
    assert mention.text.endswith("cada 10 minutos") and mention.edited_at is None
    edited = h.fake.edit("1790000000000000108", plain(page["data"][0]["text"]))
    h.poll()
    mention.refresh_from_db()
    assert mention.text == plain(page["data"][0]["text"])
    assert mention.edited_at is not None
    assert [v.text for v in mention.versions.all()] == [plain(original["text"])]
    assert not stored(h.account, edited["id"])  # the new id is a version, not a mention
    assert Mention.objects.filter(account=h.account).count() == 1


def test_a_page_with_both_versions_keeps_the_newest(org):
    from panal.channels.x import wire

    page = load("search__edited.json")
    errors: list[str] = []
    items = wire.in_order(wire.v2_items(page["data"], page["includes"], errors=errors))
    assert errors == []
    assert [(i.external_id, i.event) for i in items] == [("1790000000000000108", "edited")]
    assert items[0].text.endswith("firmware 2.1)")
    assert items[0].url == "https://x.com/pablo_techie/status/1790000000000000110"


def test_a_note_tweet_is_stored_whole(h):
    message = load("tweet__long.json")
    h.fake.add_wire(message)
    h.poll()
    mention = stored(h.account, message["data"]["id"])
    note = plain(message["data"]["note_tweet"]["text"])
    assert len(note) > 4000 and len(plain(message["data"]["text"])) < 280
    assert mention.text == note
    assert "40 minutos de espera & una persona" in mention.text


def test_hostile_text_is_stored_as_plain_text(h):
    h.fake.add_wire(load("tweet__hostile.json"))
    h.poll()
    mention = stored(h.account, "1790000000000000103")
    assert mention.text.startswith("<script>alert(document.cookie)</script> =HYPERLINK(")
    assert mention.author_display_name.startswith("<b onmouseover=alert(1)>")
    assert mention.lang == ""  # "und"


def test_fields_authors_metrics_and_links(h):
    for name in ("tweet__es.json", "tweet__emoji.json", "tweet__en.json"):
        h.fake.add_wire(load(name))
    h.poll()
    es = stored(h.account, "1790000000000000101")
    assert es.urls == ["https://acme.example/estado/averias?zona=valencia"]
    assert es.url == "https://x.com/lucia_vlc/status/1790000000000000101"
    assert (es.author_display_name, es.author_followers, es.author_verified) == (
        "Lucía Martínez",
        812,
        False,
    )
    assert es.author_avatar_url.startswith("https://pbs.twimg.com/")
    assert es.metrics == {
        "likes": 4, "replies": 1, "reposts": 2, "quotes": 0, "bookmarks": 0, "impressions": 310
    }  # fmt: skip
    assert es.kind == "mention"
    en = stored(h.account, "1790000000000000102")
    assert (en.kind, en.in_reply_to_external_id) == ("reply", "1790000000000000050")
    assert en.text.endswith('Order #A-99812 & ticket 5531 are both "closed"?!')
    emoji = stored(h.account, "1790000000000000105")
    assert emoji.urls == ["https://apps.acme.example/novedades?v=4.2"]
    # The request named every field Panal reads.
    search = h.fake.seen("GET", r"/2/tweets/search/recent$")[0]
    assert "note_tweet" in search.arg("tweet.fields") and search.arg("expansions") == "author_id"
    assert search.arg("max_results") == "100" and search.arg("query") == QUERY
    assert search.headers["authorization"] == f"Bearer {BEARER}"


def test_entity_offsets_count_code_points():
    from panal.channels.x import wire

    message = load("tweet__emoji.json")["data"]
    text = message["text"]
    entity = dict(message["entities"]["urls"][0])
    assert wire.code_point_slice(text, entity["start"], entity["end"]) == "https://t.co/ZwJ9kLmN0p"
    del entity["expanded_url"], entity["url"]
    assert wire.links(text, {"urls": [entity]}) == ["https://t.co/ZwJ9kLmN0p"]


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hola", 4),
        ("ñandú", 5),
        ("n\u0303", 1),  # NFC makes it one ñ
        ("😀", 2),
        ("👍🏽", 2),  # skin tone: one emoji
        ("👨‍👩‍👧‍👦", 2),  # a ZWJ family: one emoji
        ("🇪🇸🇲🇽", 4),  # two flags
        ("1️⃣", 2),  # keycap
        ("日本語", 6),
        ("안녕", 4),
        ("مرحبا", 5),
        ("שלום", 4),
        ("“quoted” — ok…", 15),  # the ellipsis U+2026 is outside the light ranges
        ("https://acme.example/a/very/long/path?with=query&and=more", 23),
        ("mira https://acme.example/x.", 5 + 23 + 1),
        ("acme.es y www.acme.example", 23 + 3 + 23),
        ("x" * 280, 280),
        ("語" * 140, 280),
    ],
)
def test_weighted_length(text, length):
    from panal.channels.x import wire

    assert wire.weighted_length(text) == length


def test_a_reply_over_280_weighted_is_refused(h, users):
    h.fake.add_wire(load("tweet__es.json"))
    h.poll()
    mention = stored(h.account, "1790000000000000101")
    fits = "あ" * 140
    assert replies.refusal(mention, fits) is None
    reason = replies.refusal(mention, fits + "!")
    assert "281" in reason and "280" in reason
    with_link = "¡Hola! " + "x" * 240 + " https://acme.example/" + "p" * 200
    assert x_connector().reply_length(with_link) == 7 + 240 + 1 + 23
    assert replies.refusal(mention, with_link) is None


# --- polling: pages and cursors ------------------------------------------------------------


def test_pages_follow_next_token_and_since_id_moves_to_the_newest(h):
    h.fake.page_size = 2
    base = load("tweet__es.json")
    del base["data"]["entities"]["mentions"]  # found by search, not in our mentions

    def publish(number: int):
        message = copy.deepcopy(base)
        message["data"].update(id=str(number), edit_history_tweet_ids=[str(number)])
        message["data"]["text"] = f"Aviso {number}"
        h.fake.add_wire(message)

    for n in range(1790000000000000001, 1790000000000000006):
        publish(n)
    h.poll()  # the first run reads one page only
    assert Mention.objects.filter(account=h.account).count() == 2
    key = f"search:{QUERY}"
    assert intake.load_cursor(h.account)[key] == {"since_id": "1790000000000000005"}
    for n in range(1790000000000000011, 1790000000000000016):
        publish(n)
    h.poll()  # pages back to since_id
    calls = h.fake.seen("GET", r"/2/tweets/search/recent$")[1:]
    assert [c.arg("since_id") for c in calls] == ["1790000000000000005"] * 3
    assert calls[0].arg("next_token") is None
    assert all(c.arg("next_token") for c in calls[1:])
    texts = set(Mention.objects.filter(account=h.account).values_list("text", flat=True))
    assert {f"Aviso {n}" for n in range(1790000000000000011, 1790000000000000016)} <= texts
    assert intake.load_cursor(h.account)[key] == {"since_id": "1790000000000000015"}
    # The mentions timeline was read once per poll, not again while search paged.
    assert len(h.fake.seen("GET", rf"/2/users/{OUR_ID}/mentions$")) == 2


def test_a_since_id_outside_the_search_window_starts_again(h):
    h.fake.add_wire(load("tweet__es.json"))
    h.poll()
    h.fake.oldest_since_id = 1790000000000000200
    h.fake.add_wire(load("tweet__rtl.json"))
    h.poll()
    assert stored(h.account, "1790000000000000104")
    h.account.refresh_from_db()
    assert h.account.health == "connected"


def test_mentions_are_polled_with_their_own_cursor(h):
    h.account.settings = dict(h.account.settings, search_queries=[])
    h.account.save()
    h.fake.add_wire(load("tweet__es.json"))
    h.fake.add_wire(load("tweet__hostile.json"))
    h.poll()
    assert stored(h.account, "1790000000000000101") and stored(h.account, "1790000000000000103")
    assert intake.load_cursor(h.account) == {
        f"mentions:{OUR_ID}": {"since_id": "1790000000000000103"}
    }
    h.fake.add_wire(load("tweet__rtl.json"))
    h.poll()
    last = h.fake.seen("GET", rf"/2/users/{OUR_ID}/mentions$")[-1]
    assert last.arg("since_id") == "1790000000000000103"
    assert stored(h.account, "1790000000000000104")


def test_a_rejected_bearer_token_disconnects_the_account(h):
    h.account.credentials = dict(h.account.credentials, bearer_token="revoked")
    h.account.save()
    with pytest.raises(AuthFailed) as raised:
        h.poll()
    assert "Unauthorized" in str(raised.value)
    h.account.refresh_from_db()
    assert h.account.health == "disconnected"


def test_our_reply_is_dropped_by_its_sent_id_even_without_self_ids(h, users):
    h.fake.add_wire(load("tweet__es.json"))
    h.poll()
    mention = stored(h.account, "1790000000000000101")
    message = replies.send_reply(users["agent"], mention, "Lo miramos ahora mismo.")
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.url == f"https://x.com/{OUR_USERNAME}/status/{message.external_id}"
    sent = h.fake.seen("POST", r"/2/tweets$")[0]
    assert sent.headers["authorization"] == f"Bearer {USER_TOKEN}"  # user context, not app-only
    assert sent.json() == {
        "text": "Lo miramos ahora mismo.",
        "reply": {"in_reply_to_tweet_id": "1790000000000000101"},
    }
    h.account.self_ids = []
    h.account.settings = dict(h.account.settings, user_id="")
    h.account.save()
    h.poll()
    assert not stored(h.account, message.external_id)


def test_replies_need_the_user_token(h, users):
    h.fake.add_wire(load("tweet__es.json"))
    h.poll()
    mention = stored(h.account, "1790000000000000101")
    h.account.credentials = {"bearer_token": BEARER}
    h.account.save()
    mention.refresh_from_db()
    assert "user_access_token" in replies.refusal(mention, "Hola")


def test_check_reads_who_we_are(h):
    connector = x_connector()
    http = connector.make_http(h.account)
    try:
        found = connector.check(h.account, http)
    finally:
        http.close()
    assert found.handle == OUR_USERNAME and found.self_ids == (OUR_ID,)
    me = h.fake.seen("GET", r"/2/users/me$")[0]
    assert me.headers["authorization"] == f"Bearer {USER_TOKEN}"


# --- filtered stream ------------------------------------------------------------------------


def streaming(h, rules=("acme", "@acme_soporte")):
    h.account.settings = dict(h.account.settings, stream=True, stream_rules=list(rules))
    h.account.save()
    return AccountRunner(h.account.pk, threading.Event())


def test_rules_are_synced_with_our_tag_and_others_left_alone(h):
    h.fake.rules = {
        "1": {"id": "1", "value": "old rule", "tag": "panal:acme-x"},
        "2": {"id": "2", "value": "competitor", "tag": "other-tool"},
        "3": {"id": "3", "value": "acme", "tag": "panal:acme-x"},
    }
    streaming(h, rules=("acme", "@acme_soporte", "acme"))
    connector, http = x_connector(), x_connector().make_http(h.account)
    try:
        ours = connector.sync_rules(h.account, http)
        assert sorted(ours.values()) == ["@acme_soporte", "acme"]
        values = {r["value"]: r.get("tag") for r in h.fake.rules.values()}
        assert values == {
            "competitor": "other-tool",
            "acme": "panal:acme-x",
            "@acme_soporte": "panal:acme-x",
        }
        posts = [r.json() for r in h.fake.seen("POST", r"/stream/rules$")]
        assert posts == [
            {"delete": {"ids": ["1"]}},
            {"add": [{"value": "@acme_soporte", "tag": "panal:acme-x"}]},
        ]
        connector.sync_rules(h.account, http)  # in sync: nothing to change
        assert len(h.fake.seen("POST", r"/stream/rules$")) == 2
        h.account.settings["stream_rules"] = ["(acme"]
        h.account.save()
        with pytest.raises(Rejected) as raised:
            connector.sync_rules(h.account, http)
        assert "(acme" in str(raised.value)
    finally:
        http.close()


def test_the_stream_reconnects_after_a_disconnect_and_a_drop(h):
    runner = streaming(h)
    guard = threading.Timer(20, h.fake.stream_end)  # a broken stream fails, never hangs
    guard.start()
    connector = x_connector()
    for name in ("tweet__es.json", "tweet__rtl.json"):
        h.fake.stream_tweet(h.fake.add_wire(load(name)))
    h.fake.stream_error("operational-disconnect")
    runner.follow(connector, h.account)  # returns when X asks us to reconnect
    assert stored(h.account, "1790000000000000101").raw["matching_rules"] == [
        "acme",
        "@acme_soporte",
    ]
    assert stored(h.account, "1790000000000000104")
    # Reconnect: the rules are already there, the stream goes on; then the line is cut.
    h.fake.stream_tweet(h.fake.add_wire(load("tweet__emoji.json")))
    edit = h.fake.edit("1790000000000000101", "@acme_soporte ya volvió la fibra, gracias")
    h.fake.stream_tweet(edit)
    h.fake.stream_drop()
    runner.follow(connector, h.account)
    assert stored(h.account, "1790000000000000105")
    mention = stored(h.account, "1790000000000000101")
    assert mention.text == "@acme_soporte ya volvió la fibra, gracias"
    assert mention.versions.count() == 1
    assert len(h.fake.seen("GET", r"/2/tweets/search/stream$")) == 2
    assert len(h.fake.seen("POST", r"/stream/rules$")) == 1  # rules added once
    stream_call = h.fake.seen("GET", r"/2/tweets/search/stream$")[0]
    assert "edit_history_tweet_ids" in stream_call.arg("tweet.fields")
    assert stream_call.headers["authorization"] == f"Bearer {BEARER}"
    guard.cancel()


def test_the_stream_stops_promptly_and_reports_other_errors(h):
    streaming(h)
    connector = x_connector()
    stop = threading.Event()
    http = connector.make_http(h.account)
    pages = []

    def run():
        pages.extend(connector.stream(h.account, http, {}, stop))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    h.fake.stream_tweet(h.fake.add_wire(load("tweet__es.json")))
    for _ in range(200):
        if h.fake.stream_queue.empty() and h.fake.seen("GET", r"/search/stream$"):
            break
        stop.wait(0.01)
    stop.set()
    thread.join(timeout=5)
    http.close()
    assert not thread.is_alive()
    pause = threading.Event()
    for _ in range(500):  # the fake notices the closed connection at its next keep-alive
        if not h.fake.live_streams:
            break
        pause.wait(0.01)
    assert not h.fake.live_streams
    # An in-band error that is not a disconnect is a failure to back off from.
    http = connector.make_http(h.account)
    h.fake.stream_queue.put(
        b'{"errors":[{"title":"ConnectionException","detail":"This stream is currently at the'
        b' maximum allowed connection limit."}]}\r\n'
    )
    with pytest.raises(Unavailable) as raised:
        list(connector.stream(h.account, http, {}, threading.Event()))
    http.close()
    assert "maximum allowed connection limit" in str(raised.value)


def test_a_stream_line_matching_only_another_accounts_rules_is_skipped():
    connector = x_connector()
    line = json.dumps(
        {
            "data": load("tweet__es.json")["data"],
            "includes": load("tweet__es.json")["includes"],
            "matching_rules": [{"id": "99", "tag": "other-tool"}],
        }
    )
    assert connector.stream_page(line, {"1": "acme"}, set()).items == []
    assert len(connector.stream_page(line.replace('"99"', '"1"'), {"1": "acme"}, set()).items) == 1
    assert connector.stream_page('{"data": {"id": "17', {"1": "acme"}, set()).errors


def test_stream_off_polls_at_the_interval(h):
    # `stream` unset means off for X, whatever the runner assumes: the stream polls.
    h.account.settings = {k: v for k, v in h.account.settings.items() if k != "stream"}
    h.account.save()
    h.fake.add_wire(load("tweet__es.json"))
    connector = x_connector()
    stop = threading.Event()
    http = connector.make_http(h.account)
    try:
        pages = connector.stream(h.account, http, {}, stop)
        first = next(pages)
        stop.set()
        assert [i.external_id for i in first.items] == ["1790000000000000101"]
        assert first.cursor[f"search:{QUERY}"] == {"since_id": "1790000000000000101"}
        assert list(pages) == []
    finally:
        http.close()
    assert not h.fake.seen("GET", r"/search/stream$")


def test_settings_are_documented():
    text = (Path(__file__).resolve().parents[2] / "docs/channels/x.md").read_text()
    missing = [s.name for s in x_connector().settings if f"`{s.name}`" not in text]
    assert missing == []


def test_the_documented_add_command_configures_the_account(org):
    from io import StringIO

    from django.core.management import call_command

    from panal.channels.models import ChannelAccount

    out = StringIO()
    call_command(
        "channels", "add", "x", "Acme on X", "--org", org.slug, "--slug", "acme-on-x",
        "--set", "bearer_token=AAAA", "--set", "user_access_token=tok",
        "--set", "consumer_secret=cs", "--set", f"user_id={OUR_ID}",
        "--set", "search_queries=acme -is:retweet,@acme_soporte", "--set", "stream=false",
        stdout=out,
    )  # fmt: skip
    account = ChannelAccount.objects.get(slug="acme-on-x")
    assert account.settings["search_queries"] == ["acme -is:retweet", "@acme_soporte"]
    assert account.settings["stream"] is False
    assert set(account.credentials) == {"bearer_token", "user_access_token", "consumer_secret"}
    assert "/hooks/x/acme-on-x/" in out.getvalue()
