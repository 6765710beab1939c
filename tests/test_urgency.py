"""Urgency: the pure scoring, the `urgency` stage through ingest, the author's verified
badge and bio on every way in, and what the mention page and the inbox show."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from panal.core import clock
from panal.listening.models import Author, Mention
from panal.listening.normalise import parse_item
from panal.understanding import urgency
from panal.understanding.models import Understanding
from panal.understanding.stages import understand
from panal.understanding.urgency import Signals, score

CRISIS = "Voy a presentar una demanda ante PROFECO, esto es una estafa y nadie responde"
COMPLAINT = [{"label": "complaint", "confidence": 0.9}]


def reasons(result) -> dict[str, list]:
    found: dict[str, list] = {}
    for r in result.reasons:
        found.setdefault(r["reason"], []).append(r.get("value"))
    return found


# --- the scoring: a table of cases --------------------------------------------------------


def test_a_public_complaint_with_crisis_words_from_a_verified_journalist_is_critical():
    result = score(
        Signals(
            text=CRISIS, visibility="public", followers=100_000, verified=True,
            author_name="Ana Gil", author_description="Periodista de tecnología en Diario Sur",
            sentiment="negative", sentiment_score=-0.9, intents=COMPLAINT,
        )
    )  # fmt: skip
    assert result.level == "critical" and result.score >= 0.8
    why = reasons(result)
    assert why["followers"] == [100_000] and "verified" in why and "public" in why
    assert why["journalist"] == ["periodista"]
    assert set(why["crisis"]) == {"demanda", "PROFECO", "estafa"}
    assert why["intent"] == ["complaint"] and why["negative"] == [0.9]


def test_a_private_thanks_is_low():
    result = score(
        Signals(
            text="¡Muchas gracias por la ayuda!", visibility="private", sentiment="positive",
            sentiment_score=0.9, intents=[{"label": "praise", "confidence": 0.9}],
        )
    )  # fmt: skip
    assert result.level == "low"
    assert reasons(result)["private"] == [None]  # a private message still counts a little


@pytest.mark.parametrize(
    ("row", "level"),
    [
        ({"text": "una pregunta sobre mi plan", "visibility": "private"}, "low"),
        (
            {"text": "Pésimo servicio, tres días sin internet", "sentiment": "negative",
             "sentiment_score": -0.8, "intents": COMPLAINT},
            "normal",
        ),
        (
            {"text": "Se incendió el módem y hay heridos", "sentiment": "negative",
             "sentiment_score": -0.7, "intents": COMPLAINT},
            "high",
        ),
        (
            {"text": "We will sue: data breach, class action coming", "followers": 250_000,
             "verified": True, "author_handle": "BBCNews", "intents": COMPLAINT},
            "critical",
        ),
    ],
)  # fmt: skip
def test_levels_follow_the_weights(row, level):
    assert score(Signals(**row)).level == level


def test_thread_growth_raises_urgency():
    base = Signals(text="Sin servicio en Suba", sentiment="negative", sentiment_score=-0.6)
    calm = score(base)
    scores = [score(Signals(**{**_fields(base), "thread_growth": n})).score for n in (2, 8, 40)]
    assert calm.score < scores[0] < scores[1] < scores[2]
    assert reasons(score(Signals(**{**_fields(base), "thread_growth": 8})))["thread"] == [8]
    assert "thread" not in reasons(score(Signals(**{**_fields(base), "thread_growth": 1})))


def _fields(s: Signals) -> dict:
    return {name: getattr(s, name) for name in Signals.__slots__}


def test_reach_is_log_scaled_and_small_audiences_do_not_count():
    weights = []
    for followers in (50, 1_000, 10_000, 100_000, 1_000_000, 50_000_000):
        found = [
            r for r in score(Signals(followers=followers)).reasons if r["reason"] == "followers"
        ]
        weights.append(found[0]["weight"] if found else 0.0)
    assert weights[0] == 0.0
    assert weights[1] < weights[2] < weights[3] < weights[4] == weights[5]
    # Ten times the followers adds the same, not ten times as much.
    assert weights[3] - weights[2] == pytest.approx(weights[2] - weights[1], abs=0.002)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Voy a demandarlos a todos", "demanda"),
        ("DEMANDARÉ a la empresa", "demanda"),
        ("Ya puse la denuncia", "denuncia"),
        ("Hablé con mi abogado", "abogado"),
        ("Hubo una filtración de datos", "filtración de datos"),
        ("hubo una FILTRACION DE DATOS", "filtración de datos"),
        ("Me hackearon la cuenta", "hackeo"),
        ("La explosión de la batería", "explosión"),
        ("intoxicación masiva", "intoxicación"),
        ("Llamemos a un boicot", "boicot"),
        ("We will sue you", "lawsuit"),
        ("A class action is coming", "class action"),
        ("There was a data breach", "data breach"),
        ("My account was hacked", "hacked"),
        ("The phone caught fire", "fire"),
        ("Two people injured", "injured"),
        ("This is a scam", "scam"),
        ("The product recall", "recall"),
        ("Esto ya es viral", "viral"),
    ],
)
def test_crisis_words_in_spanish_and_english(text, term):
    assert term in [t for t, _ in urgency.crisis_words(text)]


@pytest.mark.parametrize(
    "text",
    [
        "fireworks tonight",
        "the issue is the suelo",
        "a gift for you",
        "scampi for dinner",
        "I demand a refund",
        "abogacía",
        "la demandante",
        "",
        "🙂🙂",
        "<script>sue</script>x",
    ],
)
def test_crisis_words_are_whole_words(text):
    found = [t for t, _ in urgency.crisis_words(text)]
    if text.startswith("<script>"):
        assert found == ["lawsuit"]  # markup is not a word; "sue" between tags is
    else:
        assert found == []


def test_accents_and_case_do_not_matter():
    plain = urgency.crisis_words("intoxicacion y explosion, llamen a profeco")
    accented = urgency.crisis_words("INTOXICACIÓN y Explosión, llamen a Profeco")
    assert plain == accented and len(plain) == 3


@pytest.mark.parametrize(
    ("name", "handle", "bio", "word"),
    [
        ("Ana Gil", "anagil", "Reportera de El Sol", "reportera"),
        ("Tom Lee", "tomlee", "Tech journalist. Views my own.", "journalist"),
        ("Noticias Ya", "x", "", "noticias"),
        ("Canal", "ElDiarioMX", "", "diario"),
        ("BBC", "BBCNews", "", "news"),
        ("Ana", "ana_prensa", "", "prensa"),
        ("Ana", "anagil", "Mamá y fan del café", ""),
        ("Newsom fan", "newsomfan", "", ""),
    ],
)
def test_journalists_by_their_bio_name_or_handle(name, handle, bio, word):
    assert urgency.media_word(name, handle, bio) == word


def test_the_score_stays_in_bounds_and_reasons_add_up():
    everything = Signals(
        text=CRISIS + " class action, data breach, explosion, fire, dead", followers=10**9,
        verified=True, author_description="journalist", thread_growth=10**6,
        sentiment="negative", sentiment_score=-1.0,
        intents=[{"label": "legal_risk", "confidence": 1.0}, *COMPLAINT],
    )  # fmt: skip
    assert score(everything).score == 1.0
    spam = score(Signals(visibility="private", intents=[{"label": "spam", "confidence": 1.0}]))
    assert spam.score == 0.0 and spam.level == "low"
    middle = score(Signals(text="Pésimo", sentiment="negative", sentiment_score=-0.5))
    assert middle.score == pytest.approx(sum(r["weight"] for r in middle.reasons), abs=0.002)
    crisis = [r["weight"] for r in score(everything).reasons if r["reason"] == "crisis"]
    assert sum(crisis) <= urgency.W_CRISIS_MAX + 1e-9


def test_level_thresholds():
    assert [urgency.level_of(x) for x in (0.0, 0.2499, 0.25, 0.4999, 0.5, 0.7999, 0.8, 1.0)] == [
        "low", "low", "normal", "normal", "high", "high", "critical", "critical",
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["", "🔥🔥🔥", "x" * 50_000, ("demanda " * 8000)])
def test_bad_text_still_gets_a_score(text):
    result = score(Signals(text=text))
    assert 0.0 <= result.score <= 1.0 and result.level in urgency.LEVELS


# --- the stage, through ingest --------------------------------------------------------------


def test_the_stage_scores_every_mention_through_ingest(add):
    journalist, thanks, empty = add(
        {
            "external_id": "u1", "text": CRISIS,
            "author": {"id": "j1", "handle": "anagil", "followers": 120_000, "verified": True,
                       "description": "Periodista en Diario Sur"},
        },
        {"external_id": "u2", "text": "¡Gracias, todo resuelto!", "visibility": "private"},
        {"external_id": "u3", "text": "🙂"},
    )  # fmt: skip
    rows = {u.mention_id: u for u in Understanding.objects.all()}
    row = rows[journalist.id]
    assert row.urgency_level == "critical" and row.urgency_model == "panal-urgency@1"
    assert {"verified", "journalist", "followers", "crisis", "public"} <= {
        r["reason"] for r in row.urgency_reasons
    }
    assert rows[thanks.id].urgency_level == "low"
    assert 0 <= rows[empty.id].urgency <= 1 and rows[empty.id].urgency_level
    # Sentiment and intents were read from the same row, and are kept by the upsert.
    assert row.sentiment == "negative" and row.intents and row.lang == "es"
    assert any(r["reason"] == "negative" for r in row.urgency_reasons)
    assert "understand" in Mention.objects.get(id=journalist.id).stages_done


def test_a_thread_growing_fast_raises_its_mentions(add):
    now = clock.now()
    at = lambda minutes: (now - timedelta(minutes=minutes)).isoformat()  # noqa: E731
    add({"external_id": "root", "text": "Sin servicio en Suba", "created_at": at(50)})
    replies = [
        {"external_id": f"r{i}", "text": "Igual aquí", "thread_external_id": "root",
         "in_reply_to_external_id": "root", "created_at": at(40 - i)}
        for i in range(8)
    ]  # fmt: skip
    add(*replies)
    last = Understanding.objects.get(mention__external_id="r7")
    assert [r["value"] for r in last.urgency_reasons if r["reason"] == "thread"] == [8]
    # An old thread, however long, is not growing now.
    add({"external_id": "old", "text": "Sin servicio", "created_at": at(600)})
    add(*[{**r, "external_id": f"o{i}", "thread_external_id": "old",
           "in_reply_to_external_id": "old", "created_at": at(500 - i)}
          for i, r in enumerate(replies)])  # fmt: skip
    old = Understanding.objects.get(mention__external_id="o7")
    assert "thread" not in {r["reason"] for r in old.urgency_reasons}
    assert old.urgency < last.urgency


def test_thread_growth_is_one_query_per_batch(add):
    mentions = add(
        *[{"external_id": f"t{i}", "text": "hola", "thread_external_id": f"th{i % 7}"}
          for i in range(40)]
    )  # fmt: skip
    counts = []
    for batch in (mentions[:3], mentions):
        with CaptureQueriesContext(connection) as queries:
            understand(batch)
        counts.append(len(queries))
    # The organisation's two models, the thread count and the one upsert: no more for 40.
    assert counts[0] == counts[1] <= 5


def test_verified_and_bio_are_stored_on_the_mention_and_its_author(add):
    (first,) = add(
        {"external_id": "a1", "text": "hola",
         "author": {"id": "p1", "handle": "ana", "verified": True, "description": "Reportera"}},
    )  # fmt: skip
    assert (first.author_verified, first.author_description) == (True, "Reportera")
    author = Author.objects.get(external_id="p1")
    assert (author.is_verified, author.description) == (True, "Reportera")
    # A newer mention refreshes the author; an unknown value keeps the old one.
    add(
        {"external_id": "a2", "text": "hola", "author_external_id": "p1",
         "author_description": "Editora de El Sol", "author_verified": "false"},
        {"external_id": "a3", "text": "hola", "author_external_id": "p2"},
    )  # fmt: skip
    author.refresh_from_db()
    assert (author.is_verified, author.description) == (False, "Editora de El Sol")
    other = Author.objects.get(external_id="p2")
    assert (other.is_verified, other.description) == (None, "")


@pytest.mark.parametrize(
    "value",
    [{"author_verified": "maybe"}, {"author_description": "x" * 5001}, {"author_description": 3j}],
)
def test_bad_verified_or_bio_is_a_clear_error(value):
    with pytest.raises(ValueError, match="author_"):
        parse_item({"external_id": "b1", "text": "hola", **value})


def test_a_csv_with_other_tools_column_names_carries_verified_and_bio(tmp_path, account):
    path = tmp_path / "export.csv"
    path.write_text(
        "id,text,screen_name,user_verified,bio\n"
        "c1,Hola,ana,true,Periodista en Radio Sur\n"
        "c2,Hola,bea,,\n",
        encoding="utf-8",
    )
    call_command(
        "ingest", str(path), "--account", account.slug, "--no-progress", stdout=io.StringIO()
    )
    c1, c2 = Mention.objects.order_by("external_id")
    assert (c1.author_verified, c1.author_description) == (True, "Periodista en Radio Sur")
    assert (c2.author_verified, c2.author_description) == (None, "")
    jsonl = tmp_path / "in.jsonl"
    author = {"id": "a9", "verified": False, "description": "bio"}
    jsonl.write_text(json.dumps({"external_id": "j1", "text": "x", "author": author}))
    call_command(
        "ingest", str(jsonl), "--account", account.slug, "--no-progress", stdout=io.StringIO()
    )
    j1 = Mention.objects.get(external_id="j1")
    assert (j1.author_verified, j1.author_description) == (False, "bio")


# --- what people see --------------------------------------------------------------------------


def test_the_page_says_how_urgent_and_why(add, client_for):
    (mention,) = add(
        {"external_id": "p1", "text": CRISIS, "author_followers": 12_400, "author_verified": True,
         "author_description": '<img src=x onerror=alert(1)> periodista'},
    )  # fmt: skip
    agent = client_for("agent")
    page = agent.get(
        reverse("mention-detail", args=[mention.id]), headers={"accept-language": "en"}
    ).content.decode()
    section = page.split('id="understanding-title"')[1].split("</section>")[0]
    assert 'data-urgency="critical"' in section and "panal-urgency@1" in section
    assert "12,400 followers" in section and "verified author" in section
    assert "crisis word: <bdi>demanda</bdi>" in section and "journalist or media" in section
    assert "<img src=x" not in page
    spanish = agent.get(
        reverse("mention-detail", args=[mention.id]), headers={"accept-language": "es"}
    ).content.decode()
    assert "Urgencia" in spanish and "Crítica" in spanish and "palabra de crisis" in spanish


def test_inbox_rows_show_a_badge_for_high_and_critical_only(add, client_for):
    add(
        {"external_id": "hot", "text": CRISIS, "author_followers": 500_000,
         "author_verified": True},
        {"external_id": "calm", "text": "gracias", "visibility": "private"},
    )  # fmt: skip
    page = client_for("agent").get(reverse("inbox")).content.decode()
    rows = {
        ext: page.split(f'id="mention-{Mention.objects.get(external_id=ext).id}"')[1].split(
            "</li>"
        )[0]
        for ext in ("hot", "calm")
    }
    assert "tag-urgency-critical" in rows["hot"]
    assert "tag-urgency" not in rows["calm"]


def test_the_demo_has_fast_threads_and_verified_journalists():
    from panal.demo import content

    now = clock.now().replace(microsecond=0)
    items = content.mention_dicts(300, now=now)
    hour_ago = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent: dict[str, int] = {}
    for d in items:
        if d.get("thread_external_id") and d["created_at"] >= hour_ago:
            recent[d["thread_external_id"]] = recent.get(d["thread_external_id"], 0) + 1
    assert sorted(recent.values())[-2:] >= [10, 10]  # two threads growing fast
    roots = [d for d in items if d["external_id"] in recent and recent[d["external_id"]] >= 10]
    assert all(urgency.crisis_words(d["text"]) for d in roots)
    journalists = [d for d in content.mention_dicts(3000, now=now) if d.get("author_verified")]
    assert journalists and all(d.get("author_description") for d in journalists)
    assert any(urgency.media_word("", "", d["author_description"]) for d in journalists)
