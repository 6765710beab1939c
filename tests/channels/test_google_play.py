"""Google Play reviews through the contract suite, plus what only Google Play has."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from panal.channels import intake, replies
from panal.channels.base import AuthFailed, RateLimited, Rejected
from panal.channels.google_play import connector as play
from panal.channels.models import OutboundMessage
from panal.channels.runner import poll_once
from panal.core import clock
from panal.demo import builders
from panal.listening.models import Mention, MentionVersion
from tests.fakes.google_play import FakeGooglePlay

from .contract import Contract, Harness, Sample, stored

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/google_play/fixtures"
SAMPLES = ["es", "en", "hostile", "rtl", "emoji", "long"]
PACKAGE = "com.acme.movil"
EMAIL = "panal-reviews@acme-movil.iam.gserviceaccount.com"


def new_key():
    """A service account key made when the tests run; never written anywhere."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key, pem


KEY, PEM = new_key()


def review(variant: str) -> dict:
    return json.loads((FIXTURES / f"reviews__{variant}.json").read_text("utf-8"))["reviews"][0]


def user(data: dict) -> dict:
    return next(c["userComment"] for c in data["comments"] if "userComment" in c)


def make_fake(page_size: int = 100) -> FakeGooglePlay:
    return FakeGooglePlay(
        package=PACKAGE, client_email=EMAIL, public_key=KEY.public_key(), page_size=page_size
    ).start()


def make_account(org, fake, slug="acme-android", private_key=None, **extra):
    account = builders.channel_account(org, kind="google_play", slug=slug, name="Acme Android")
    account.settings = {
        "base_url": fake.api_url,
        "token_url": fake.token_url,
        "package_name": PACKAGE,
        "client_email": EMAIL,
        **extra,
    }
    # Each account signs with its own fresh key unless told otherwise, so cached tokens
    # of one test never serve another.
    account.credentials = {"private_key": private_key or PEM}
    account.save()
    return account


@pytest.fixture(autouse=True)
def no_cached_tokens():
    play._TOKENS.clear()
    yield
    play._TOKENS.clear()


class GooglePlayHarness(Harness):
    kind = "google_play"
    can_delete = False
    why_not = "the Play reviews API lists the last week's reviews and never reports removals"

    def start(self):
        self.fake = make_fake(page_size=2)  # small pages, so polls follow nextPageToken
        self.account = make_account(self.org, self.fake)

    def stop(self):
        self.fake.stop()

    def samples(self):
        return [
            Sample(
                external_id=data["reviewId"],
                text=user(data)["text"],
                lang=user(data)["reviewerLanguage"].split("_")[0],
                data=data,
            )
            for data in map(review, SAMPLES)
        ]

    def publish(self, sample, event="created", *, new_text=""):
        if event == "created":
            self.fake.publish(sample.data)
        elif event == "edited":
            self.fake.rewrite(sample.external_id, new_text)
        else:
            raise AssertionError("Google Play has no deletes")

    def collect(self):
        self.account.refresh_from_db()
        poll_once(self.account)

    def redeliver(self):
        pass  # the review is still listed: the next poll reads it again

    def replies_received(self):
        return list(self.fake.replies)

    def echo_replies(self):
        pass  # the reply is now the review's developerComment; the next poll reads it

    def rate_limit_next(self, seconds):
        self.fake.rate_limit_next(seconds)

    def cursor_sent(self):
        pages = [r for r in self.fake.seen("GET", r"/reviews$") if r.arg("token")]
        return pages[-1].arg("token") if pages else None


class TestGooglePlay(Contract):
    harness = GooglePlayHarness


# --- what only Google Play has ----------------------------------------------------------


@pytest.fixture
def fake():
    server = make_fake()
    yield server
    server.stop()


def test_the_assertion_is_a_jwt_bearer_grant_with_googles_claims(org, fake):
    account = make_account(org, fake)
    fake.publish(review("es"))
    poll_once(account)
    grant = fake.seen("POST", "/token")[-1]
    assert grant.form()["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    claims = fake.grants[-1]
    assert claims["iss"] == EMAIL and claims["aud"] == fake.token_url
    assert claims["scope"] == "https://www.googleapis.com/auth/androidpublisher"
    assert 0 < claims["exp"] - claims["iat"] <= 3600
    listed = fake.seen("GET", "/reviews")[-1]
    assert listed.query == {"maxResults": ["100"]}
    assert listed.headers["authorization"].startswith("Bearer ya29.")


def test_the_access_token_is_cached_and_renewed_when_refused(org, fake):
    account = make_account(org, fake)
    fake.publish(review("es"))
    poll_once(account)
    poll_once(account)
    assert len(fake.grants) == 1
    fake.revoke_tokens()  # e.g. the key was rotated: the cached token is refused once
    fake.publish(review("en"))
    assert poll_once(account) == 1
    assert len(fake.grants) == 2
    account.refresh_from_db()
    assert account.health == "connected"


def test_a_token_refused_twice_disconnects_the_account(org, fake):
    account = make_account(org, fake)
    unauthenticated = {
        "error": {
            "code": 401,
            "message": "Request had invalid authentication credentials.",
            "status": "UNAUTHENTICATED",
        }
    }
    fake.fail_next(401, path="/androidpublisher/", body=unauthenticated, times=2)
    with pytest.raises(AuthFailed, match="UNAUTHENTICATED"):
        poll_once(account)
    assert len(fake.grants) == 2  # one refresh, then it gives up
    account.refresh_from_db()
    assert account.health == "disconnected"


def test_a_key_google_does_not_know_is_an_auth_failure(org, fake):
    _other, stranger = new_key()
    account = make_account(org, fake, private_key=stranger)
    with pytest.raises(AuthFailed, match="invalid_grant"):
        poll_once(account)
    assert fake.seen("GET") == []
    account.refresh_from_db()
    assert account.health == "disconnected" and "Invalid JWT Signature" in account.health_reason


def test_a_private_key_that_is_not_rsa_is_reported(org, fake):
    account = make_account(org, fake, private_key="-----BEGIN PRIVATE KEY-----\nAAAA\n")
    with pytest.raises(AuthFailed, match="RSA"):
        poll_once(account)
    assert fake.seen() == []


def test_review_fields(org, fake):
    account = make_account(org, fake)
    fake.publish(review("en"))
    fake.publish(review("es"))
    poll_once(account)
    en = stored(account, review("en")["reviewId"])
    assert (en.kind, en.rating, en.lang, en.author_display_name) == ("review", 4, "en", "Sam Patel")
    assert en.url == (
        "https://play.google.com/store/apps/details?id=com.acme.movil"
        "&reviewId=gp%3AAOqpTOFkLX3vC8b2tVqOeb5s0wSg0hF9mQ1eXa0002"
    )
    assert en.raw["developer_reply"]["text"] == "Thanks Sam, a fix for the widget ships next week."
    assert en.raw["appVersionName"] == "5.12.0"
    assert en.created_at == datetime(2026, 11, 10, 9, 1, 0, 250000, tzinfo=UTC)
    es = stored(account, review("es")["reviewId"])
    assert es.metrics == {"thumbs_up": 3, "thumbs_down": 0}


def test_hostile_reviews_are_kept_as_plain_text(org, fake):
    account = make_account(org, fake)
    fake.publish(review("hostile"))
    poll_once(account)
    mention = stored(account, review("hostile")["reviewId"])
    assert mention.text.startswith("<script>alert(document.cookie)</script> =HYPERLINK(")
    assert mention.author_display_name == "=cmd|' /C calc'!A0"
    assert mention.lang == "es"


def test_a_changed_user_comment_is_an_edit_and_our_reply_is_not(org, users, fake):
    account = make_account(org, fake)
    fake.publish(review("rtl"))
    poll_once(account)
    ident = review("rtl")["reviewId"]
    fake.rewrite(ident, "تم الإصلاح، شكرا 🙏", stars=5)
    assert poll_once(account) == 1
    mention = stored(account, ident)
    assert mention.text == "تم الإصلاح، شكرا 🙏" and mention.edited_at is not None
    message = replies.send_reply(users["agent"], mention, "¡Gracias! شكرا")
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.external_id == f"reply:{ident}"
    assert poll_once(account) == 0
    assert MentionVersion.objects.filter(mention=mention).count() == 1


def test_the_350_character_limit(org, users, fake):
    account = make_account(org, fake)
    fake.publish(review("es"))
    poll_once(account)
    mention = stored(account, review("es")["reviewId"])
    with pytest.raises(replies.ReplyRefused, match="350"):
        replies.send_reply(users["agent"], mention, "ñ" * 351)
    message = replies.send_reply(users["agent"], mention, "ñ" * 350)
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT, message.error
    assert fake.replies[-1] == {"text": "ñ" * 350, "in_reply_to": review("es")["reviewId"]}


def test_a_missing_permission_fails_the_reply_with_googles_reason(org, users, fake):
    account = make_account(org, fake)
    fake.publish(review("es"))
    poll_once(account)
    mention = stored(account, review("es")["reviewId"])
    message = replies.send_reply(users["agent"], mention, "Hola")
    fake.refuse_next(
        403, "PERMISSION_DENIED", "permissionDenied", "The caller does not have permission"
    )
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert "The caller does not have permission" in message.error


def test_a_daily_quota_pauses_until_pacific_midnight(org, fake):
    account = make_account(org, fake)
    poll_once(account)  # the access token is cached now; Google checks it, not our clock
    fake.refuse_next(403, "PERMISSION_DENIED", "dailyLimitExceeded", "Daily Limit Exceeded")
    start = datetime(2026, 11, 10, 20, 0, tzinfo=UTC)  # 12:00 in California
    try:
        clock.set_now(start)
        with pytest.raises(RateLimited) as raised:
            poll_once(account)
    finally:
        clock.set_now(None)
    assert raised.value.retry_at == datetime(2026, 11, 11, 8, 5, tzinfo=UTC)
    fake.refuse_next(403, "PERMISSION_DENIED", "quotaExceeded", "Quota exceeded")
    with pytest.raises(RateLimited) as raised:
        poll_once(account)
    assert raised.value.retry_at - clock.now() > timedelta(minutes=59)


def test_pages_stop_at_the_newest_stored_change(org):
    fake = make_fake(page_size=2)
    try:
        account = make_account(org, fake)
        for variant in SAMPLES:
            fake.publish(review(variant))
        poll_once(account)
        assert len(fake.seen("GET", "/reviews")) == 3
        assert set(intake.load_cursor(account)) == {"newest", "seen"}
        fake.rewrite(review("es")["reviewId"], "Ya funciona, gracias.")
        before = len(fake.seen("GET", "/reviews"))
        assert poll_once(account) == 1
        assert len(fake.seen("GET", "/reviews")) == before + 1
        assert Mention.objects.filter(account=account).count() == 6
    finally:
        fake.stop()


def test_a_translation_is_kept_beside_the_authors_words(org, fake):
    account = make_account(org, fake, translation_language="en")
    fake.publish(review("es"))
    poll_once(account)
    assert fake.seen("GET", "/reviews")[-1].arg("translationLanguage") == "en"
    mention = stored(account, review("es")["reviewId"])
    assert mention.text == user(review("es"))["text"]
    assert mention.raw["translation"].startswith("[en] ")


def test_bad_answers_are_temporary_and_a_missing_package_is_refused(org, fake):
    from panal.channels.base import Unavailable

    account = make_account(org, fake)
    fake.fail_next(200, path="/androidpublisher/", body=b"<html>proxy error</html>")
    with pytest.raises(Unavailable, match="not valid JSON"):
        poll_once(account)
    other = make_account(org, fake, slug="other-app", package_name="com.acme.nope")
    with pytest.raises(Rejected, match="Package not found"):
        poll_once(other)


def test_added_and_checked_from_the_command_line(org, fake):
    import io

    from django.core.management import call_command

    from panal.channels.models import ChannelAccount

    out = io.StringIO()
    call_command(
        "channels", "add", "google_play", "Acme Android", "--org", "acme",
        "--set", f"base_url={fake.api_url}", "--set", f"token_url={fake.token_url}",
        "--set", f"package_name={PACKAGE}", "--set", f"client_email={EMAIL}",
        "--set", f"private_key={PEM}", "--check",
        stdout=out,
    )  # fmt: skip
    account = ChannelAccount.objects.get(slug="acme-android")
    assert (
        "private_key" not in account.settings and account.credentials["private_key"] == PEM.strip()
    )
    assert "acme-android: connected" in out.getvalue()
    assert account.token_expires_at is None  # access tokens renew themselves


def test_an_expired_page_token_starts_again_from_the_newest(org, fake):
    account = make_account(org, fake)
    fake.publish(review("es"))
    intake.save_cursor(account, {"run": {"token": "!!!", "until": "", "head": ""}})
    assert poll_once(account) == 1
    assert [r.arg("token") for r in fake.seen("GET", "/reviews")] == ["!!!", None]
    assert "run" not in intake.load_cursor(account)
