"""Bluesky through the contract suite (collected from Jetstream), plus what only Bluesky has."""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path

import pytest

from panal.channels import intake, replies
from panal.channels.base import AuthFailed, Unavailable, connector_for
from panal.channels.bluesky import connector as bluesky
from panal.channels.bluesky import jetstream, wire
from panal.channels.models import ChannelAccount, OutboundMessage
from panal.channels.runner import poll_once
from panal.demo import builders
from panal.listening.models import Mention, MentionVersion
from tests.fakes.bluesky import (
    APP_PASSWORD,
    OUR_DID,
    OUR_HANDLE,
    FakeBluesky,
    FakeJetstream,
    commit,
    frame_of,
    iso,
    now_us,
    synthetic_frames,
    tid,
)

from .contract import Contract, Harness, Sample, stored

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/bluesky/fixtures"
CREATED = [
    "commit_create__es.json", "commit_create__en.json", "commit_create__hostile.json",
    "commit_create__rtl.json", "commit_create__emoji.json", "commit_create__long.json",
]  # fmt: skip
OUR_POST = f"at://{OUR_DID}/app.bsky.feed.post/3lbwz7nq2xk2c"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def uri_of(event: dict) -> str:
    return f"at://{event['did']}/app.bsky.feed.post/{event['commit']['rkey']}"


def run_stream(account: ChannelAccount, until_us: int, *, timeout: float = 15.0) -> list:
    """What `panal listen` does for a streaming account, until the cursor reaches `until_us`.

    Returns the pages; a dropped connection raises `Unavailable` after its last page
    was stored, exactly as the runner sees it.
    """
    account = ChannelAccount.objects.get(pk=account.pk)
    connector = connector_for("bluesky")
    seen = []
    if intake.load_cursor(account).get("time_us", 0) >= until_us:
        return seen
    http = connector.make_http(account)
    stop = threading.Event()
    timer = threading.Timer(timeout, stop.set)
    timer.start()
    pages = connector.stream(account, http, intake.load_cursor(account), stop)
    try:
        for page in pages:
            intake.accept(account, page, cursor=page.cursor or None)
            seen.append(page)
            if page.cursor.get("time_us", 0) >= until_us:
                break
        else:
            raise AssertionError("the stream ended before the cursor caught up")
        assert not stop.is_set(), "the stream did not catch up in time"
    finally:
        timer.cancel()
        pages.close()
        http.close()
    return seen


class BlueskyHarness(Harness):
    kind = "bluesky"

    def start(self):
        bluesky.forget_sessions()
        self.jet = FakeJetstream().start()
        self.fake = FakeBluesky(jetstream=self.jet).start()
        self.fake.add_profiles(load("get_profiles.json")["profiles"])
        self.account = builders.channel_account(
            self.org, kind="bluesky", slug="acme-bsky", name="Acme Bluesky", handle=OUR_HANDLE
        )
        self.account.settings = {
            "base_url": self.fake.base_url,
            "jetstream_url": self.jet.base_url,
            "identifier": OUR_HANDLE,
            "track": ["acme"],
            "search_queries": ["acme"],
            "stream": True,
        }
        self.account.credentials = {"app_password": APP_PASSWORD}
        self.account.self_ids = [OUR_DID]
        self.account.save()
        # The account has been listening since now: its first connection starts here.
        intake.save_cursor(self.account, {"time_us": self.jet.tick()})
        self.last: dict | None = None

    def stop(self):
        self.fake.stop()
        self.jet.stop()

    def samples(self):
        out = []
        for name in CREATED:
            event = load(name)
            record = event["commit"]["record"]
            reply = record.get("reply") or {}
            out.append(
                Sample(
                    external_id=uri_of(event),
                    text=record["text"],
                    author_external_id=event["did"],
                    thread_external_id=(reply.get("root") or {}).get("uri") or uri_of(event),
                    in_reply_to_external_id=(reply.get("parent") or {}).get("uri", ""),
                    lang=record["langs"][0].split("-")[0],
                    data=event,
                )
            )
        return out

    def publish(self, sample, event="created", *, new_text=""):
        data = copy.deepcopy(sample.data)
        did, rkey = data["did"], data["commit"]["rkey"]
        if event == "created":
            self.last = data
        elif event == "edited":
            self.last = commit(did, rkey, dict(data["commit"]["record"], text=new_text), "update")
        else:
            self.last = commit(did, rkey, None, "delete")
        self.fake.publish(self.last)

    def collect(self):
        run_stream(self.account, self.jet.last_time_us)

    def redeliver(self):
        self.fake.publish(self.last)  # the same commit again, as after a switch of instance

    def replies_received(self):
        return [
            {
                "text": made["body"]["record"]["text"],
                "in_reply_to": made["body"]["record"]["reply"]["parent"]["uri"],
                "record": made["body"]["record"],
                "anchors": made["anchors"],
            }
            for made in self.fake.created
        ]

    def echo_replies(self):
        self.fake.echo_created()

    def rate_limit_next(self, seconds):
        self.fake.rate_limit_next(seconds)

    def cursor_sent(self):
        cursors = self.jet.cursors()
        return str(cursors[-1]) if cursors and cursors[-1] is not None else None


class TestBluesky(Contract):
    harness = BlueskyHarness


@pytest.fixture
def h(org, users):
    harness = BlueskyHarness(org)
    harness.start()
    harness.users = users
    try:
        yield harness
    finally:
        harness.stop()


def sample(h, name: str) -> Sample:
    return next(s for s in h.samples() if s.data == load(name))


# --- facets and graphemes ------------------------------------------------------------------


def test_facet_offsets_are_utf8_bytes():
    emoji = load("commit_create__emoji.json")["commit"]["record"]
    spans = wire.spans(emoji["text"], emoji["facets"])
    # A family emoji (25 bytes), a flag (8) and more come first: only bytes land on "#ACME".
    assert spans == [
        ("tag", "#ACME", "ACME"),
        ("link", "https://acme.example/oferta", "https://acme.example/oferta"),
    ]
    es = load("commit_create__es.json")["commit"]["record"]
    assert wire.spans(es["text"], es["facets"]) == [
        ("mention", "@acme-soporte.bsky.social", OUR_DID),
        ("link", "acme.example/incidencia…", "https://acme.example/incidencia/4521"),
    ]
    rtl = load("commit_create__rtl.json")["commit"]["record"]
    assert wire.spans(rtl["text"], rtl["facets"])[0][1] == "@acme-soporte.bsky.social"
    # Offsets out of range or of the wrong type are skipped, not trusted.
    hostile = load("commit_create__hostile.json")["commit"]["record"]
    assert wire.spans(hostile["text"], hostile["facets"]) == [
        ("link", "click", "javascript:alert(document.cookie)")
    ]


def test_link_facets_of_our_text_count_bytes():
    text = "😀👨‍👩‍👧 Detalles (ñ): https://acme.example/ayuda?id=4521. Y http://x.example/a_(b)"
    facets = wire.link_facets(text)
    encoded = text.encode("utf-8")
    anchors = [
        encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode("utf-8") for f in facets
    ]
    assert anchors == ["https://acme.example/ayuda?id=4521", "http://x.example/a_(b)"]
    assert [f["features"][0]["uri"] for f in facets] == anchors
    assert facets[0]["index"]["byteStart"] == len("😀👨‍👩‍👧 Detalles (ñ): ".encode())


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("hola", 4),
        ("a\r\nb", 3),
        ("👨‍👩‍👧‍👦", 1),  # ZWJ family
        ("🏳️‍🌈", 1),  # flag + VS16 + ZWJ + rainbow
        ("🇪🇸🇫🇷", 2),  # two regional-indicator pairs
        ("🇪🇸🇫", 2),  # an unpaired indicator stands alone
        ("👍🏽", 1),  # skin tone
        ("1️⃣", 1),  # keycap
        ("e\u0301", 1),  # e + combining acute
        ("Ñandú", 5),
        ("\u1100\u1161\u11a8", 1),  # Hangul jamo L V T
        ("한국어", 3),
        ("مرحبا", 5),
        ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 1),  # England
    ],
)
def test_graphemes(text, count):
    assert wire.graphemes(text) == count


def test_the_300_grapheme_limit(h):
    long = sample(h, "commit_create__long.json")
    assert wire.graphemes(long.text) == 300
    h.publish(long)
    h.collect()
    mention = stored(h.account, long.external_id)
    assert replies.refusal(mention, "👨‍👩‍👧‍👦" * 300) is None
    assert "300" in replies.refusal(mention, "👨‍👩‍👧‍👦" * 301)


# --- the stream ---------------------------------------------------------------------------


def test_stored_fields_come_from_the_commit(h):
    for s in h.samples():
        h.publish(s)
    h.collect()
    es = stored(h.account, sample(h, "commit_create__es.json").external_id)
    assert es.kind == "mention" and es.urls == ["https://acme.example/incidencia/4521"]
    assert es.url == f"https://bsky.app/profile/{es.author_external_id}/post/3lbx2ptcvqk2a"
    assert es.author_handle == ""  # Jetstream gives only the DID
    assert es.raw["cid"] == load("commit_create__es.json")["commit"]["cid"]
    assert es.created_at.isoformat().startswith("2026-11-20T09:15:02.118")
    en = stored(h.account, sample(h, "commit_create__en.json").external_id)
    assert (en.kind, en.thread_external_id, en.in_reply_to_external_id) == (
        "reply",
        OUR_POST,
        OUR_POST,
    )
    assert en.raw["reply"]["root"]["uri"] == OUR_POST
    hostile = stored(h.account, sample(h, "commit_create__hostile.json").external_id)
    assert hostile.urls == []  # javascript: and out-of-range facets are dropped
    assert hostile.created_at.year >= 2026  # "not a date": the network's time instead
    emoji = stored(h.account, sample(h, "commit_create__emoji.json").external_id)
    assert emoji.urls == ["https://acme.example/oferta"]
    assert emoji.media[0]["alt"] == "Foto de la tienda Acme 🏪"
    # A blob reference in the author's repository, not a made-up link to a media host.
    assert emoji.media[0]["external_id"].startswith("baf")
    assert emoji.media[0]["did"].startswith("did:plc:") and "url" not in emoji.media[0]


def test_the_filter_keeps_only_relevant_posts(h):
    for name in ("identity__handle.json", "account__deactivated.json"):
        h.jet.emit(load(name))
    unrelated = load("commit_create__unrelated.json")
    h.fake.publish(unrelated)
    stranger = "did:plc:other2person3q5w7e2r4t6y"
    texts = ["ACMÉ  rocks", "Acme's shop", "academy", "see https://acme.example"]
    others = [
        commit(stranger, f"3lbz2aaaaaa2{n}", {"text": text, "createdAt": "2026-11-20T10:00:00Z"})
        for n, text in enumerate(texts)
    ]
    for event in others:
        h.fake.publish(event)
    h.jet.emit_raw(b'{"did": "did:plc:x", "commit": {"record": {"text": "Acme')  # cut short
    h.jet.emit(load("identity__handle.json"))
    pages = run_stream(h.account, h.jet.last_time_us)
    ids = set(Mention.objects.filter(account=h.account).values_list("external_id", flat=True))
    assert ids == {uri_of(others[0]), uri_of(others[1]), uri_of(others[3])}
    assert any("not JSON" in e for p in pages for e in p.errors)


@pytest.mark.parametrize(
    ("terms", "text", "kept"),
    [
        (["café"], "Me encanta el CAFE de aquí", True),
        (["cafe"], "Un café, por favor", True),
        (["cafe"], "cafetería", False),
        (["atención al cliente"], "La Atencion\nal   cliente es mala", True),
        (["東京"], "東京に行きます", True),
        (["straße"], "STRASSE gesperrt", True),
        (["#acme"], "vamos #Acme!", True),
        (["c++"], "I write C++ daily", True),
        ([], "acme", False),
    ],
)
def test_relevance_terms(terms, text, kept):
    relevance = jetstream.Relevance(None, terms)
    assert bool(relevance.relevant({"text": text})) is kept
    frame = frame_of(commit("did:plc:a2b3c4d5e6f7g2h3i4j5k6l7", "3lbz", {"text": text}))
    escaped = json.dumps(json.loads(frame)).encode()  # \u escapes: the slow path
    if kept:  # the byte pre-check never loses a relevant post
        assert relevance.maybe(frame) and relevance.maybe(escaped)


def test_the_byte_precheck_skips_irrelevant_ascii_frames():
    relevance = jetstream.Relevance(OUR_DID, ["acme", "ñandú"])
    plain = frame_of(commit("did:plc:a2b3c4d5e6f7g2h3i4j5k6l7", "3lbz", {"text": "nothing here"}))
    assert not relevance.maybe(plain)
    about_us = frame_of(
        commit(
            "did:plc:a2b3c4d5e6f7g2h3i4j5k6l7",
            "3lbz",
            {"text": "hi", "reply": {"parent": {"uri": OUR_POST, "cid": "bafyreiabc"}}},
        )
    )
    assert relevance.maybe(about_us)
    assert relevance.maybe(frame_of(commit("did:plc:a", "3lbz", {"text": "NANDU"})))


def test_updates_and_deletes(h):
    es = sample(h, "commit_create__es.json")
    h.publish(es)
    h.collect()
    # An edit that drops the term is still applied: Panal has the post.
    h.fake.publish(load("commit_update__es.json"))
    # Edits and deletes of posts Panal never kept leave nothing behind.
    stranger = "did:plc:other2person3q5w7e2r4t6y"
    h.fake.publish(commit(stranger, "3lbz2bbbbbb2a", {"text": "not about anyone"}, "update"))
    h.fake.publish(commit(stranger, "3lbz2bbbbbb2b", None, "delete"))
    # An edit that adds the term brings the post in.
    h.fake.publish(commit(stranger, "3lbz2bbbbbb2c", {"text": "now about Acme"}, "update"))
    h.collect()
    mention = stored(h.account, es.external_id)
    assert mention.text == "Mi Acme Móvil ya tiene señal otra vez, gracias 🙌 (editado)"
    assert mention.edited_at is not None
    assert [v.text for v in mention.versions.all()] == [es.text]
    ids = set(Mention.objects.filter(account=h.account).values_list("external_id", flat=True))
    assert ids == {es.external_id, f"at://{stranger}/app.bsky.feed.post/3lbz2bbbbbb2c"}
    h.fake.publish(load("commit_delete__es.json"))
    h.collect()
    assert stored(h.account, es.external_id).deleted_at is not None


def test_a_create_and_delete_in_one_page_leave_a_tombstone(h):
    es = sample(h, "commit_create__es.json")
    h.publish(es)
    h.publish(es, "deleted")
    h.collect()
    mention = stored(h.account, es.external_id)
    assert mention is not None and mention.deleted_at is not None


def test_reconnect_resumes_from_the_stored_cursor_with_overlap(h):
    samples = h.samples()[:4]
    h.jet.drop_after(2)
    for s in samples[:3]:
        h.publish(s)
    start = intake.load_cursor(h.account)["time_us"]
    with pytest.raises(Unavailable):
        run_stream(h.account, h.jet.last_time_us)
    cursor = intake.load_cursor(h.account)["time_us"]
    assert start < cursor < h.jet.last_time_us
    assert Mention.objects.filter(account=h.account).count() == 2
    h.publish(samples[3])
    pages = run_stream(h.account, h.jet.last_time_us)
    # The second connection rewound a few seconds: the first two came again...
    assert h.jet.cursors() == [start - jetstream.REWIND_US, cursor - jetstream.REWIND_US]
    # ...and were recognised as stored, so nothing is duplicated or re-versioned.
    assert sorted(i.external_id for p in pages for i in p.items) == sorted(
        s.external_id for s in samples[2:]
    )
    ids = list(Mention.objects.filter(account=h.account).values_list("external_id", flat=True))
    assert sorted(ids) == sorted(s.external_id for s in samples)
    assert not MentionVersion.objects.filter(mention__account=h.account).exists()


def test_an_old_version_replayed_in_the_overlap_does_not_win(h):
    es = sample(h, "commit_create__es.json")
    h.publish(es)
    h.publish(es, "edited", new_text="Acme: segunda versión")
    h.collect()
    assert stored(h.account, es.external_id).text == "Acme: segunda versión"
    h.publish(sample(h, "commit_create__en.json"))
    h.collect()  # rewinds over both versions of the first post
    mention = stored(h.account, es.external_id)
    assert mention.text == "Acme: segunda versión"
    assert mention.versions.count() == 1


def test_stop_ends_the_stream_promptly(h):
    account = ChannelAccount.objects.get(pk=h.account.pk)
    connector = connector_for("bluesky")
    stop = threading.Event()
    done = threading.Event()

    def follow():
        http = connector.make_http(account)
        for _page in connector.stream(account, http, {"time_us": h.jet.tick()}, stop):
            pass
        done.set()

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    stop.set()
    thread.join(timeout=10)
    assert done.is_set()


def test_a_large_stream_comes_in_pages(h):
    frames = synthetic_frames(3000, relevant_every=3, start_us=h.jet.tick() + 1)
    h.jet.load(frames)
    pages = run_stream(h.account, frames[-1][0], timeout=60)
    assert Mention.objects.filter(account=h.account).count() == 1000
    assert max(len(p.items) for p in pages) <= jetstream.PAGE_ITEMS
    assert intake.load_cursor(h.account)["time_us"] == frames[-1][0]


def test_our_own_posts_that_match_are_not_mentions(h, users):
    es = sample(h, "commit_create__es.json")
    h.publish(es)
    h.collect()
    mention = stored(h.account, es.external_id)
    message = replies.send_reply(
        users["agent"], mention, "Acme lo revisa: https://acme.example/ayuda"
    )
    replies.deliver(message.pk)
    message.refresh_from_db()
    h.echo_replies()
    pages = run_stream(h.account, h.jet.last_time_us)
    # The stream keeps it (it says "Acme"), and the echo guard drops it.
    assert message.external_id in [i.external_id for p in pages for i in p.items]
    assert not Mention.objects.filter(account=h.account, external_id=message.external_id).exists()


# --- replies -----------------------------------------------------------------------------


def test_a_reply_to_a_reply_keeps_the_thread_root(h, users):
    en = sample(h, "commit_create__en.json")
    h.publish(en)
    h.collect()
    mention = stored(h.account, en.external_id)
    message = replies.send_reply(
        users["agent"], mention, "Lo sentimos 🙏 Sigue tu pedido aquí: https://acme.example/p/4521."
    )
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT, message.error
    sent = h.replies_received()[0]
    record = sent["record"]
    assert record["reply"]["root"] == {
        "uri": OUR_POST,
        "cid": en.data["commit"]["record"]["reply"]["root"]["cid"],
    }
    assert record["reply"]["parent"] == {"uri": en.external_id, "cid": en.data["commit"]["cid"]}
    assert record["langs"] == ["en"] and record["$type"] == "app.bsky.feed.post"
    assert sent["anchors"] == ["https://acme.example/p/4521"]
    made = h.fake.created[0]
    assert message.external_id == made["uri"]
    assert message.url == f"https://bsky.app/profile/{OUR_HANDLE}/post/{made['rkey']}"


def test_a_reply_to_a_top_level_post_uses_it_as_root(h, users):
    es = sample(h, "commit_create__es.json")
    h.publish(es)
    h.collect()
    message = replies.send_reply(users["agent"], stored(h.account, es.external_id), "Hola")
    replies.deliver(message.pk)
    reply = h.replies_received()[0]["record"]["reply"]
    assert (
        reply["root"] == reply["parent"] == {"uri": es.external_id, "cid": es.data["commit"]["cid"]}
    )


def test_a_reply_without_a_stored_cid_asks_for_the_post(h, users):
    es = sample(h, "commit_create__es.json")
    h.publish(es)
    h.collect()
    mention = stored(h.account, es.external_id)
    mention.raw = {}
    mention.save(update_fields=["raw"])
    message = replies.send_reply(users["agent"], mention, "Hola")
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT, message.error
    assert h.fake.seen("GET", r"getPosts")
    assert h.replies_received()[0]["record"]["reply"]["parent"]["cid"] == es.data["commit"]["cid"]


# --- sessions ---------------------------------------------------------------------------


def poll_account(h, **settings):
    account = ChannelAccount.objects.get(pk=h.account.pk)
    account.settings = {**account.settings, **settings}
    account.save()
    return poll_once(account)


def test_an_expired_token_is_refreshed_once(h):
    poll_account(h, stream=False)
    assert len(h.fake.seen("POST", r"createSession")) == 1
    h.fake.expire_tokens()
    poll_account(h)
    assert len(h.fake.seen("POST", r"refreshSession")) == 1
    assert len(h.fake.seen("POST", r"createSession")) == 1
    # A dead refresh token too: the app password signs in again.
    h.fake.expire_tokens(refresh_too=True)
    poll_account(h)
    assert len(h.fake.seen("POST", r"createSession")) == 2
    # A token refused even after renewal: the credentials are the problem.
    h.fake.fail_next(
        400,
        path=r"searchPosts",
        headers={"Content-Type": "application/json"},
        body={"error": "ExpiredToken", "message": "Token has expired"},
        times=2,
    )
    with pytest.raises(AuthFailed):
        poll_account(h)
    h.account.refresh_from_db()
    assert h.account.health == "disconnected"


def test_sessions_are_cached_per_account(h):
    connector = connector_for("bluesky")
    http = connector.make_http(h.account)
    try:
        sessions = []
        threads = [
            threading.Thread(target=lambda: sessions.append(connector.session(h.account, http)))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len({s.access for s in sessions}) == 1
        assert len(h.fake.seen("POST", r"createSession")) == 1
    finally:
        http.close()


def test_check_signs_in(h):
    connector = connector_for("bluesky")
    http = connector.make_http(h.account)
    try:
        found = connector.check(h.account, http)
        assert (found.handle, found.self_ids) == (OUR_HANDLE, (OUR_DID,))
        h.account.credentials = {"app_password": "wrong-pass-word-xxxx"}
        with pytest.raises(AuthFailed, match="Invalid identifier or password"):
            connector.check(h.account, http)
    finally:
        http.close()


# --- polling ------------------------------------------------------------------------------


def test_polling_search_and_notifications(h):
    for s in h.samples():
        h.publish(s)
    h.fake.publish(load("commit_create__unrelated.json"))
    poll_account(h, stream=False)
    ids = set(Mention.objects.filter(account=h.account).values_list("external_id", flat=True))
    # Search finds the posts that say "acme"; notifications the mention in Arabic and the
    # reply to our post, which do not.
    assert ids == {s.external_id for s in h.samples()}
    rtl = stored(h.account, sample(h, "commit_create__rtl.json").external_id)
    assert (rtl.kind, rtl.author_handle, rtl.author_display_name) == (
        "mention",
        "amira.bsky.social",
        "أميرة حداد",
    )
    assert rtl.url.startswith("https://bsky.app/profile/amira.bsky.social/post/")
    long = stored(h.account, sample(h, "commit_create__long.json").external_id)
    assert long.author_handle == "" and long.url.startswith("https://bsky.app/profile/did:plc:")
    cursor = intake.load_cursor(h.account)
    assert cursor["search"]["acme"]["since"] and cursor["notifications"]["since"]
    assert "time_us" in cursor  # the stream's cursor is kept beside the poll's

    # 150 new posts: the next poll pages back to `since`, and stores each once.
    start = h.jet.tick()
    for n in range(150):
        record = {"text": f"Acme número {n}", "createdAt": iso(now_us())}
        h.fake.publish(commit(f"did:plc:fan{tid(n)}aaaaaaaa", tid(start + n), record))
    poll_account(h)
    searches = h.fake.seen("GET", r"searchPosts")[1:]
    assert all(r.arg("since") for r in searches)
    assert [r.arg("cursor") for r in searches] == [None, "100"]
    assert Mention.objects.filter(account=h.account).count() == len(h.samples()) + 150
    # Nothing new: one request per source, nothing stored twice.
    poll_account(h)
    assert Mention.objects.filter(account=h.account).count() == len(h.samples()) + 150


def test_xrpc_errors_are_read_from_the_body(h):
    h.fake.fail_next(
        400,
        path=r"searchPosts",
        headers={"Content-Type": "application/json"},
        body={"error": "InvalidRequest", "message": "Error: q is too long"},
    )
    from panal.channels.base import Rejected

    with pytest.raises(Rejected, match="InvalidRequest: Error: q is too long"):
        poll_account(h, stream=False)
    h.fake.fail_next(502, path=r"searchPosts", body=b"Bad Gateway")
    with pytest.raises(Unavailable):
        poll_account(h)


def test_the_subscribe_url():
    assert jetstream.subscribe_url("wss://jet.example/", None) == (
        "wss://jet.example/subscribe?wantedCollections=app.bsky.feed.post"
    )
    assert jetstream.subscribe_url("wss://jet.example/subscribe", 17) == (
        "wss://jet.example/subscribe?wantedCollections=app.bsky.feed.post&cursor=17"
    )


def test_an_unreachable_jetstream_is_unavailable(h):
    account = ChannelAccount.objects.get(pk=h.account.pk)
    account.settings["jetstream_url"] = "ws://127.0.0.1:9"
    connector = connector_for("bluesky")
    http = connector.make_http(account)
    try:
        with pytest.raises(Unavailable, match="could not connect"):
            next(connector.stream(account, http, {}, threading.Event()))
    finally:
        http.close()
