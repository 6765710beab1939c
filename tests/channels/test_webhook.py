"""POST /hooks/api/<account>/ through HTTP: Standard Webhooks signatures, replays, payloads.

Requests are signed by `sign_v1` below, written from the Standard Webhooks spec and
not from our code, and cross-checked against the `standardwebhooks` package.
"""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from panal.channels import services
from panal.channels.models import ChannelAccount, InboundDelivery, new_webhook_secret
from panal.core import clock
from panal.demo import builders
from panal.listening.models import Mention, MentionVersion

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/webhook/fixtures"
NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
TS = int(NOW.timestamp())


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sign_v1(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The spec: base64(HMAC-SHA256(base64-decoded secret, "<id>.<timestamp>.<body>"))."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


@pytest.fixture
def secret(account):
    return account.secrets[0]


class Sender:
    """Posts signed deliveries the way an integrator's system would."""

    def __init__(self, client, account):
        self.client = client
        self.account = account
        self.count = 0

    def post(
        self,
        body,
        *,
        secret=None,
        msg_id=None,
        timestamp=TS,
        signature=None,
        drop=(),
        path=None,
        signed_body=None,
    ):
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
        self.count += 1
        msg_id = msg_id or f"msg_{self.count:04d}"
        secret = secret or self.account.secrets[0]
        if signature is None:
            signature = sign_v1(
                secret, msg_id, timestamp, body if signed_body is None else signed_body
            )
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
        }
        for name in drop:
            del headers[name]
        return self.client.post(
            path or f"/hooks/api/{self.account.slug}/",
            data=body,
            content_type="application/json",
            headers=headers,
        )


@pytest.fixture
def sender(client, account):
    return Sender(client, account)


def stored_state():
    """Everything a refused request must leave as it was."""
    return (
        list(Mention.objects.order_by("id").values()),
        list(MentionVersion.objects.order_by("id").values()),
        list(InboundDelivery.objects.order_by("id").values()),
        list(ChannelAccount.objects.order_by("id").values("id", "secrets", "last_event_at")),
    )


# --- accepted deliveries -----------------------------------------------------------


def test_single_mention_is_stored_and_answered_with_its_id(sender, account):
    response = sender.post(fixture("created__single.json"), msg_id="msg_single")
    assert response.status_code == 202, response.content
    body = response.json()
    mention = Mention.objects.get(account=account, external_id="tkt-1001")
    assert body == {
        "created": 1,
        "edited": 0,
        "deleted": 0,
        "unchanged": 0,
        "ids": {"tkt-1001": str(mention.id)},
    }
    assert mention.text.startswith("Mi Acme Móvil lleva dos días")
    assert mention.author_handle == "lucia_v" and mention.author_followers == 312
    assert mention.created_at == datetime(2026, 11, 20, 9, 15, tzinfo=UTC)
    assert mention.channel == "api" and mention.organisation_id == account.organisation_id
    delivery = InboundDelivery.objects.get(account=account)
    assert delivery.delivery_id == "msg_single" and delivery.mention_ids == [mention.id]
    account.refresh_from_db()
    assert account.last_event_at == NOW


def test_batch_is_stored_in_one_delivery(sender, account):
    response = sender.post(fixture("created__batch.json"))
    assert response.status_code == 202
    body = response.json()
    assert body["created"] == 3
    stored = dict(Mention.objects.filter(account=account).values_list("external_id", "id"))
    assert body["ids"] == {ext: str(pk) for ext, pk in stored.items()}
    review = Mention.objects.get(external_id="rev-88")
    assert (review.kind, review.rating, review.title) == ("review", 5, "Atención excelente")
    assert review.created_at == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def test_edit_and_delete_events(sender, account):
    sender.post(fixture("created__single.json"))
    edited = sender.post(fixture("edited__text.json"))
    assert edited.status_code == 202
    assert edited.json()["edited"] == 1
    mention = Mention.objects.get(external_id="tkt-1001")
    assert "tres días" in mention.text
    assert list(mention.versions.values_list("text", flat=True)) == [
        json.loads(fixture("created__single.json"))["text"]
    ]
    deleted = sender.post(fixture("deleted__tombstone.json"))
    assert deleted.status_code == 202 and deleted.json()["deleted"] == 1
    mention.refresh_from_db()
    assert mention.deleted_at == NOW


def test_known_item_under_a_new_delivery_id_answers_200_with_the_existing_id(sender, account):
    first = sender.post(fixture("created__single.json"), msg_id="msg_a")
    again = sender.post(fixture("created__single.json"), msg_id="msg_b")
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["ids"] == first.json()["ids"]
    assert again.json()["unchanged"] == 1
    assert Mention.objects.filter(account=account).count() == 1
    assert InboundDelivery.objects.filter(account=account).count() == 2


def test_replayed_delivery_id_answers_the_first_answer_and_stores_nothing(sender, account):
    first = sender.post(fixture("created__single.json"), msg_id="msg_replay")
    before = stored_state()
    # The same id again, even carrying another (validly signed) body.
    replay = sender.post(fixture("created__single.json"), msg_id="msg_replay")
    other = sender.post(fixture("created__batch.json"), msg_id="msg_replay")
    assert first.status_code == 202
    assert replay.status_code == other.status_code == 200
    assert replay.json() == other.json() == first.json()
    mentions, versions, deliveries, _ = stored_state()
    assert (mentions, versions, deliveries) == before[:3]


def test_package_signature_is_accepted(sender, account, secret):
    body = fixture("created__batch.json")
    signature = Webhook(secret).sign("msg_pkg", NOW, body.decode())
    response = sender.post(body, msg_id="msg_pkg", signature=signature)
    assert response.status_code == 202


@settings(max_examples=50, deadline=None)
@given(
    msg_id=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=60),
    seconds=st.integers(min_value=0, max_value=2**33),
    body=st.text(max_size=300).filter(lambda t: "\x00" not in t),
)
def test_our_signing_helper_agrees_with_the_package(msg_id, seconds, body):
    secret = new_webhook_secret()
    when = datetime.fromtimestamp(seconds, UTC)
    assert sign_v1(secret, msg_id, seconds, body.encode()) == Webhook(secret).sign(
        msg_id, when, body
    )


def test_several_signatures_one_valid_is_enough(sender, secret):
    body = fixture("created__single.json")
    good = sign_v1(secret, "msg_multi", TS, body)
    junk = "v1 v1, v1,!!notbase64!! v2,abcd v1a,xyz " + sign_v1(
        new_webhook_secret(), "msg_multi", TS, body
    )
    response = sender.post(body, msg_id="msg_multi", signature=f"{junk} {good}")
    assert response.status_code == 202


def test_timestamp_at_the_edge_of_the_window_is_accepted(sender):
    assert sender.post(fixture("created__single.json"), timestamp=TS - 300).status_code == 202
    assert sender.post(fixture("created__batch.json"), timestamp=TS + 300).status_code == 202


@override_settings(PANAL_WEBHOOK_TOLERANCE=3600)
def test_the_window_is_a_setting(sender):
    assert sender.post(fixture("created__single.json"), timestamp=TS - 3000).status_code == 202


# --- key rotation -------------------------------------------------------------------


def test_rotation_keeps_the_previous_secret_until_it_is_dropped(sender, account):
    original = account.secrets[0]
    body = fixture("created__single.json")
    newer = services.rotate_secret(account)
    assert account.secrets == [newer, original]
    assert sender.post(body, secret=original).status_code == 202
    assert sender.post(body, secret=newer).status_code == 200

    newest = services.rotate_secret(account)
    assert account.secrets == [newest, newer]  # at most the previous one is kept
    refused = sender.post(body, secret=original)
    assert refused.status_code == 401
    assert sender.post(body, secret=newer).status_code == 200

    assert services.forget_previous_secrets(account) == 1
    assert sender.post(body, secret=newer).status_code == 401
    assert sender.post(body, secret=newest).status_code == 200


def test_malformed_stored_secret_is_skipped(sender, account, secret):
    account.secrets = ["not base64 at all!", 42, secret]
    account.save()
    assert sender.post(fixture("created__single.json"), secret=secret).status_code == 202
    account.secrets = ["not base64 at all!"]
    account.save()
    assert sender.post(fixture("created__single.json"), secret=secret).status_code == 401


# --- refused deliveries -------------------------------------------------------------

HUGE_TEXT = {"external_id": "big", "text": "x" * 10_000_000}
LATIN1 = '{"external_id": "a", "text": "se\xf1al"}'.encode("latin-1")
SURROGATE = b'{"external_id": "s", "text": "a\\ud800b"}'
NUL_IN_METRICS = b'{"external_id": "s", "text": "t", "metrics": {"k": "\\u0000"}}'
BAD_ITEM_IN_BATCH = {
    "mentions": [
        {"external_id": "ok", "text": "fine"},
        {"external_id": "bad", "text": "t", "created_at": "ayer"},
    ]
}


def bad_requests():
    """(label, how to send it, expected status, words the error must contain)."""
    single = fixture("created__single.json")
    return [
        ("missing id", {"drop": ["webhook-id"]}, 400, "webhook-id"),
        ("missing timestamp", {"drop": ["webhook-timestamp"]}, 400, "webhook-timestamp"),
        ("missing signature", {"drop": ["webhook-signature"]}, 400, "webhook-signature"),
        ("empty signature", {"signature": " "}, 400, "webhook-signature"),
        ("timestamp not a number", {"timestamp": "yesterday"}, 400, "Unix seconds"),
        ("timestamp with fraction", {"timestamp": f"{TS}.5"}, 400, "Unix seconds"),
        ("id too long", {"msg_id": "m" * 256}, 400, "webhook-id"),
        ("id not ascii", {"msg_id": "msg_ñ"}, 400, "webhook-id"),
        ("stale", {"timestamp": TS - 301}, 401, "timestamp outside tolerance"),
        ("future", {"timestamp": TS + 301}, 401, "timestamp outside tolerance"),
        ("unknown key", {"secret": new_webhook_secret()}, 401, "no valid signature"),
        ("signature junk", {"signature": "v1,AAAA v2,zz nonsense"}, 401, "no valid signature"),
        ("tampered body", {"signed_body": single.replace(b"dos", b"diez")}, 401, "signature"),
        ("signed for another id", {"msg_id": "msg_x", "signature": "SIGN:msg_y"}, 401, "signature"),
        ("not utf-8", {"body": LATIN1}, 400, "UTF-8"),
        ("malformed JSON", {"body": b'{"external_id": "a", "text": '}, 400, "not valid JSON"),
        ("NaN", {"body": b'{"external_id": "a", "text": "t", "metrics": {"x": NaN}}'}, 400, "NaN"),
        ("deep nesting", {"body": b"[" * 100_000 + b"]" * 100_000}, 400, "not valid JSON"),
        ("array body", {"body": b'[{"external_id": "a", "text": "t"}]'}, 400, "JSON object"),
        ("mentions not a list", {"body": {"mentions": {"a": 1}}}, 400, "'mentions' must be a list"),
        ("empty batch", {"body": {"mentions": []}}, 400, "1 to 1000"),
        (
            "batch too big",
            {"body": {"mentions": [{"external_id": str(i), "text": "t"} for i in range(1001)]}},
            400,
            "1 to 1000",
        ),
        ("item without id", {"body": {"text": "sin id"}}, 422, "'external_id' is required"),
        (
            "invalid item in a batch",
            {"body": BAD_ITEM_IN_BATCH},
            422,
            "mentions[1]: 'created_at' is not a date and time: 'ayer'",
        ),
        ("10 MB text", {"body": HUGE_TEXT}, 422, "longer than 100000 characters"),
        ("NUL in text", {"body": {"external_id": "n", "text": "a\u0000b"}}, 422, "NUL"),
        ("lone surrogate", {"body": SURROGATE}, 422, "surrogate"),
        ("NUL in metrics", {"body": NUL_IN_METRICS}, 422, "NUL"),
    ]


@pytest.mark.parametrize(
    ("how", "status", "words"),
    [pytest.param(how, status, words, id=label) for label, how, status, words in bad_requests()],
)
def test_refused_delivery_changes_nothing(sender, account, secret, how, status, words):
    sender.post(fixture("created__batch.json"))  # something already stored
    before = stored_state()
    how = dict(how)
    body = how.pop("body", fixture("created__single.json"))
    if how.get("signature", "").startswith("SIGN:"):
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        how["signature"] = sign_v1(secret, how["signature"][5:], TS, raw)
    response = sender.post(body, **how)
    assert response.status_code == status, response.content[:300]
    assert words in response.json()["error"]
    assert stored_state() == before


def test_every_invalid_item_is_listed_by_index(sender):
    body = {
        "mentions": [
            {"external_id": "a", "text": "fine"},
            {"external_id": "b"},
            {"external_id": "c", "text": "t", "rating": 9},
        ]
    }
    response = sender.post(body)
    assert response.status_code == 422
    assert [e["index"] for e in response.json()["errors"]] == [1, 2]
    assert not Mention.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_body_over_the_request_limit_is_413(sender):
    response = sender.post({"external_id": "a", "text": "x" * 2000})
    assert response.status_code == 413
    assert "larger than 1000 bytes" in response.json()["error"]
    assert not Mention.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/hooks/api/nobody/",  # unknown account
        "/hooks/mastodon/acme-hooks/",  # the account exists, but is not of this kind
        "/hooks/nonsense/acme-hooks/",  # no such kind
        "/hooks/api/acme-rss/",  # an account of another kind under /api/
        "/hooks/api/acme-off/",  # inactive
    ],
)
def test_no_such_webhook_is_404(sender, org, path):
    builders.channel_account(org, kind="rss", slug="acme-rss", name="Feed")
    off = builders.channel_account(org, kind="api", slug="acme-off", name="Off")
    off.is_active = False
    off.save()
    before = stored_state()
    response = sender.post(fixture("created__single.json"), path=path)
    assert response.status_code == 404
    assert response.json() == {"error": "no such webhook"}
    assert stored_state() == before


def test_other_organisations_account_secret_does_not_open_this_one(sender, other_org):
    theirs = builders.channel_account(other_org, kind="api", slug="other-hooks", name="Other")
    response = sender.post(fixture("created__single.json"), secret=theirs.secrets[0])
    assert response.status_code == 401


def test_only_post_is_allowed(client, account):
    assert client.get(f"/hooks/api/{account.slug}/").status_code == 405


# --- strangers' strings --------------------------------------------------------------


def test_hostile_strings_are_stored_byte_exact(sender, account):
    body = fixture("created__hostile.json")
    response = sender.post(body)
    assert response.status_code == 202, response.content
    sent = json.loads(body)["mentions"]
    assert set(response.json()["ids"]) == {m["external_id"] for m in sent}
    for item in sent:
        mention = Mention.objects.get(account=account, external_id=item["external_id"])
        assert mention.text == item["text"]
        assert mention.title == item.get("title", "")
    sql = Mention.objects.get(external_id="h-sql")
    assert sql.author_external_id == "x'; --" and sql.author_handle == "<b>bold</b>"
