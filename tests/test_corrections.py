"""Correcting a mention's language, sentiment and intents, through HTTP: who may, what is
stored, what the mention then says, and which corrections are held out."""

import pytest
from django.test import Client
from django.urls import reverse

from panal.demo import builders
from panal.listening import pipeline
from panal.understanding import intent, learning
from panal.understanding.models import Correction, Understanding
from panal.understanding.stages import text_of

TEXT = "Llevo tres días sin internet y nadie me responde. Pésimo servicio."


@pytest.fixture
def mention(add):
    (m,) = add({"external_id": "m1", "text": TEXT, "title": "Sin servicio"})
    return m


def fix(client, mention, field, data):
    return client.post(reverse("mention-correct", args=[mention.id, field]), data)


def test_an_agent_corrects_the_sentiment(mention, client_for, users):
    model_said = Understanding.objects.get(mention=mention)
    assert model_said.sentiment == "negative"
    response = fix(client_for("agent"), mention, "sentiment", {"after": "positive"})
    assert response.status_code == 302
    assert response["Location"] == reverse("mention-detail", args=[mention.id])

    correction = Correction.objects.get()
    assert correction.organisation_id == mention.organisation_id
    assert correction.mention_id == mention.id
    assert correction.field == "sentiment"
    assert correction.text == text_of(mention) == f"Sin servicio\n{TEXT}"
    assert correction.lang == "es"
    assert (correction.before, correction.after) == ("negative", "positive")
    assert correction.model == model_said.sentiment_model
    assert correction.corrected_by == users["agent"]

    row = Understanding.objects.get(mention=mention)
    assert row.sentiment == "positive"
    assert row.sentiment_model == "agent:agent"
    assert (row.sentiment_confidence, row.sentiment_score) == (1.0, 1.0)


def test_a_second_correction_records_the_first_as_before(mention, client_for):
    agent = client_for("agent")
    fix(agent, mention, "sentiment", {"after": "positive"})
    fix(client_for("analyst"), mention, "sentiment", {"after": "neutral"})
    latest = Correction.objects.first()
    assert (latest.before, latest.after, latest.model) == ("positive", "neutral", "agent:agent")
    assert Understanding.objects.get(mention=mention).sentiment_model == "agent:analyst"


def test_correcting_the_language(mention, client_for):
    agent = client_for("agent")
    assert fix(agent, mention, "language", {"after": "pt"}).status_code == 302
    mention.refresh_from_db()
    assert (mention.lang, mention.lang_source) == ("pt", "agent")
    correction = Correction.objects.get()
    assert (correction.before, correction.after) == ("es", "pt")
    assert correction.model == Understanding.objects.get(mention=mention).lang_model

    fix(agent, mention, "language", {"after": "und"})
    mention.refresh_from_db()
    assert (mention.lang, mention.lang_source) == ("", "agent")  # blank: unknown
    assert Correction.objects.first().model == "agent:agent"


def test_the_language_stage_keeps_an_agents_language(mention, client_for):
    fix(client_for("agent"), mention, "language", {"after": "pt"})
    pipeline.run([mention.id])
    mention.refresh_from_db()
    assert (mention.lang, mention.lang_source) == ("pt", "agent")


def test_the_pipeline_keeps_an_agents_sentiment_and_intents(mention, client_for):
    agent = client_for("agent")
    fix(agent, mention, "sentiment", {"after": "positive"})
    fix(agent, mention, "intents", {"after": ["praise"]})
    pipeline.run([mention.id])
    row = Understanding.objects.get(mention=mention)
    assert (row.sentiment, row.sentiment_model) == ("positive", "agent:agent")
    assert row.intents == [{"label": "praise", "confidence": 1.0}]
    assert row.intent_model == "agent:agent"


def test_correcting_the_intents(mention, client_for):
    agent = client_for("agent")
    before = [i["label"] for i in Understanding.objects.get(mention=mention).intents]
    assert fix(agent, mention, "intents", {"after": ["billing", "complaint"]}).status_code == 302
    row = Understanding.objects.get(mention=mention)
    assert row.intents == [
        {"label": "complaint", "confidence": 1.0},
        {"label": "billing", "confidence": 1.0},
    ]
    assert row.intent_model == "agent:agent"
    correction = Correction.objects.get()
    assert (correction.before, correction.after) == (before, ["complaint", "billing"])

    fix(agent, mention, "intents", {"after": ["none"]})  # "none of these"
    row.refresh_from_db()
    assert row.intents == []
    assert Correction.objects.first().after == []


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("sentiment", {"after": "great"}, "great"),
        ("sentiment", {}, "obligatorio"),
        ("language", {"after": "xx"}, "xx"),
        ("intents", {"after": ["none", "billing"]}, "Ninguna de estas"),
        ("intents", {"after": ["refund"]}, "refund"),
        ("urgency", {"after": "high"}, "No hay nada así que corregir"),
    ],
)
def test_bad_values_are_refused_with_a_message(mention, client_for, field, data, message):
    before = Understanding.objects.get(mention=mention)
    response = fix(client_for("agent"), mention, field, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Correction.objects.exists()
    after = Understanding.objects.get(mention=mention)
    assert (after.sentiment, after.intents) == (before.sentiment, before.intents)


@pytest.mark.parametrize("role", ["agency", "crm_call_center", "curator", "everyone", "tool_admin"])
def test_roles_without_the_permission_get_403(mention, client_for, role):
    response = fix(client_for(role), mention, "sentiment", {"after": "positive"})
    assert response.status_code == 403
    assert "Tu rol no puede corregir" in response.content.decode()
    assert not Correction.objects.exists()
    assert Understanding.objects.get(mention=mention).sentiment == "negative"


def test_another_organisations_mention_is_404(mention, other_org):
    stranger = builders.member(other_org, "agent", username="stranger")
    client = Client()
    client.force_login(stranger)
    assert fix(client, mention, "sentiment", {"after": "positive"}).status_code == 404
    assert fix(client, mention, "language", {"after": "en"}).status_code == 404
    assert not Correction.objects.exists()


def test_anonymous_users_are_sent_to_log_in_and_get_is_refused(mention, client_for):
    response = fix(Client(), mention, "sentiment", {"after": "positive"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    url = reverse("mention-correct", args=[mention.id, "sentiment"])
    assert client_for("agent").get(url).status_code == 405
    assert not Correction.objects.exists()


def test_the_page_shows_the_forms_and_the_history(mention, client_for):
    agent = client_for("agent")
    page = agent.get(reverse("mention-detail", args=[mention.id])).content.decode()
    assert reverse("mention-correct", args=[mention.id, "sentiment"]) in page
    assert 'name="csrfmiddlewaretoken"' in page
    fix(agent, mention, "sentiment", {"after": "positive"})
    page = agent.get(reverse("mention-detail", args=[mention.id])).content.decode()
    history = page.split('class="history corrections-history"')[1].split("</ol>")[0]
    assert "Sentimiento" in history and "Negativo" in history and "Positivo" in history
    assert "agent" in history
    # The understanding card says what the agent said, and who.
    card = page.split('id="understanding-title"')[1].split("</dl>")[0]
    assert "tag-positive" in card and "agent:agent" in card


def test_roles_without_the_permission_see_the_history_but_no_form(mention, client_for):
    fix(client_for("agent"), mention, "sentiment", {"after": "positive"})
    page = client_for("curator").get(reverse("mention-detail", args=[mention.id])).content.decode()
    assert "corrections-history" in page
    assert reverse("mention-correct", args=[mention.id, "sentiment"]) not in page


def test_agent_text_is_escaped_in_the_history(add, client_for, org):
    evil = builders.member(org, "agent", username="<b>evil</b>")
    client = Client()
    client.force_login(evil)
    (m,) = add({"external_id": "x", "text": "<script>alert(1)</script> pésimo"})
    fix(client, m, "sentiment", {"after": "neutral"})
    page = client.get(reverse("mention-detail", args=[m.id])).content.decode()
    assert "<b>evil</b>" not in page and "&lt;b&gt;evil&lt;/b&gt;" in page
    assert "<script>alert(1)</script>" not in page


# --- the held-out rule --------------------------------------------------------------------


def test_about_one_in_five_texts_is_held_out_and_a_text_keeps_its_side(org):
    texts = [f"texto número {i}" for i in range(500)]
    held = [t for t in texts if learning.hashed_held_out(org.id, "sentiment", t)]
    assert 0.12 < len(held) / len(texts) < 0.28
    # Another field or organisation puts texts elsewhere: the hash reads all three.
    other = [t for t in texts if learning.hashed_held_out(org.id, "intents", t)]
    assert held != other


def test_held_out_rule_through_corrections(add, users, org):
    agent = users["agent"]
    kept = [f"Mensaje de prueba {i} sobre Acme" for i in range(200)]
    kept = [t for t in kept if not learning.hashed_held_out(org.id, "sentiment", t)][:6]
    mentions = add(*({"external_id": f"k{i}", "text": t} for i, t in enumerate(kept)))
    flags = [learning.correct(agent, m, "sentiment", "neutral").held_out for m in mentions[:5]]
    # None hashed out: the fifth is held out so there is something to judge on.
    assert flags == [False, False, False, False, True]
    assert learning.correct(agent, mentions[5], "sentiment", "neutral").held_out is False
    # The same text corrected again (here on the same mention) stays on its side.
    assert learning.correct(agent, mentions[4], "sentiment", "positive").held_out is True
    assert learning.correct(agent, mentions[0], "sentiment", "positive").held_out is False


def test_a_hashed_text_is_held_out(add, users, org):
    texts = [f"Otro mensaje {i}" for i in range(200)]
    text = next(t for t in texts if learning.hashed_held_out(org.id, "intents", t))
    (m,) = add({"external_id": "h", "text": text})
    assert learning.correct(users["agent"], m, "intents", ["question"]).held_out is True


def test_the_service_checks_the_permission_and_values(mention, users):
    with pytest.raises(learning.PermissionDenied):
        learning.correct(users["curator"], mention, "sentiment", "neutral")
    with pytest.raises(learning.CorrectionError):
        learning.correct(users["agent"], mention, "intents", "complaint")  # not a list
    with pytest.raises(learning.CorrectionError):
        learning.correct(users["agent"], mention, "intents", ["none"])  # [] means none
    assert learning.correct(users["agent"], mention, "intents", []).after == []
    assert intent.NONE == "none"
