"""The Spanish/English switch: it sets the cookie and follows the user to other devices."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from panal.org.models import UserPreference

SPANISH = "Bandeja de entrada"
ENGLISH = "Inbox</h1>"


def page(client: Client, url: str = "/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def fresh_client(user) -> Client:
    """Another device: a new session and no language cookie."""
    client = Client()
    client.force_login(user)
    return client


def test_the_interface_is_spanish_by_default(client_for):
    html = page(client_for("agent"))
    assert '<html lang="es">' in html
    assert SPANISH in html
    assert "Agente social" in html  # the role in the nav, translated too


def test_the_choice_is_remembered_for_the_user(users, client_for):
    client = client_for("agent")
    response = client.post(reverse("set-language"), {"language": "en", "next": "/?q=hola"})
    assert response.status_code == 302
    assert response["Location"] == "/?q=hola"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert UserPreference.objects.get(user=users["agent"]).language == "en"
    html = page(fresh_client(users["agent"]))
    assert '<html lang="en">' in html
    assert ENGLISH in html and SPANISH not in html
    assert "Social agent" in html

    client.post(reverse("set-language"), {"language": "es", "next": "/"})
    assert UserPreference.objects.get(user=users["agent"]).language == "es"
    assert SPANISH in page(fresh_client(users["agent"]))


def test_the_remembered_choice_wins_over_the_browser(users, client_for):
    client_for("agent").post(reverse("set-language"), {"language": "en"})
    client = fresh_client(users["agent"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    assert ENGLISH in page(client)
    other = Client(headers={"accept-language": "es-ES,es;q=0.9"})
    other.force_login(users["agent"])
    assert ENGLISH in page(other)


def test_each_user_keeps_their_own_language(users, client_for):
    client_for("agent").post(reverse("set-language"), {"language": "en"})
    assert SPANISH in page(fresh_client(users["analyst"]))


def test_an_anonymous_switch_sets_only_the_cookie(users):
    client = Client()
    assert "Entra en tu bandeja de entrada" in page(client, reverse("login"))
    response = client.post(reverse("set-language"), {"language": "en", "next": reverse("login")})
    assert response["Location"] == reverse("login")
    assert "Log in to your inbox" in page(client, reverse("login"))
    assert not UserPreference.objects.exists()


@pytest.mark.parametrize("language", ["xx", "", "fr", "<script>"])
def test_an_unoffered_language_changes_nothing(users, client_for, language):
    client = client_for("agent")
    client.post(reverse("set-language"), {"language": language, "next": "/"})
    assert not UserPreference.objects.filter(user=users["agent"]).exclude(language="").exists()
    assert SPANISH in page(client)


def test_an_offsite_next_is_not_followed(client_for):
    response = client_for("agent").post(
        reverse("set-language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_the_switch_is_a_post_with_csrf(users):
    assert Client().get(reverse("set-language")).status_code == 405
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(users["agent"])
    assert guarded.post(reverse("set-language"), {"language": "en"}).status_code == 403
    assert not UserPreference.objects.filter(language="en").exists()


@pytest.mark.parametrize("url", ["/", "/login/"])
def test_the_switch_is_on_every_page_and_returns_to_it(client_for, url):
    client = client_for("agent") if url == "/" else Client()
    html = page(client, url + "?q=x" if url == "/" else url)
    assert f'action="{reverse("set-language")}"' in html
    assert 'name="language" value="en"' in html and 'name="language" value="es"' in html
    expected_next = "/?q=x" if url == "/" else url
    assert f'name="next" value="{expected_next}"' in html
