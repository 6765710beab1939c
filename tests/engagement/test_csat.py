"""Satisfaction surveys: sent through the channel on resolution (a local fake Telegram),
link-only when the channel cannot reply, answered in the conversation or on the page."""

import copy
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import translation

from panal.core import clock
from panal.engagement import cases, csat
from panal.engagement.models import Case, CaseEvent, Csat
from panal.listening.stages import upsert_authors
from panal.org.models import Team
from tests.channels.contract import stored
from tests.channels.test_telegram import TelegramHarness, load

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PUBLIC = "https://panal.example"


@pytest.fixture
def public_url(settings):
    settings.PANAL_PUBLIC_URL = PUBLIC + "/"


@pytest.fixture
def telegram(org):
    harness = TelegramHarness(org)
    harness.start()
    yield harness
    harness.stop()


def direct_message(harness, text, message_id, *, user_id=5001, username="anaruiz"):
    """A private message to the bot, through the webhook like Telegram's servers send it."""
    update = copy.deepcopy(load("message__es.json"))
    message = update["message"]
    message.update(message_id=message_id, text=text)
    message["from"].update(id=user_id, username=username)
    message["chat"].update(id=user_id, username=username)
    update["update_id"] = next(harness.update_ids)
    assert harness.post(update).status_code == 200
    harness.collect()
    mention = stored(harness.account, f"{user_id}:{message_id}")
    upsert_authors([mention])  # the pipeline's author stage, which runs before routing
    return mention


def open_case(org, mention, *, lang="es"):
    return Case.objects.create(
        organisation=org, subject="Pedido sin llegar", status=Case.Status.OPEN, lang=lang,
        channel=mention.channel, account_id=mention.account_id, contact_id=mention.author_id,
        first_mention=mention, owner_team=Team.objects.get(organisation=org, is_hub=True),
        opened_at=NOW, updated_at=NOW,
    )  # fmt: skip


def resolve(case, capture):
    with capture(execute=True):
        cases.apply_status(case, Case.Status.RESOLVED)
    return Csat.objects.filter(case=case).first()


@pytest.fixture
def surveyed(org, telegram, public_url, django_capture_on_commit_callbacks):
    """A Telegram case resolved, its survey delivered to the fake."""
    mention = direct_message(telegram, "Hola, el pedido 4471 no ha llegado", 41)
    case = open_case(org, mention)
    survey = resolve(case, django_capture_on_commit_callbacks)
    return case, survey


def test_the_survey_goes_out_through_the_channel(surveyed, telegram):
    case, survey = surveyed
    assert len(survey.token) == 43
    survey.outbound.refresh_from_db()
    assert survey.outbound.status == "sent"
    assert survey.outbound.author is None
    (sent,) = telegram.fake.sent
    payload = sent["payload"]
    assert payload["chat_id"] == 5001
    assert payload["reply_parameters"]["message_id"] == 41
    assert payload["text"].startswith("¿Cómo valorarías nuestra ayuda del 1 al 5?")
    assert f"{PUBLIC}/csat/{survey.token}/" in payload["text"]
    (event,) = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CSAT)
    assert event.data["sent"] == "channel"
    assert survey.token not in str(event.data)


def test_english_customers_are_asked_in_english(org, telegram, django_capture_on_commit_callbacks):
    mention = direct_message(telegram, "Hi, my order never arrived", 41)
    survey = resolve(open_case(org, mention, lang="en"), django_capture_on_commit_callbacks)
    text = telegram.fake.sent[0]["payload"]["text"]
    assert text.startswith("How would you rate our help from 1 to 5?")
    assert "http" not in text  # no PANAL_PUBLIC_URL: no link
    assert survey.outbound is not None


def test_a_second_resolution_sends_no_second_survey(
    surveyed, telegram, django_capture_on_commit_callbacks
):
    case, survey = surveyed
    cases.apply_status(case, Case.Status.OPEN)
    assert resolve(case, django_capture_on_commit_callbacks) == survey  # the first one
    assert Csat.objects.filter(case=case).count() == 1
    assert len(telegram.fake.sent) == 1


def test_no_survey_when_satisfaction_is_off(org, telegram, django_capture_on_commit_callbacks):
    config = cases.config_for(org)
    config.csat_enabled = False
    config.save()
    mention = direct_message(telegram, "Hola", 41)
    assert resolve(open_case(org, mention), django_capture_on_commit_callbacks) is None
    assert telegram.fake.sent == []


def test_link_only_when_the_channel_cannot_reply(
    org, add, public_url, django_capture_on_commit_callbacks
):
    (mention,) = add({"external_id": "w1", "text": "Mi pedido no llega",
                      "author": {"id": "u1", "handle": "lucia"}})  # fmt: skip
    case = open_case(org, mention)
    with translation.override("en"):
        survey = resolve(case, django_capture_on_commit_callbacks)
    assert survey.outbound is None
    assert survey.token
    (event,) = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CSAT)
    assert event.data["sent"] == "link"
    assert "does not take replies" in event.data["reason"]
    page = Client().get(f"/csat/{survey.token}/")
    assert page.status_code == 200


def test_a_lone_score_in_the_conversation_answers_the_survey(surveyed, telegram):
    case, survey = surveyed
    answer = direct_message(telegram, "4 de 5", 42)
    assert csat.capture(answer) is True
    survey.refresh_from_db()
    assert (survey.score, survey.answered_via, survey.answered_at) == (4, "channel", NOW)
    (event,) = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CSAT, data__via="channel")
    assert event.data["score"] == 4
    # One answer: a later "5" is an ordinary message.
    again = direct_message(telegram, "5", 43)
    assert csat.capture(again) is False
    survey.refresh_from_db()
    assert survey.score == 4


def test_an_ordinary_message_is_not_an_answer(surveyed, telegram):
    _case, survey = surveyed
    for number, text in enumerate(["I have 3 problems", "Tengo 3 problemas", "10", "0"], 50):
        assert csat.capture(direct_message(telegram, text, number)) is False
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_stars_count(surveyed, telegram):
    _case, survey = surveyed
    assert csat.capture(direct_message(telegram, "⭐⭐⭐", 42)) is True
    survey.refresh_from_db()
    assert survey.score == 3


def test_a_score_from_someone_else_or_too_late_is_not_an_answer(surveyed, telegram):
    _case, survey = surveyed
    stranger = direct_message(telegram, "1", 42, user_id=5002, username="otro")
    assert csat.capture(stranger) is False
    clock.set_now(NOW + timedelta(days=7, minutes=1))
    late = direct_message(telegram, "5", 43)
    assert csat.capture(late) is False
    survey.refresh_from_db()
    assert survey.answered_at is None


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("5", 5), (" 4 ", 4), ("5/5", 5), ("4 de 5", 4), ("3 of 5", 3), ("2 out of 5", 2),
        ("5!", 5), ("⭐⭐⭐⭐", 4), ("★★", 2), ("5️⃣", 5),
        ("6", None), ("5/10", None), ("I have 3 problems", None), ("", None), ("4 5", None),
        ("⭐⭐⭐⭐⭐⭐", None), ("1234", None),
    ],
)  # fmt: skip
def test_parse_score(text, score):
    assert csat.parse_score(text) == score


@pytest.fixture
def link_survey(org, add):
    (mention,) = add({"external_id": "w1", "text": "Mi pedido no llega",
                      "author": {"id": "u1", "handle": "lucia"}})  # fmt: skip
    case = open_case(org, mention, lang="en")
    return Csat.objects.create(case=case, token=secrets.token_urlsafe(32), sent_at=NOW)


def test_the_page_takes_one_answer(link_survey):
    client = Client()
    url = f"/csat/{link_survey.token}/"
    page = client.get(url)
    assert page.status_code == 200
    assert page.content.count(b'type="radio" name="score"') == 5
    done = client.post(url, {"score": "5", "comment": "<script>alert(1)</script> gracias"})
    assert done.status_code == 200
    html = done.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; gracias" in html
    assert "<script>alert" not in html
    link_survey.refresh_from_db()
    assert (link_survey.score, link_survey.answered_via) == (5, "link")
    assert link_survey.comment == "<script>alert(1)</script> gracias"
    assert CaseEvent.objects.filter(case=link_survey.case, kind=CaseEvent.Kind.CSAT).count() == 1
    second = client.post(url, {"score": "1", "comment": "changed my mind"})
    assert second.status_code == 409
    assert b"already answered" in second.content
    link_survey.refresh_from_db()
    assert (link_survey.score, link_survey.comment) == (5, "<script>alert(1)</script> gracias")
    assert b"already answered" in client.get(url).content


def test_unknown_tokens_are_404(link_survey):
    client = Client()
    assert client.get(f"/csat/{secrets.token_urlsafe(32)}/").status_code == 404
    assert client.get("/csat/short/").status_code == 404
    token = link_survey.token
    near = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert client.post(f"/csat/{near}/", {"score": "5"}).status_code == 404
    link_survey.refresh_from_db()
    assert link_survey.answered_at is None


def test_bad_answers_are_refused_and_nothing_is_stored(link_survey):
    client = Client()
    url = f"/csat/{link_survey.token}/"
    assert client.post(url, {"score": "6"}).status_code == 400
    assert client.post(url, {"score": "tres"}).status_code == 400
    too_long = client.post(url, {"score": "4", "comment": "x" * 2001})
    assert too_long.status_code == 400
    assert b"2,000" in too_long.content
    link_survey.refresh_from_db()
    assert link_survey.answered_at is None


def test_the_page_is_csrf_protected(link_survey):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/csat/{link_survey.token}/", {"score": "5"})
    assert response.status_code == 403
    link_survey.refresh_from_db()
    assert link_survey.answered_at is None


def test_summary(org, add):
    rows = add(*[
        {"external_id": f"s{i}", "text": "pedido", "author": {"id": f"u{i}", "handle": f"p{i}"}}
        for i in range(5)
    ])  # fmt: skip
    for mention, score in zip(rows, [5, 4, 2, None, None], strict=True):
        Csat.objects.create(
            case=open_case(org, mention), token=secrets.token_urlsafe(32), sent_at=NOW,
            score=score, answered_at=NOW if score else None,
        )  # fmt: skip
    summary = csat.csat_summary(org, NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert summary["sent"] == 5
    assert summary["answered"] == 3
    assert summary["average"] == 3.67
    assert summary["satisfied_pct"] == 66.7
    empty = csat.csat_summary(org, NOW + timedelta(days=1), NOW + timedelta(days=2))
    assert (empty["sent"], empty["average"], empty["satisfied_pct"]) == (0, None, None)


def test_the_engagement_page_shows_the_last_30_days_of_surveys(org, add, client_for):
    rows = add(*[
        {"external_id": f"p{i}", "text": "pedido", "author": {"id": f"v{i}", "handle": f"q{i}"}}
        for i in range(6)
    ])  # fmt: skip
    sent = [NOW - timedelta(days=2)] * 5 + [NOW - timedelta(days=40)]  # the last: too old
    for mention, score, at in zip(rows, [5, 4, 2, None, None, 1], sent, strict=True):
        Csat.objects.create(
            case=open_case(org, mention), token=secrets.token_urlsafe(32), sent_at=at,
            score=score, answered_at=at if score else None,
        )  # fmt: skip
    client = client_for("director")
    body = client.get("/engagement/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<dd id="csat-sent">5</dd>' in body
    assert '<dd id="csat-answered">3</dd>' in body
    assert '<dd id="csat-average">3.67 / 5</dd>' in body
    assert '<p class="stat-big" id="csat-satisfied">66.7 %</p>' in body
    spanish = client.get("/engagement/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Satisfacción" in spanish and "Encuestas enviadas" in spanish


def test_the_engagement_page_says_when_no_survey_was_answered(org, client_for):
    body = client_for("director").get("/engagement/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<dd id="csat-sent">0</dd>' in body
    assert "No survey answered yet." in body
