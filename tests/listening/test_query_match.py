"""What a query matches: a table of tricky cases in Spanish and English, and documents."""

import pytest

from panal.listening.query import Doc, Query

# (query, document fields, expected)
CASES = [
    # accents and case
    ("atención", {"text": "Pésima atencion al cliente"}, True),
    ("atencion", {"text": "ATENCIÓN: se cayó la red"}, True),
    ("cayo", {"text": "se cayó la red"}, True),
    ("MÓVIL", {"text": "ceibo movil"}, True),
    # word boundaries
    ("app", {"text": "I love the apple pie"}, False),
    ("app", {"text": "the app crashed."}, True),
    ("red", {"text": "redes sociales"}, False),
    ("red", {"text": "sin red, otra vez"}, True),
    ("ceibo", {"text": "CeiboMovil responde"}, False),
    # hashtags
    ("#reclamo", {"text": "#Reclamo ya"}, True),
    ("#reclamo", {"text": "mi reclamo"}, False),
    ("reclamo", {"text": "#Reclamo ya"}, True),
    ("#sininternet", {"text": "otra vez #SinInternet"}, True),
    ("#outage", {"text": "a#outage"}, False),
    ("#atencionalcliente", {"text": "#AtenciónAlCliente"}, True),
    # handles
    ("@ceibomovil", {"text": "hola @CeiboMovil"}, True),
    ("@ceibomovil", {"text": "hola CeiboMovil"}, False),
    ("@ceibo.oficial", {"text": "gracias @ceibo.oficial."}, True),
    ("@pato_1326", {"text": "hola", "author_handle": "@Pato_1326"}, True),
    ("@ceibo", {"text": "escribí a prensa@ceibo.example"}, False),
    ("ceibo", {"text": "escribí a prensa@ceibo.example"}, True),
    # phrases: consecutive words, punctuation between them ignored
    ('"mal servicio"', {"text": "Mal, servicio!"}, True),
    ('"mal servicio"', {"text": "servicio mal"}, False),
    ('"mal servicio"', {"text": "mal el servicio"}, False),
    ('"customer service"', {"text": "Customer-Service rocks"}, True),
    ("e-mail", {"text": "send an e mail"}, True),
    ("e-mail", {"text": "email me"}, False),
    ('"gracias equipo"', {"title": "Gracias", "text": "equipo técnico"}, False),
    ('"equipo tecnico"', {"title": "Gracias", "text": "equipo técnico"}, True),
    # proximity, both orders
    ('"bad service"~2', {"text": "the service was bad"}, True),
    ('"bad service"~2', {"text": "bad customer support and service"}, False),
    ('"bad service"~3', {"text": "bad customer support and service"}, True),
    ('"bad service"~0', {"text": "service bad"}, True),
    ('"muy muy lento"~1', {"text": "muy lento"}, False),
    ('"muy muy lento"~1', {"text": "muy lento, muy"}, True),
    ("ceibo NEAR/2 lento", {"text": "lento va el internet de ceibo"}, False),
    ("ceibo NEAR/4 lento", {"text": "lento va el internet de ceibo"}, True),
    ("lento NEAR/0 internet", {"text": "internet lento"}, True),
    ("ceibo NEAR/3 ceibo", {"text": "ceibo"}, False),
    ("ceibo NEAR/3 ceibo", {"text": "ceibo y ceibo"}, True),
    ('(fibra OR movil) NEAR/1 "no funciona"', {"text": "la fibra no funciona"}, True),
    ('"no funciona" NEAR/1 (fibra OR movil)', {"text": "la fibra hoy no funciona"}, True),
    ("reembols* NEAR/2 tarde", {"text": "el reembolso llegó tarde"}, True),
    # wildcards
    ("reembols*", {"text": "quiero mi REEMBOLSO"}, True),
    ("reembols*", {"text": "me reembolsaron"}, True),
    ("reembols*", {"text": "reembolar"}, False),
    ("refund*", {"text": "refund"}, True),
    ("colo?r", {"text": "what a colour"}, True),
    ("colo?r", {"text": "what a color"}, False),
    ("colo?r", {"text": "colouur"}, False),
    ("ate?cion", {"text": "Atención"}, True),
    ("#reclam*", {"text": "#Reclamos"}, True),
    ("#reclam*", {"text": "reclamos"}, False),
    ("serv*ia", {"text": "servimeria"}, True),
    # boolean structure
    ("ceibo lento", {"text": "ceibo está lento"}, True),
    ("ceibo lento", {"text": "ceibo está rápido"}, False),
    ("ceibo OR fibra lento", {"text": "ceibo"}, True),
    ("ceibo OR fibra lento", {"text": "fibra"}, False),
    ("ceibo NOT (spam OR NOT fibra)", {"text": "ceibo fibra"}, True),
    ("ceibo NOT (spam OR NOT fibra)", {"text": "ceibo movil"}, False),
    ("ceibo NOT (spam OR NOT fibra)", {"text": "ceibo fibra spam"}, False),
    ("NOT NOT ceibo", {"text": "ceibo"}, True),
    ("NOT spam", {"text": ""}, True),
    ("and", {"text": "rock and roll"}, True),
    # field filters
    ("lang:es", {"text": "x", "lang": "es-MX"}, True),
    ("lang:es", {"text": "x", "lang": "en"}, False),
    ('author:"Laura Muñoz"', {"text": "x", "author_display_name": "laura  munoz"}, True),
    ("author:pato", {"text": "x", "author": {"handle": "Pato"}}, True),
    ("author:pato", {"text": "x", "author": "patolucas"}, False),
    ("url:ceibo.example/t", {"text": "x", "url": "https://Ceibo.example/T/1"}, True),
    ("url:play.google", {"text": "x", "urls": ["https://play.google.com/x"]}, True),
    ("url:play.google", {"text": "x", "urls": ["https://example.com"]}, False),
    ("channel:x", {"text": "x", "channel": "x"}, True),
    ("channel:x", {"text": "x", "channel": "facebook"}, False),
    ("country:MX", {"text": "x", "country": "mx"}, True),
    ("sentiment:negative", {"text": "x", "sentiment": "negative"}, True),
    ("sentiment:negative", {"text": "x", "sentiment": {"label": "positive"}}, False),
    ("intent:complaint", {"text": "x", "intents": [{"label": "complaint"}]}, True),
    ("intent:billing", {"text": "x", "intents": ["complaint", "billing"]}, True),
    ("intent:billing", {"text": "x", "intents": ["complaint"]}, False),
    ("brand:fibra", {"text": "x", "brand": {"slug": "fibra", "name": "Ceibo Fibra"}}, True),
    ('brand:"ceibo fibra"', {"text": "x", "brands": ["fibra", "Ceibo Fibra"]}, True),
    ("ceibo lang:es NOT sentiment:positive", {"text": "Ceibo", "lang": "es"}, True),
]


@pytest.mark.parametrize(("query", "data", "expected"), CASES)
def test_tricky_cases(query, data, expected):
    assert Query(query).matches(Doc.from_dict(data)) is expected


def test_doc_from_dict_reads_every_field():
    doc = Doc.from_dict(
        {
            "text_html": "<p>Hola <b>Ceibo</b></p>",
            "title": "Asunto",
            "lang": "es-CL",
            "channel": "email",
            "country": "CL",
            "url": "https://a.example/1",
            "urls": [{"url": "https://b.example"}, "https://c.example"],
            "author": {"handle": "@Ana", "display_name": "Ana P."},
            "sentiment": "neutral",
            "intents": [{"label": "question", "confidence": 0.9}],
            "brand": "fibra",
        }
    )
    assert set(doc.positions) == {"asunto", "hola", "ceibo"}
    assert doc.fields == {
        "lang:es", "channel:email", "country:cl", "sentiment:neutral", "intent:question",
        "brand:fibra", "author:ana", "author:ana p.",
    }  # fmt: skip
    assert doc.author_at == "@ana"
    assert doc.url_text.split("\n") == [
        "https://b.example",
        "https://c.example",
        "https://a.example/1",
    ]


def test_doc_ignores_values_of_the_wrong_type():
    doc = Doc.from_dict({"text": ["no"], "lang": 5, "author": 3, "intents": [None, {"x": 1}]})
    assert (doc.positions, doc.fields, doc.author_at) == ({}, frozenset(), "")


@pytest.mark.django_db
def test_doc_from_a_stored_mention(org, account):
    from panal.core import clock
    from panal.listening.models import Mention
    from panal.org.models import Brand
    from panal.understanding.models import Understanding

    brand = Brand.objects.create(organisation=org, slug="fibra", name="Ceibo Fibra")
    mention = Mention.objects.create(
        organisation=org, account=account, brand=brand, channel="x", external_id="1",
        text="La fibra de #Ceibo no anda", lang="es", created_at=clock.now(),
        received_at=clock.now(), author_handle="pato", author_display_name="Pato Gómez",
        url="https://x.example/1", urls=["https://ceibo.example/estado"], content_hash="h",
    )  # fmt: skip
    plain = Doc.from_mention(mention)
    assert "sentiment:negative" not in plain.fields
    Understanding.objects.create(
        mention=mention, sentiment="negative", intents=[{"label": "complaint"}],
        updated_at=clock.now(),
    )  # fmt: skip
    mention = Mention.objects.select_related("brand", "understanding").get(pk=mention.pk)
    doc = Doc.from_mention(mention, country="MX")
    query = Query(
        '#ceibo "no anda" brand:fibra sentiment:negative intent:complaint author:"pato gomez" '
        "country:mx lang:es channel:x url:ceibo.example/estado"
    )
    assert query.matches(doc)
    assert not Query("sentiment:positive").matches(doc)
