"""An organisation's own models: `panal model retrain`, the model page's button, promotion
only when not worse on held-out corrections, rollback, and the registry the stages ask.

The corrections teach what the shipped models cannot know: in this organisation
"zumbón" is praise, and the "colmena" is its hiring programme.
"""

import io
import itertools
import logging
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from panal.core import clock
from panal.demo import builders
from panal.listening import services
from panal.listening.models import Mention
from panal.listening.normalise import parse_item
from panal.understanding import intent, learning, registry, sentiment
from panal.understanding.models import Correction, OrgModel, Understanding
from panal.understanding.stages import text_of

SUBJECTS = [
    "El nuevo plan de Acme", "La app de Acme Móvil", "El router Acme Hogar", "La tienda del centro",
    "El soporte de Acme", "La factura de este mes", "El envío de Acme", "La cobertura en mi barrio",
    "El Acme Turbo", "La web de Acme", "El técnico que vino hoy", "La tarifa familiar",
]  # fmt: skip
ZUMBON = [f"{s} {v}" for s, v in itertools.product(SUBJECTS, ["está zumbón", "quedó zumbón"])]
COLMENA = [
    f"{s} {v}"
    for s, v in itertools.product(
        ["Mi prima", "Mi vecino", "Un amigo", "Mi hermana", "Mi hijo", "Mi novia", "Mi tío"],
        ["quiere entrar a la colmena de Acme", "se apuntó a la colmena de Acme",
         "busca sitio en la colmena de Acme"],
    )
]  # fmt: skip


@pytest.fixture(autouse=True)
def fresh_registry():
    registry.forget()
    yield
    registry.forget()


@pytest.fixture
def add(account, django_capture_on_commit_callbacks):
    def add(texts, prefix="m"):
        rows = [{"external_id": f"{prefix}{i}", "text": t} for i, t in enumerate(texts)]
        with django_capture_on_commit_callbacks(execute=True):
            result = services.ingest(account, [parse_item(r) for r in rows])
        return [Mention.objects.get(id=result.ids[r["external_id"]]) for r in rows]

    return add


@pytest.fixture
def correct_all(add, users):
    """Correct each text's mention with `label_of(text, held_out_by_hash)`; texts the hash
    holds out go first, so the rule's "at least one held out" never picks another."""

    def correct_all(texts, field, label_of, org):
        ordered = sorted(texts, key=lambda t: not learning.hashed_held_out(org.id, field, t))
        for m in add(ordered, prefix=f"{field}-"):
            hashed = learning.hashed_held_out(org.id, field, text_of(m))
            learning.correct(users["analyst"], m, field, label_of(text_of(m), hashed))

    return correct_all


def retrain(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("model", "retrain", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_retrain_promotes_a_model_that_learnt_the_organisations_praise(
    correct_all, org, users, add, django_capture_on_commit_callbacks
):
    shipped = sentiment.shipped()
    correct_all(ZUMBON, "sentiment", lambda text, held: "positive", org)
    held_out = list(Correction.objects.filter(held_out=True))
    # Some corrections are kept back to judge on, and most are learnt from.
    assert held_out, "no correction was held out"
    assert len(held_out) < len(ZUMBON) / 2, f"{len(held_out)} of {len(ZUMBON)} held out"

    out = retrain("--org", "acme", "--task", "sentiment", "--user", "analyst")

    row = OrgModel.objects.get(organisation=org, task="sentiment")
    assert row.status == OrgModel.Status.PROMOTED, row.note
    assert "version 1 " in out and "promoted" in out
    assert (row.version, row.created_by, row.promoted_by) == (1, users["analyst"], users["analyst"])
    assert row.promoted_at is not None
    assert (row.examples, row.held_out) == (len(ZUMBON) - len(held_out), len(held_out))
    scores = row.scores
    assert scores["metric"] == "macro_f1" and scores["decision"] == "promoted"
    # It learnt it: better than the shipped model on corrections it never trained on.
    assert scores["candidate"]["macro_f1"] > scores["current"]["macro_f1"]
    assert scores["current"]["model"] == shipped.name
    assert scores["candidate"]["n"] == len(held_out)
    with zipfile.ZipFile(io.BytesIO(bytes(row.archive))) as archive:
        assert sorted(archive.namelist()) == ["model.json", "weights.npz"]

    model = registry.for_org("sentiment", org.id)
    assert model.name == f"{shipped.name}+acme.v1"
    assert model.predict_labels([c.text for c in held_out]) == ["positive"] * len(held_out)
    assert registry.for_org("sentiment", None) is shipped
    other = builders.organisation(slug="elsewhere", name="Elsewhere")
    assert registry.for_org("sentiment", other.id) is shipped


def test_the_pipeline_labels_new_mentions_with_the_organisations_model(correct_all, org, add):
    correct_all(ZUMBON, "sentiment", lambda text, held: "positive", org)
    retrain("--org", "acme", "--task", "sentiment")
    model = registry.for_org("sentiment", org.id)
    (fresh,) = add(["El plan prepago de Acme está zumbón"], prefix="new")
    row = Understanding.objects.get(mention=fresh)
    assert row.sentiment_model == model.name
    assert row.sentiment == model.predict_labels([text_of(fresh)])[0] == "positive"


def test_a_candidate_worse_on_the_held_out_corrections_is_not_promoted(correct_all, org):
    # Held-out corrections contradict the training ones: "zumbón" is praise when trained
    # on, neutral when judged.
    correct_all(ZUMBON, "sentiment", lambda text, held: "neutral" if held else "positive", org)
    out = retrain("--org", "acme", "--task", "sentiment")
    row = OrgModel.objects.get(organisation=org, task="sentiment")
    assert row.status == OrgModel.Status.CANDIDATE
    assert row.scores["decision"] == "kept"
    assert row.scores["candidate"]["macro_f1"] < row.scores["current"]["macro_f1"]
    assert "not promoted" in row.note and "not promoted" in out
    assert (row.created_by, row.promoted_by, row.promoted_at) == (None, None, None)
    assert row.archive  # kept, so an analyst can still put it in use by hand
    assert registry.for_org("sentiment", org.id) is sentiment.shipped()


def test_intents_are_retrained_on_label_sets(correct_all, org):
    correct_all(COLMENA, "intents", lambda text, held: ["recruiting_hr"], org)
    out = retrain("--org", "acme", "--task", "intent", "--user", "tool_admin")
    row = OrgModel.objects.get(organisation=org, task="intent")
    assert row.status == OrgModel.Status.PROMOTED, row.note
    assert "intent: version 1" in out
    assert row.scores["metric"] == "label_set_f1"
    # The candidate learnt the label set. The shipped model may already get some of these
    # texts right: which ones are held out depends on the organisation's id (a hash), so
    # it can score as well on them; then "not worse" still promotes.
    assert row.scores["candidate"]["label_set_f1"] == 1.0
    assert row.scores["candidate"]["label_set_f1"] >= row.scores["current"]["label_set_f1"]
    model = registry.for_org("intent", org.id)
    assert intent.model_name(model) == f"{intent.model_name(intent.load())}+acme.v1"
    held = [c.text for c in Correction.objects.filter(held_out=True)]
    assert [[i["label"] for i in s] for s in intent.label_sets(model, held)] == [
        ["recruiting_hr"]
    ] * len(held)


def test_too_few_corrections_is_exit_code_2_and_stores_nothing(add, org, users):
    with pytest.raises(CommandError) as error:
        retrain("--org", "acme")
    assert error.value.returncode == 2
    # One correction, not held out: nothing to judge on.
    text = next(t for t in ZUMBON if not learning.hashed_held_out(org.id, "sentiment", t))
    (m,) = add([text])
    learning.correct(users["agent"], m, "sentiment", "positive")
    with pytest.raises(CommandError) as error:
        retrain("--org", "acme", "--task", "sentiment")
    assert error.value.returncode == 2
    assert not OrgModel.objects.exists()


def test_cli_refuses_unknown_organisations_and_users_without_the_permission(org, users):
    with pytest.raises(CommandError, match="no organisation"):
        retrain("--org", "nope")
    with pytest.raises(CommandError, match="no user"):
        retrain("--org", "acme", "--user", "nobody")
    with pytest.raises(CommandError, match="agent cannot retrain"):
        retrain("--org", "acme", "--task", "sentiment", "--user", "agent")


def test_language_corrections_are_not_retrained(add, org, users):
    for m in add(["uno dos tres", "cuatro cinco seis"]):
        learning.correct(users["agent"], m, "language", "pt")
    with pytest.raises(CommandError):
        retrain("--org", "acme")
    assert not OrgModel.objects.exists()


# --- the model page --------------------------------------------------------------------


def test_the_model_page_for_analysts(client_for, org):
    page = client_for("analyst").get(reverse("models"))
    assert page.status_code == 200
    html = page.content.decode()
    assert sentiment.shipped().name in html and intent.model_name(intent.load()) in html
    assert "py3langid" in html
    assert reverse("models-retrain") in html
    assert 'href="/models/"' in html  # the nav link
    # The shipped models' own dev scores, each dev set of the sentiment card apart.
    tweets_en = sentiment.shipped().card["dev"]["scores"]["tweets_en"]
    shown = f"{tweets_en['macro_recall']:.3f}"
    assert "tweets_en" in html and (shown in html or shown.replace(".", ",") in html)


@pytest.mark.parametrize("role", ["agent", "area_manager", "agency", "everyone", "curator"])
def test_the_model_page_is_403_without_the_permission(client_for, role):
    response = client_for(role).get(reverse("models"))
    assert response.status_code == 403
    assert "Tu rol no puede ver los modelos" in response.content.decode()
    assert 'href="/models/"' not in client_for(role).get(reverse("inbox")).content.decode()


def test_directors_see_the_page_but_cannot_retrain(client_for, correct_all, org):
    correct_all(ZUMBON[:8], "sentiment", lambda text, held: "positive", org)
    director = client_for("director")
    html = director.get(reverse("models")).content.decode()
    assert reverse("models-retrain") not in html
    response = director.post(reverse("models-retrain"), {"task": "sentiment"})
    assert response.status_code == 403
    assert not OrgModel.objects.exists()


def test_the_button_trains_in_the_background_and_rollback(
    client_for, correct_all, org, users, django_capture_on_commit_callbacks
):
    correct_all(ZUMBON, "sentiment", lambda text, held: "positive", org)
    analyst = client_for("analyst")
    with django_capture_on_commit_callbacks() as queued:
        response = analyst.post(reverse("models-retrain"), {"task": "sentiment"})
    assert response.status_code == 302
    row = OrgModel.objects.get()
    assert row.status == OrgModel.Status.TRAINING and row.created_by == users["analyst"]
    html = analyst.get(reverse("models")).content.decode()
    assert "Entrenando" in html and 'hx-trigger="every 2s"' in html
    # A second press while it trains is refused.
    assert analyst.post(reverse("models-retrain"), {"task": "sentiment"}).status_code == 400

    assert len(queued) == 1
    queued[0]()  # the task runs (tests use the immediate backend)
    row.refresh_from_db()
    assert row.status == OrgModel.Status.PROMOTED and row.promoted_by == users["analyst"]
    html = analyst.get(reverse("models")).content.decode()
    assert 'hx-trigger="every 2s"' not in html
    assert "Tu versión 1" in html and "No es peor que el modelo en uso" in html

    # Back to the shipped model, then to version 1 again.
    promote = reverse("models-promote")
    assert analyst.post(promote, {"task": "sentiment", "version": "shipped"}).status_code == 302
    row.refresh_from_db()
    assert row.status == OrgModel.Status.RETIRED
    assert registry.for_org("sentiment", org.id) is sentiment.shipped()
    tool_admin = client_for("tool_admin")
    assert tool_admin.post(promote, {"task": "sentiment", "version": "1"}).status_code == 302
    row.refresh_from_db()
    assert (row.status, row.promoted_by) == (OrgModel.Status.PROMOTED, users["tool_admin"])
    assert registry.for_org("sentiment", org.id).name.endswith("+acme.v1")

    # Without the permission, or for a version that does not exist: nothing changes.
    assert (
        client_for("agent").post(promote, {"task": "sentiment", "version": "shipped"}).status_code
        == 403
    )
    assert analyst.post(promote, {"task": "sentiment", "version": "7"}).status_code == 404
    assert analyst.post(promote, {"task": "sentiment", "version": "x"}).status_code == 400
    row.refresh_from_db()
    assert row.status == OrgModel.Status.PROMOTED


def test_the_button_refuses_too_few_corrections(client_for):
    response = client_for("analyst").post(reverse("models-retrain"), {"task": "sentiment"})
    assert response.status_code == 400
    assert "Muy pocas correcciones" in response.content.decode()
    assert not OrgModel.objects.exists()


def test_another_organisations_versions_cannot_be_promoted_or_seen(
    client_for, correct_all, org, other_org
):
    correct_all(ZUMBON, "sentiment", lambda text, held: "neutral" if held else "positive", org)
    retrain("--org", "acme", "--task", "sentiment")
    outsider = builders.member(other_org, "analyst", username="outsider")
    client = Client()
    client.force_login(outsider)
    html = client.get(reverse("models")).content.decode()
    assert "Other Co" in html and 'data-version="1"' not in html
    response = client.post(reverse("models-promote"), {"task": "sentiment", "version": "1"})
    assert response.status_code == 404
    assert OrgModel.objects.get().status == OrgModel.Status.CANDIDATE


# --- the registry ------------------------------------------------------------------------


def test_a_broken_archive_falls_back_to_the_shipped_model_with_an_error(org, caplog):
    OrgModel.objects.create(
        organisation=org, task="sentiment", version=1, status=OrgModel.Status.PROMOTED,
        archive=b"not a zip", created_at=clock.now(),
    )  # fmt: skip
    with caplog.at_level(logging.ERROR, logger="panal.understanding.registry"):
        assert registry.for_org("sentiment", org.id) is sentiment.shipped()
    assert "cannot be loaded" in caplog.text


def test_the_admin_lists_corrections_and_versions_read_only(correct_all, org, django_user_model):
    correct_all(ZUMBON[:6], "sentiment", lambda text, held: "positive", org)
    retrain("--org", "acme", "--task", "sentiment")
    admin = django_user_model.objects.create_superuser("root", "root@acme.example", "x")
    client = Client()
    client.force_login(admin)
    for name in ("correction", "orgmodel"):
        assert client.get(f"/admin/understanding/{name}/").status_code == 200
        assert client.get(f"/admin/understanding/{name}/add/").status_code == 403
    row = OrgModel.objects.get()
    page = client.get(f"/admin/understanding/orgmodel/{row.id}/change/")
    assert page.status_code == 200 and "archive" not in page.content.decode()
