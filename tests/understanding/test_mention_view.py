"""What the inbox and the mention page show of a mention's understanding, through HTTP."""

import re

import pytest
from django.urls import reverse

from panal.understanding import intent
from panal.understanding.models import Understanding

COMPLAINT = "Pésimo servicio, llevo tres días sin internet y nadie me responde. Exijo una solución."


@pytest.fixture
def agent(client_for):
    return client_for("agent")


def page_of(client, mention) -> str:
    response = client.get(reverse("mention-detail", args=[mention.id]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_each_intent_and_why(add, agent):
    (mention,) = add({"external_id": "c1", "text": COMPLAINT})
    row = Understanding.objects.get(mention=mention)
    assert row.intents and row.intents[0]["label"] == "complaint"
    page = page_of(agent, mention)
    section = page.split('id="understanding-title"')[1].split("</section>")[0]
    assert ">ES" in section and row.lang_model in section
    assert row.sentiment_model in section and row.intent_model in section
    assert 'data-intent="complaint"' in section
    why = intent.load().explain(COMPLAINT, "complaint", 5)
    words = [w for w, weight in why if weight > 0]
    assert words
    for word in words[:3]:
        assert f'<bdi class="why-word">{word}</bdi>' in section


def test_labels_are_translated(add, agent):
    (mention,) = add({"external_id": "c1", "text": COMPLAINT})
    page = agent.get(
        reverse("mention-detail", args=[mention.id]), headers={"accept-language": "es"}
    ).content.decode()
    section = page.split('id="understanding-title"')[1].split("</section>")[0]
    assert "Comprensión" in section and "Queja" in section and "Negativo" in section


def test_hostile_text_is_escaped(add, agent):
    hostile = (
        '<script>alert("x")</script> <img src=x onerror=alert(1)> pésimo servicio, exijo reembolso'
    )
    (mention,) = add({"external_id": "h1", "text": hostile})
    page = page_of(agent, mention)
    assert "<script>alert" not in page and "<img src=x" not in page
    section = page.split('id="understanding-title"')[1].split("</section>")[0]
    allowed = (
        "dl|dt|dd|span|ul|li|div|bdi|br|h2|details|summary|form|input|select|option|fieldset"
        "|legend|label|button|p|h3|ol|strong|time"
    )
    assert not re.search(rf"<(?!/?(?:{allowed})\b)", section)


def test_a_mention_without_understanding_still_shows(add, agent):
    (mention,) = add({"external_id": "n1", "text": "hola"})
    Understanding.objects.filter(mention=mention).delete()
    page = page_of(agent, mention)
    assert 'id="understanding-title"' not in page
    assert 'class="row' in agent.get(reverse("inbox")).content.decode()


def test_the_inbox_row_shows_sentiment_and_top_intent(add, agent):
    add({"external_id": "c1", "text": COMPLAINT})
    page = agent.get(reverse("inbox")).content.decode()
    assert "tag-sentiment tag-negative" in page
    assert re.search(r'class="tag tag-intent"[^>]*>\s*(Complaint|Queja)<', page)


def test_the_why_lists_words_not_punctuation():
    from panal.understanding import intent
    from panal.understanding.queries import WHY_WORDS, _words_that_weighed

    model = intent.load()
    text = "¡¡Gracias!! la fibra volvió 🙌 ,,, excelente servicio"
    for label in model.labels:
        why = _words_that_weighed(model, text, label)
        assert len(why) <= WHY_WORDS and len(set(why)) == len(why)
        assert all(any(ch.isalnum() for ch in w) for w in why)
