"""Channel accounts in the admin: masked secrets, the webhook URL, rotation.

Webhook deliveries are read-only.
"""

import pytest
from django.contrib.auth import get_user_model

from panal.channels.admin import mask_secret
from panal.channels.models import ChannelAccount, InboundDelivery
from panal.core import clock
from panal.org.choices import Role


@pytest.fixture
def admin_client(client_for):
    return client_for(Role.TOOL_ADMIN)


def test_change_page_shows_the_url_and_only_masked_secrets(admin_client, account):
    page = admin_client.get(f"/admin/channels/channelaccount/{account.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "http://testserver/hooks/api/acme-hooks/" in html
    assert mask_secret(account.secrets[0]) in html
    assert account.secrets[0] not in html
    assert 'name="secrets"' not in html


def test_list_filters_and_search(admin_client, account, other_org):
    page = admin_client.get("/admin/channels/channelaccount/", {"q": "acme-hooks", "kind": "api"})
    assert page.status_code == 200
    assert b"Acme webhook" in page.content
    assert account.secrets[0].encode() not in page.content


def test_rotate_action_shows_the_new_secret_once_and_keeps_the_previous(admin_client, account):
    original = account.secrets[0]
    page = admin_client.post(
        "/admin/channels/channelaccount/",
        {"action": "rotate_webhook_secret", "_selected_action": [account.pk]},
    )
    assert page.status_code == 200
    account.refresh_from_db()
    new, previous = account.secrets
    assert previous == original and new != original
    assert new in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    # Afterwards the change page masks it again.
    change = admin_client.get(f"/admin/channels/channelaccount/{account.pk}/change/")
    assert new not in change.content.decode()


def test_forget_previous_secrets_action(admin_client, account):
    admin_client.post(
        "/admin/channels/channelaccount/",
        {"action": "rotate_webhook_secret", "_selected_action": [account.pk]},
    )
    response = admin_client.post(
        "/admin/channels/channelaccount/",
        {"action": "forget_previous_webhook_secrets", "_selected_action": [account.pk]},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert len(account.secrets) == 1


def test_adding_a_webhook_account_makes_and_shows_a_secret(admin_client, org):
    page = admin_client.post(
        "/admin/channels/channelaccount/add/",
        {
            "organisation": org.pk,
            "kind": "api",
            "slug": "new-hooks",
            "name": "New hooks",
            "handle": "",
            "is_active": "on",
            "settings": "{}",
        },
    )
    assert page.status_code == 200, page.content[:500]
    account = ChannelAccount.objects.get(slug="new-hooks")
    assert len(account.secrets) == 1 and account.secrets[0].startswith("whsec_")
    assert account.secrets[0] in page.content.decode()
    assert "http://testserver/hooks/api/new-hooks/" in page.content.decode()


def test_other_roles_cannot_rotate(client_for, account):
    before = list(account.secrets)
    response = client_for(Role.DIRECTOR).post(
        "/admin/channels/channelaccount/",
        {"action": "rotate_webhook_secret", "_selected_action": [account.pk]},
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    account.refresh_from_db()
    assert account.secrets == before


def test_deliveries_are_read_only(client, account):
    InboundDelivery.objects.create(
        account=account, delivery_id="msg_1", received_at=clock.now(), mention_ids=[1, 2]
    )
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456789")
    client.force_login(user)
    listing = client.get("/admin/channels/inbounddelivery/")
    assert listing.status_code == 200 and b"msg_1" in listing.content
    assert client.get("/admin/channels/inbounddelivery/add/").status_code == 403
    delivery = InboundDelivery.objects.get()
    detail = client.get(f"/admin/channels/inbounddelivery/{delivery.pk}/change/")
    assert detail.status_code == 200
    client.post(f"/admin/channels/inbounddelivery/{delivery.pk}/change/", {"delivery_id": "x"})
    client.post(f"/admin/channels/inbounddelivery/{delivery.pk}/delete/", {"post": "yes"})
    assert InboundDelivery.objects.get().delivery_id == "msg_1"


@pytest.mark.parametrize(
    ("secret", "masked"),
    [("whsec_AbCdEfGhIjKlMnOpQrStUv==", "whsec_AbCd…Uv=="), ("short", "…"), (None, "…")],
)
def test_mask_secret(secret, masked):
    assert mask_secret(secret) == masked


def _telegram_form(org, **extra):
    return {
        "organisation": org.pk,
        "kind": "telegram",
        "slug": "admin-bot",
        "name": "Admin bot",
        "handle": "",
        "is_active": "on",
        "settings": '{"base_url": "http://127.0.0.1:9/"}',
        "self_ids": "[]",
        **extra,
    }


def test_credentials_are_set_write_only_and_checked_against_the_connector(admin_client, org):
    page = admin_client.post(
        "/admin/channels/channelaccount/add/",
        _telegram_form(org, new_credentials='{"token": "123:secret-token"}'),
    )
    assert page.status_code == 200, page.content[:300]  # the page that shows the hook secret
    account = ChannelAccount.objects.get(slug="admin-bot")
    assert account.credentials == {"token": "123:secret-token"}
    assert "token" not in account.settings
    change = admin_client.get(f"/admin/channels/channelaccount/{account.pk}/change/")
    html = change.content.decode()
    assert "123:secret-token" not in html and "token" in html  # the key is named, not shown


def test_bad_settings_are_refused_in_the_admin(admin_client, org):
    missing = admin_client.post("/admin/channels/channelaccount/add/", _telegram_form(org))
    assert "telegram needs token" in missing.content.decode()
    unknown = admin_client.post(
        "/admin/channels/channelaccount/add/",
        _telegram_form(org, new_credentials='{"token": "x", "tokn": "y"}'),
    )
    assert "has no setting" in unknown.content.decode()
    assert not ChannelAccount.objects.filter(slug="admin-bot").exists()


def test_tool_administrators_see_replies_cursors_and_deliveries(admin_client, client_for):
    for model in ("outboundmessage", "cursor", "inbounddelivery"):
        assert admin_client.get(f"/admin/channels/{model}/").status_code == 200
    assert client_for(Role.AGENT).get("/admin/channels/outboundmessage/").status_code in (302, 403)
