"""RSS / Atom feeds through the contract suite, plus what only feeds have."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest

from panal.channels import intake
from panal.channels.base import RateLimited, Rejected, Unavailable, connector_for
from panal.channels.runner import poll_once
from panal.core import clock
from panal.demo import builders
from panal.listening.models import Mention
from tests.fakes.feeds import FakeFeeds, split

from .contract import Contract, Harness, Sample, stored

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/rss/fixtures"
SAMPLES = [
    "rss__es.xml", "atom__en.xml", "rss__hostile.xml", "atom__rtl.xml", "atom__emoji.xml",
    "rss__long.xml",
]  # fmt: skip


def load(name: str) -> str:
    return (FIXTURES / name).read_text("utf-8")


def long_text() -> str:
    return re.search(r"<!\[CDATA\[<p>(.*?)</p>\]\]>", load("rss__long.xml"), re.S).group(1)


# What Panal must store for each fixture: (external id, plain text, language). A bare
# RSS guid is only unique in its feed, so it is prefixed with the feed's URL ("{feed}").
EXPECTED = {
    "rss__es.xml": (
        "{feed}#foro-1001",
        "Llevo dos días sin señal en Vallecas. ¿A alguien más le pasa?\n\n"
        "He reiniciado el móvil y nada.",
        "es",
    ),
    "atom__en.xml": (
        "tag:reviews.example,2026:review-88231",
        "Coverage in Leeds is great, but support took three days to answer my ticket.",
        "en",
    ),
    "rss__hostile.xml": (
        "{feed}#hostil-1",
        '=HYPERLINK("http://evil.example","Reclamar reembolso")\n\n'
        "Pulsa aquí @SUM(1+1)*cmd|' /C calc'!A0 +34 600 000 000",
        "es",
    ),
    "atom__rtl.xml": (
        "https://forum.example/ar/posts/5521",
        "خدمة Acme متوقفة منذ الصباح 😡 هل من حل؟ (שלום, גם בתל אביב אין קליטה)",
        "ar",
    ),
    "atom__emoji.xml": (
        "tag:blog.example,2026:post-77",
        "We moved the whole family 👨‍👩‍👧‍👦 to Acme Hogar. Roaming in 🇲🇽 worked, "
        "🏳️‍🌈 stickers everywhere, thumbs 👍🏽👍🏿.",
        "en",
    ),
    "rss__long.xml": ("https://marta.example/2026/11/router", None, "es"),
}


def edited(item: str, text: str) -> str:
    """The same item with new text (and, for Atom, a newer `updated`), as a site edits it."""
    body = html.escape(text, quote=False)
    if item.lstrip().startswith("<entry"):
        item = re.sub(r"<(content|summary)\b.*?</\1>", "", item, flags=re.S)
        item = re.sub(
            r"<updated>.*?</updated>",
            f'<updated>2026-11-11T08:00:00Z</updated><content type="text">{body}</content>',
            item,
            flags=re.S,
        )
        return item
    item = re.sub(r"<content:encoded>.*?</content:encoded>", "", item, flags=re.S)
    return re.sub(
        r"<description>.*?</description>", f"<description>{body}</description>", item, flags=re.S
    )


class FeedsHarness(Harness):
    kind = "rss"
    can_delete = False
    why_not = "a feed is a window on recent items: an item that leaves it was not deleted"

    def start(self):
        self.fake = FakeFeeds().start()
        for name in SAMPLES:
            self.fake.add(name, load(name))
        self.account = builders.channel_account(
            self.org, kind="rss", slug="acme-feeds", name="Acme feeds"
        )
        self.account.settings = {"feeds": [self.fake.url(name) for name in SAMPLES]}
        self.account.save()
        self.current: dict[str, str] = {}

    def stop(self):
        self.fake.stop()

    def samples(self):
        out = []
        for name in SAMPLES:
            ident, text, lang = EXPECTED[name]
            out.append(
                Sample(
                    external_id=ident.format(feed=self.fake.url(name)),
                    text=text if text is not None else long_text(),
                    lang=lang,
                    data={"feed": name, "item": split(load(name))[1][0]},
                )
            )
        return out

    def publish(self, sample, event="created", *, new_text=""):
        name, original = sample.data["feed"], sample.data["item"]
        current = self.current.get(sample.external_id)
        if event == "created":
            self.fake.publish(name, original)
            self.current[sample.external_id] = original
        elif event == "edited":
            new = edited(current or original, new_text)
            self.fake.replace(name, current or original, new)
            self.current[sample.external_id] = new
        else:
            self.fake.remove(name, current or original)

    def collect(self):
        self.account.refresh_from_db()
        poll_once(self.account)

    def redeliver(self):
        self.fake.ignore_validators = len(SAMPLES)

    def replies_received(self):
        return []

    def echo_replies(self):
        pass

    def rate_limit_next(self, seconds):
        self.fake.rate_limit_next(seconds, times=len(SAMPLES))

    def cursor_sent(self):
        asked = [r for r in self.fake.seen("GET", r"^/feeds/") if r.headers.get("if-none-match")]
        return asked[-1].headers["if-none-match"] if asked else None


class TestFeeds(Contract):
    harness = FeedsHarness


# --- what only feeds have -------------------------------------------------------------


@pytest.fixture
def fake():
    with FakeFeeds() as server:
        yield server


def feeds_account(org, *urls, slug="feeds"):
    account = builders.channel_account(org, kind="rss", slug=slug, name=slug)
    account.settings = {"feeds": list(urls)}
    account.save()
    return account


def test_not_modified_answers_store_nothing_and_validators_are_sent(org, fake):
    fake.add("es", load("rss__es.xml"), with_items=True)
    account = feeds_account(org, fake.url("es"))
    assert poll_once(account) == 1
    first = fake.seen("GET", "/feeds/es")[-1]
    assert "if-none-match" not in first.headers and "if-modified-since" not in first.headers
    assert poll_once(account) == 0
    again = fake.seen("GET", "/feeds/es")[-1]
    state = intake.load_cursor(account)["feeds"][fake.url("es")]
    assert again.headers["if-none-match"] == state["etag"]
    assert again.headers["if-modified-since"] == state["modified"]
    assert Mention.objects.filter(account=account).count() == 1


def test_a_server_with_only_last_modified_answers_304_to_if_modified_since(org, fake):
    fake.add("en", load("atom__en.xml"), with_items=True, etag=False)
    account = feeds_account(org, fake.url("en"))
    poll_once(account)
    poll_once(account)
    last = fake.seen("GET", "/feeds/en")[-1]
    assert "if-none-match" not in last.headers
    assert last.headers["if-modified-since"] == "Tue, 10 Nov 2026 08:00:00 GMT"
    assert Mention.objects.filter(account=account).count() == 1


def test_an_xml_bomb_is_refused_not_expanded(org, fake):
    fake.set_raw("bomb", (FIXTURES / "atom__bomb.xml").read_bytes())
    account = feeds_account(org, fake.url("bomb"))
    with pytest.raises(Rejected, match="entities"):
        poll_once(account)
    account.refresh_from_db()
    assert account.health == "degraded" and "billion laughs" in account.health_reason
    assert not Mention.objects.filter(account=account).exists()


def test_an_external_entity_is_never_fetched(org, fake):
    body = load("rss__xxe.xml").replace("__SECRET_URL__", f"{fake.base_url}/secret")
    fake.set_raw("xxe", body.encode("utf-8"))
    account = feeds_account(org, fake.url("xxe"))
    with pytest.raises(Rejected, match="entit"):
        poll_once(account)
    assert fake.seen(path="/secret") == []
    assert not Mention.objects.filter(account=account).exists()


def test_a_doctype_alone_is_refused_too(org, fake):
    body = load("rss__es.xml").replace(
        "<rss ",
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss ',
        1,
    )
    fake.set_raw("dtd", body.encode("utf-8"))
    with pytest.raises(Rejected, match="DOCTYPE"):
        poll_once(feeds_account(org, fake.url("dtd")))


def test_bytes_that_are_not_xml_are_refused_never_opened_as_a_file(org, fake):
    fake.set_raw("path", b"/etc/hostname", content_type="text/plain")
    fake.set_raw("page", b"<html><body><p>Not a feed<br></body></html>", "text/html")
    with pytest.raises(Rejected, match="well-formed"):
        poll_once(feeds_account(org, fake.url("path")))
    with pytest.raises(Rejected, match="well-formed"):
        poll_once(feeds_account(org, fake.url("page"), slug="page"))


def test_a_refused_feed_does_not_hold_back_the_others(org, fake):
    fake.add("es", load("rss__es.xml"), with_items=True)
    fake.set_raw("bomb", (FIXTURES / "atom__bomb.xml").read_bytes())
    account = feeds_account(org, fake.url("es"), fake.url("bomb"))
    with pytest.raises(Rejected) as raised:
        poll_once(account)
    assert fake.url("bomb") in str(raised.value)
    assert Mention.objects.filter(account=account).count() == 1
    assert fake.url("es") in intake.load_cursor(account)["feeds"]
    account.refresh_from_db()
    assert fake.url("bomb") in account.health_reason
    # The good feed was asked once: the problem was reported without fetching it again.
    assert len(fake.seen("GET", "/feeds/es")) == 1


def test_a_body_over_the_cap_is_refused(org, fake, monkeypatch):
    from panal.channels.rss import wire
    from tests.fakes.server import Response

    monkeypatch.setattr(wire, "MAX_BYTES", 64 * 1024)
    chunk = b"<!-- " + b"x" * 8000 + b" -->"
    fake.route("GET", r"/huge")(
        lambda request: Response.stream(
            [b'<?xml version="1.0"?><rss><channel>'] + [chunk] * 20, "application/rss+xml"
        )
    )
    fake.route("GET", r"/declared")(
        lambda request: Response(200, chunk * 20, {"Content-Type": "application/rss+xml"})
    )
    with pytest.raises(Rejected, match="larger than"):
        poll_once(feeds_account(org, f"{fake.base_url}/huge"))
    with pytest.raises(Rejected, match="larger than"):
        poll_once(feeds_account(org, f"{fake.base_url}/declared", slug="declared"))


def test_retry_after_on_503_pauses_and_a_plain_503_is_temporary(org, fake):
    fake.add("es", load("rss__es.xml"), with_items=True)
    account = feeds_account(org, fake.url("es"))
    fake.rate_limit_next(300, status=503)
    with pytest.raises(RateLimited) as raised:
        poll_once(account)
    wait = raised.value.retry_at - clock.now()
    assert timedelta(seconds=290) < wait <= timedelta(seconds=300)
    fake.fail_next(503, path="/feeds/")
    with pytest.raises(Unavailable):
        poll_once(account)


def test_one_rate_limited_feed_waits_while_the_others_are_read(org, fake):
    fake.add("es", load("rss__es.xml"), with_items=True)
    fake.add("en", load("atom__en.xml"), with_items=True)
    account = feeds_account(org, fake.url("es"), fake.url("en"))
    fake.rate_limit_next(600, times=1)  # only the first feed asked
    assert poll_once(account) == 1
    state = intake.load_cursor(account)["feeds"]
    assert "retry_at" in state[fake.url("es")] and "retry_at" not in state[fake.url("en")]
    poll_once(account)
    assert len(fake.seen("GET", "/feeds/es")) == 1, "the limited feed is not asked before its time"


def test_an_atom_edit_needs_a_new_updated_and_rss_edits_follow_the_content(org, fake):
    fake.add("en", load("atom__en.xml"))
    fake.add("es", load("rss__es.xml"))
    account = feeds_account(org, fake.url("en"), fake.url("es"))
    atom, rss = split(load("atom__en.xml"))[1][0], split(load("rss__es.xml"))[1][0]
    fake.publish("en", atom)
    fake.publish("es", rss)
    poll_once(account)
    # Markup noise with the same <updated>: not an edit.
    noisy = atom.replace("my ticket.", "my ticket!")
    fake.replace("en", atom, noisy)
    assert poll_once(account) == 0
    fake.replace("en", noisy, edited(noisy, "Support answered today."))
    fake.replace("es", rss, edited(rss, "Ya hay señal otra vez."))
    assert poll_once(account) == 2
    en = stored(account, "tag:reviews.example,2026:review-88231")
    assert en.text == "Support answered today." and en.versions.count() == 1
    assert en.edited_at.isoformat() == "2026-11-11T08:00:00+00:00"
    es = stored(account, f"{fake.url('es')}#foro-1001")
    assert es.text == "Ya hay señal otra vez." and es.edited_at is not None


def test_an_item_that_leaves_the_feed_is_not_a_delete(org, fake):
    fake.add("es", load("rss__es.xml"), with_items=True)
    account = feeds_account(org, fake.url("es"))
    poll_once(account)
    fake.remove("es", split(load("rss__es.xml"))[1][0])
    poll_once(account)
    mention = stored(account, f"{fake.url('es')}#foro-1001")
    assert mention.deleted_at is None


def test_a_bare_guid_is_namespaced_by_feed_and_a_uri_id_is_shared(org, fake):
    fake.add("a", load("rss__es.xml"), with_items=True)
    fake.add("b", load("rss__es.xml"), with_items=True)
    fake.add("c", load("atom__en.xml"), with_items=True)
    fake.add("d", load("atom__en.xml"), with_items=True)
    account = feeds_account(org, *(fake.url(n) for n in "abcd"))
    poll_once(account)
    ids = set(Mention.objects.filter(account=account).values_list("external_id", flat=True))
    assert ids == {
        f"{fake.url('a')}#foro-1001",
        f"{fake.url('b')}#foro-1001",
        "tag:reviews.example,2026:review-88231",
    }


def test_hostile_items_are_stored_as_plain_text(org, fake):
    fake.add("evil", load("rss__hostile.xml"), with_items=True)
    account = feeds_account(org, fake.url("evil"))
    poll_once(account)
    mention = stored(account, f"{fake.url('evil')}#hostil-1")
    assert mention.url == ""  # javascript: links are dropped
    assert "<script" not in mention.text and "document.cookie" not in mention.text
    assert "<script" not in mention.text_html and "onerror" not in mention.text_html
    assert mention.title.startswith('<script>alert("t")</script>=HYPERLINK(')  # text, not markup
    assert (mention.kind, mention.reply_capability) == ("article", "none")


def test_rss_1_0_and_feed_metadata(org, fake):
    fake.add("rdf", load("rdf__en.xml"), with_items=True)
    fake.add("emoji", load("atom__emoji.xml"), with_items=True)
    account = feeds_account(org, fake.url("rdf"), fake.url("emoji"))
    poll_once(account)
    news = stored(account, "https://news.example/2026/acme-outage")
    assert (news.lang, news.author_display_name) == ("en", "News Desk")
    assert news.created_at.isoformat() == "2026-11-10T14:00:00+00:00"
    post = stored(account, "tag:blog.example,2026:post-77")
    assert post.title == "👨‍👩‍👧‍👦 Family plan review 🇪🇸🇲🇽"
    assert post.author_display_name == "Priya 🌸"
    assert post.url == "https://blog.example/2026/11/acme-family"


def test_a_feeds_ttl_is_honoured(org, fake):
    document = load("rss__es.xml").replace("<language>", "<ttl>60</ttl><language>", 1)
    fake.add("es", document, with_items=True)
    account = feeds_account(org, fake.url("es"))
    poll_once(account)
    poll_once(account)
    assert len(fake.seen("GET", "/feeds/es")) == 1
    state = intake.load_cursor(account)["feeds"][fake.url("es")]
    assert state["next_at"] > clock.now().isoformat()


def test_the_seen_set_is_bounded(org, fake, monkeypatch):
    from panal.channels.rss import wire

    monkeypatch.setattr(wire, "MIN_SEEN", 3)
    item = split(load("rss__es.xml"))[1][0]
    fake.add("es", load("rss__es.xml"))
    account = feeds_account(org, fake.url("es"))
    current = item
    for n in range(6):
        new = item.replace("foro-1001", f"foro-{2000 + n}")
        if n == 0:
            fake.publish("es", new)
        else:
            fake.replace("es", current, new)
        current = new
        assert poll_once(account) == 1
    seen = intake.load_cursor(account)["feeds"][fake.url("es")]["seen"]
    assert len(seen) == 3  # the item in the feed, then the most recently seen others
    assert poll_once(account) == 0


def test_feed_settings_are_checked(org):
    account = feeds_account(org, "ftp://files.example/feed.xml")
    with pytest.raises(Rejected, match="not an http"):
        poll_once(account)
    connector = connector_for("rss")
    assert connector.capabilities == {"poll"}
    assert {s.name for s in connector.settings} == {"feeds", "poll_interval"}


def test_added_and_checked_from_the_command_line(org, fake):
    import io

    from django.core.management import CommandError, call_command

    from panal.channels.models import ChannelAccount

    fake.add("es", load("rss__es.xml"), with_items=True)
    fake.set_raw("bomb", (FIXTURES / "atom__bomb.xml").read_bytes())
    out = io.StringIO()
    call_command(
        "channels", "add", "rss", "Prensa y foros", "--org", "acme",
        "--set", f"feeds={fake.url('es')},{fake.url('en')}", "--set", "poll_interval=1800",
        stdout=out,
    )  # fmt: skip
    account = ChannelAccount.objects.get(slug="prensa-y-foros")
    assert account.settings == {"feeds": [fake.url("es"), fake.url("en")], "poll_interval": 1800}
    with pytest.raises(CommandError, match="404"):
        call_command("channels", "check", "prensa-y-foros", stdout=out)
    call_command("channels", "set", "prensa-y-foros", "--set", f"feeds={fake.url('es')}")
    call_command("channels", "check", "prensa-y-foros", stdout=out)
    assert "prensa-y-foros: connected" in out.getvalue()
    call_command("channels", "set", "prensa-y-foros", "--set", f"feeds={fake.url('bomb')}")
    with pytest.raises(CommandError, match="entities"):
        call_command("channels", "check", "prensa-y-foros", stdout=out)
