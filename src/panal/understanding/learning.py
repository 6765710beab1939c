"""Learning from corrections: an agent's fix of a mention's language, sentiment or
intents, and the organisation's own models retrained from them
(docs/understanding.md#corrections-and-your-own-models).

`correct` stores a correction and applies it to the mention. `start_retrain` (the model
page's button, finished by the `retrain_model` task) and `retrain` (`panal model retrain`)
train a candidate from the shipped training data plus the organisation's corrections,
judge it and the model in use on the held-out corrections, and promote the candidate
only when it is not worse. `promote` puts an earlier version (or the shipped model) back.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q

from panal.core import clock
from panal.listening.models import Mention
from panal.org.models import Organisation

from . import builtin, intent, language, metrics, registry, sentiment
from .corpus import Example
from .models import Correction, OrgModel, Understanding
from .stages import text_of

CORRECT_PERM = "listening.correct_mention"
VIEW_MODELS_PERM = "understanding.view_orgmodel"
RETRAIN_PERM = "understanding.change_orgmodel"

AGENT = "agent"  # Mention.lang_source of an agent's language; "agent:<user>" for a model
# About one correction in HELD_OUT_EVERY is held back to judge retrained models.
HELD_OUT_EVERY = 5
REPEAT = 3  # a training correction counts this many times against the shipped examples
MIN_TRAINING = 1  # corrections to train on, per task
MIN_HELD_OUT = 1  # held-out corrections to judge on, per task
STALE_TRAINING = timedelta(hours=1)  # a "training" row older than this no longer blocks

FIELD_OF_TASK = {"sentiment": Correction.Field.SENTIMENT, "intent": Correction.Field.INTENTS}
TASKS = tuple(FIELD_OF_TASK)
METRIC = {"sentiment": "macro_f1", "intent": "label_set_f1"}


class CorrectionError(ValueError):
    """A value a field cannot take; the message says which values it can."""


class NotEnoughCorrections(Exception):
    """Too few corrections to train a model, or to judge it."""


class RetrainBusy(Exception):
    """A model of this task is already being trained for the organisation."""


def require_perm(user, perm: str, message: str) -> None:
    if not user.is_authenticated or not user.has_perm(perm):
        raise PermissionDenied(message)


def _agent_model(user) -> str:
    return f"agent:{user.get_username()}"[:80]


# --- corrections ---------------------------------------------------------------------


def language_codes() -> list[str]:
    """The codes a language correction may take: the detector's languages and `und`."""
    return [*language.LANGUAGES, language.UND]


def intent_labels() -> list[str]:
    return list(intent.LABELS)


def _clean(field_name: str, after: Any) -> Any:
    if field_name == Correction.Field.LANGUAGE:
        if after not in language_codes():
            raise CorrectionError(f"unknown language code {after!r}")
        return after
    if field_name == Correction.Field.SENTIMENT:
        if after not in sentiment.LABELS:
            raise CorrectionError(f"sentiment is one of {', '.join(sentiment.LABELS)}")
        return after
    if field_name == Correction.Field.INTENTS:
        if isinstance(after, str) or not isinstance(after, Sequence):
            raise CorrectionError("intents are a list of labels")
        unknown = [label for label in after if label not in intent.LABELS]
        if unknown:
            raise CorrectionError(f"unknown intents: {', '.join(map(str, unknown))}")
        return [label for label in intent.LABELS if label in set(after)]  # LABELS order
    raise CorrectionError(f"unknown field {field_name!r}")


def hashed_held_out(organisation_id: int, field_name: str, text: str) -> bool:
    """The hash half of the held-out rule: about one text in HELD_OUT_EVERY, the same text
    always on the same side."""
    digest = hashlib.sha256(f"{organisation_id}\n{field_name}\n{text}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % HELD_OUT_EVERY == 0


def _held_out(organisation_id: int, field_name: str, text: str) -> bool:
    """Whether a new correction is held back from training (docs/understanding.md):
    1. a text corrected before in this field stays on the side it was put on;
    2. otherwise the hash of (organisation, field, text) holds out about one in five;
    3. and when HELD_OUT_EVERY - 1 corrections of the field are in and none is held
       out, this one is, so a few corrections always leave something to judge on."""
    earlier = Correction.objects.filter(
        organisation_id=organisation_id, field=field_name, text=text
    ).values_list("held_out", flat=True)[:1]
    if earlier:
        return earlier[0]
    if hashed_held_out(organisation_id, field_name, text):
        return True
    counts = Correction.objects.filter(organisation_id=organisation_id, field=field_name).aggregate(
        n=Count("id"), held=Count("id", filter=Q(held_out=True))
    )
    return counts["n"] >= HELD_OUT_EVERY - 1 and counts["held"] == 0


def _current(mention: Mention, field_name: str) -> tuple[Any, str]:
    """What the mention says now for a field (the model's or the last fix), and who said it."""
    row: Understanding | None = Understanding.objects.filter(mention_id=mention.id).first()
    if field_name == Correction.Field.LANGUAGE:
        if mention.lang_source == AGENT:
            last = (
                Correction.objects.filter(mention=mention, field=field_name)
                .select_related("corrected_by")
                .first()
            )
            who = _agent_model(last.corrected_by) if last and last.corrected_by else AGENT
        elif mention.lang_source == "network":
            who = "network"
        else:
            who = row.lang_model if row else ""
        return mention.lang or language.UND, who
    if row is None:
        return None, ""
    if field_name == Correction.Field.SENTIMENT:
        return row.sentiment or None, row.sentiment_model
    return [str(i.get("label")) for i in row.intents or []], row.intent_model


def _apply(mention: Mention, field_name: str, after: Any, actor, now) -> None:
    if field_name == Correction.Field.LANGUAGE:
        lang = "" if after == language.UND else after  # blank means unknown on a Mention
        Mention.objects.filter(id=mention.id).update(lang=lang, lang_source=AGENT)
        mention.lang, mention.lang_source = lang, AGENT
        return
    if field_name == Correction.Field.SENTIMENT:
        values = {
            "sentiment": after,
            "sentiment_score": {"negative": -1.0, "neutral": 0.0, "positive": 1.0}[after],
            "sentiment_confidence": 1.0,
            "sentiment_model": _agent_model(actor),
        }
    else:
        values = {
            "intents": [{"label": label, "confidence": 1.0} for label in after],
            "intent_model": _agent_model(actor),
        }
    Understanding.objects.update_or_create(
        mention_id=mention.id, defaults={**values, "updated_at": now}
    )


def correct(actor, mention: Mention, field_name: str, after: Any) -> Correction:
    """Store an agent's correction of a mention's language, sentiment or intents (an empty
    list of intents: "none of these") as training data of its organisation, and apply it:
    the pipeline keeps an agent's value when it runs on the mention again.

    The caller has found `mention` through `listening.services.get_mention_for`."""
    require_perm(actor, CORRECT_PERM, "Your role cannot correct what the models said.")
    after = _clean(field_name, after)
    text = text_of(mention)
    now = clock.now()
    with transaction.atomic():
        before, model = _current(mention, field_name)
        correction = Correction.objects.create(
            organisation_id=mention.organisation_id,
            mention=mention,
            field=field_name,
            text=text,
            lang=mention.lang,
            before=before,
            after=after,
            model=model[:80],
            held_out=_held_out(mention.organisation_id, field_name, text),
            corrected_by=actor,
            created_at=now,
        )
        _apply(mention, field_name, after, actor, now)
    return correction


def corrections_of(mention: Mention, limit: int = 50) -> list[Correction]:
    """The mention's corrections, newest first (bounded)."""
    return list(Correction.objects.filter(mention=mention).select_related("corrected_by")[:limit])


# --- retraining ----------------------------------------------------------------------


def _latest_by_text(organisation_id: int, task: str) -> list[Correction]:
    """The organisation's corrections for a task, the latest per text (a text corrected
    twice counts once, as its last correction says)."""
    seen: set[str] = set()
    latest = []
    rows = Correction.objects.filter(
        organisation_id=organisation_id, field=FIELD_OF_TASK[task]
    ).only("text", "after", "held_out", "created_at")
    for c in rows.order_by("-created_at", "-id").iterator():
        if c.text not in seen:
            seen.add(c.text)
            latest.append(c)
    return latest


@dataclass
class Split:
    training: list[Correction] = field(default_factory=list)
    held_out: list[Correction] = field(default_factory=list)


def split(organisation_id: int, task: str) -> Split:
    found = Split()
    for c in _latest_by_text(organisation_id, task):
        (found.held_out if c.held_out else found.training).append(c)
    return found


def check_enough(organisation: Organisation, task: str) -> Split:
    """The corrections to train and judge on; NotEnoughCorrections when too few."""
    if task not in TASKS:
        raise ValueError(f"no model to retrain for task {task!r}")
    found = split(organisation.id, task)
    if len(found.training) < MIN_TRAINING or len(found.held_out) < MIN_HELD_OUT:
        raise NotEnoughCorrections(
            f"{organisation.slug}: too few {task} corrections to retrain: "
            f"{len(found.training)} to train on (at least {MIN_TRAINING} needed) and "
            f"{len(found.held_out)} held out to judge on (at least {MIN_HELD_OUT} needed)"
        )
    return found


def _examples(task: str, corrections: Sequence[Correction]) -> list[Example]:
    """Training examples from corrections, each repeated REPEAT times. An intents
    correction gives one example per label; "none of these" is the `none` label."""
    examples = []
    for c in corrections:
        labels = [c.after] if task == "sentiment" else (list(c.after) or [intent.NONE])
        examples += [Example(c.text, str(label)) for label in labels]
    return [e for e in examples for _ in range(REPEAT)]


def _label_set_f1(gold: Sequence[Sequence[str]], found: Sequence[Sequence[str]]) -> dict:
    total, exact = 0.0, 0
    for g, f in zip(gold, found, strict=True):
        g_set, f_set = set(g), set(f)
        exact += g_set == f_set
        total += (
            1.0 if not g_set and not f_set else 2 * len(g_set & f_set) / (len(g_set) + len(f_set))
        )
    n = len(gold)
    return {
        "n": n,
        "label_set_f1": round(total / n, 4) if n else 0.0,
        "exact_match": round(exact / n, 4) if n else 0.0,
    }


def judge(task: str, model: Any, held_out: Sequence[Correction]) -> dict:
    """A model's scores on held-out corrections: macro F1 (and accuracy) for sentiment;
    for intents the mean F1 of each text's label set against the corrected set (an empty
    set against an empty set counts 1) and the share of exact sets."""
    texts = [c.text for c in held_out]
    if task == "sentiment":
        result = metrics.scores([c.after for c in held_out], model.predict_labels(texts))
        scores = {k: result[k] for k in ("n", "macro_f1", "accuracy")}
    else:
        found = [[i["label"] for i in s] for s in intent.label_sets(model, texts)]
        scores = _label_set_f1([list(c.after) for c in held_out], found)
    return {"model": _name(task, model), **scores}


def _name(task: str, model: Any) -> str:
    return model.name if task == "sentiment" else intent.model_name(model)


def _build(task: str, out: Path, examples: list[Example]) -> None:
    if task == "sentiment":
        builtin.build_sentiment(out, examples)
    else:
        intent.build(out, examples)


def _next_version(organisation: Organisation, task: str) -> int:
    last = (
        OrgModel.objects.filter(organisation=organisation, task=task)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return (last or 0) + 1


def _begin(organisation: Organisation, task: str, actor) -> OrgModel:
    """A new version in the `training` state (one at a time per task and organisation)."""
    now = clock.now()
    with transaction.atomic():
        # Serialise version numbers per organisation (a no-op lock on SQLite, whose
        # write transactions are already one at a time).
        Organisation.objects.select_for_update().filter(id=organisation.id).first()
        busy = OrgModel.objects.filter(
            organisation=organisation,
            task=task,
            status=OrgModel.Status.TRAINING,
            created_at__gt=now - STALE_TRAINING,
        ).exists()
        if busy:
            raise RetrainBusy(f"{organisation.slug}: a {task} model is already being trained")
        return OrgModel.objects.create(
            organisation=organisation,
            task=task,
            version=_next_version(organisation, task),
            status=OrgModel.Status.TRAINING,
            created_by=actor if actor is not None and actor.is_authenticated else None,
            created_at=now,
        )


def start_retrain(actor, organisation: Organisation, task: str) -> OrgModel:
    """The model page's button: check, record a version in training and queue the
    `retrain_model` task after commit."""
    require_perm(actor, RETRAIN_PERM, "Your role cannot retrain models.")
    check_enough(organisation, task)
    row = _begin(organisation, task, actor)
    from .tasks import retrain_model

    transaction.on_commit(lambda: retrain_model.enqueue(row.id))
    return row


def retrain(organisation: Organisation, task: str, actor=None) -> OrgModel:
    """`panal model retrain`: train, judge and maybe promote, now. `actor` is the user
    named with --user (None: the command line). Too few corrections store nothing."""
    if actor is not None:
        require_perm(actor, RETRAIN_PERM, f"{actor.get_username()} cannot retrain models.")
    check_enough(organisation, task)
    row = _begin(organisation, task, actor)
    return run_training(row.id)


def run_training(row_id: int) -> OrgModel:
    """Train the version `row_id` (in the `training` state), judge it against the model in
    use and promote it when it is not worse; a failure is recorded on the row."""
    row = OrgModel.objects.select_related("organisation", "created_by").get(id=row_id)
    if row.status != OrgModel.Status.TRAINING:
        return row
    try:
        _train_and_judge(row)
    except Exception as exc:
        row.status = OrgModel.Status.FAILED
        row.note = f"{type(exc).__name__}: {exc}"[:2000]
        row.save(update_fields=["status", "note"])
        raise
    return row


def _train_and_judge(row: OrgModel) -> None:
    organisation, task = row.organisation, row.task
    found = check_enough(organisation, task)
    current = registry.for_org(task, organisation.id)
    base = registry.shipped(task)
    workdir = Path(tempfile.mkdtemp(prefix="panal-retrain-"))
    try:
        out = workdir / "model"
        _build(task, out, _examples(task, found.training))
        _annotate_card(out, organisation, row, base, len(found.training))
        archive = registry.pack(out)
        candidate = registry.load_archive(
            archive, task, workdir / "loaded", registry.version_tag(organisation.slug, row.version)
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    metric = METRIC[task]
    scores = {
        "metric": metric,
        "candidate": judge(task, candidate, found.held_out),
        "current": judge(task, current, found.held_out),
    }
    better = scores["candidate"][metric] >= scores["current"][metric]  # ties promote
    scores["decision"] = "promoted" if better else "kept"
    row.archive = archive
    row.examples = len(found.training)
    row.held_out = len(found.held_out)
    row.scores = scores
    row.note = (
        f"{metric} {scores['candidate'][metric]:.4f} on {len(found.held_out)} held-out "
        f"corrections against {scores['current'][metric]:.4f} for {scores['current']['model']}: "
        + ("not worse, promoted" if better else "worse, not promoted")
    )
    with transaction.atomic():
        if better:
            _make_promoted(row, row.created_by)
        else:
            row.status = OrgModel.Status.CANDIDATE
            row.save()


def _annotate_card(out: Path, organisation: Organisation, row: OrgModel, base: Any, n: int) -> None:
    """Record in the model card whose model it is and what it learned from."""
    card_path = out / "model.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["base"] = {"name": _name(row.task, base), "version": base.card.get("version")}
    card["organisation"] = {"slug": organisation.slug, "version": row.version}
    card["corrections"] = {"examples": n, "repeated": REPEAT}
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _make_promoted(row: OrgModel, actor) -> None:
    OrgModel.objects.filter(
        organisation_id=row.organisation_id, task=row.task, status=OrgModel.Status.PROMOTED
    ).exclude(id=row.id).update(status=OrgModel.Status.RETIRED)
    row.status = OrgModel.Status.PROMOTED
    row.promoted_by = actor if actor is not None and actor.is_authenticated else None
    row.promoted_at = clock.now()
    row.save()


def promote(actor, organisation: Organisation, task: str, version: int | None) -> OrgModel | None:
    """Put version `version` of the organisation's model in use, or (None) go back to the
    shipped model. Returns the version now in use (None: the shipped one)."""
    require_perm(actor, RETRAIN_PERM, "Your role cannot promote models.")
    if task not in TASKS:
        raise OrgModel.DoesNotExist(task)
    with transaction.atomic():
        if version is None:
            OrgModel.objects.filter(
                organisation=organisation, task=task, status=OrgModel.Status.PROMOTED
            ).update(status=OrgModel.Status.RETIRED)
            return None
        row = OrgModel.objects.select_for_update().get(
            organisation=organisation,
            task=task,
            version=version,
            status__in=[
                OrgModel.Status.CANDIDATE,
                OrgModel.Status.RETIRED,
                OrgModel.Status.PROMOTED,
            ],
            archive__isnull=False,
        )
        _make_promoted(row, actor)
    return row


# --- the model page ------------------------------------------------------------------


@dataclass(frozen=True)
class VersionShown:
    row: OrgModel
    metric: str
    candidate: float | None  # its score on the held-out corrections
    current: float | None  # the score of the model in use then, on the same corrections
    current_model: str

    @classmethod
    def of(cls, row: OrgModel) -> VersionShown:
        scores = row.scores or {}
        metric = scores.get("metric") or METRIC.get(row.task, "")
        return cls(
            row=row,
            metric=metric,
            candidate=(scores.get("candidate") or {}).get(metric),
            current=(scores.get("current") or {}).get(metric),
            current_model=(scores.get("current") or {}).get("model", ""),
        )

    @property
    def can_promote(self) -> bool:
        return self.row.status in (OrgModel.Status.CANDIDATE, OrgModel.Status.RETIRED)


def _dev_scores(card: dict) -> list[tuple[str, dict]]:
    """A card's dev scores: one set's, or several sets' keyed by name (the sentiment card
    scores its own examples and the real tweets in each language apart)."""
    scores = (card.get("dev") or {}).get("scores") or {}
    if "n" in scores:
        return [("", scores)]
    return [(name, found) for name, found in scores.items() if isinstance(found, dict)]


@dataclass(frozen=True)
class TaskModels:
    task: str
    shipped_name: str
    shipped_scores: list[tuple[str, dict]]  # (dev set, its scores); "" for the only one
    versions: list[VersionShown]
    in_use: OrgModel | None
    training: bool
    corrections: int
    to_train: int
    held_out: int

    @property
    def enough(self) -> bool:
        return self.to_train >= MIN_TRAINING and self.held_out >= MIN_HELD_OUT


@dataclass(frozen=True)
class Overview:
    organisation: Organisation
    tasks: list[TaskModels]
    corrections: dict[str, int]  # by field
    language_corrections: int


def overview(actor, organisation: Organisation) -> Overview:
    """What the model page shows; needs VIEW_MODELS_PERM."""
    require_perm(actor, VIEW_MODELS_PERM, "Your role cannot see the models.")
    # A text keeps the side it was first put on, so distinct texts count the split.
    counts = {
        row["field"]: row
        for row in Correction.objects.filter(organisation=organisation)
        .values("field")
        .annotate(
            n=Count("id"),
            held=Count("text", distinct=True, filter=Q(held_out=True)),
            kept=Count("text", distinct=True, filter=Q(held_out=False)),
        )
        .order_by()
    }
    by_field = Counter({name: row["n"] for name, row in counts.items()})
    rows = list(
        OrgModel.objects.filter(organisation=organisation)
        .defer("archive")
        .select_related("created_by", "promoted_by")
        .order_by("task", "-version")[:200]
    )
    stale = clock.now() - STALE_TRAINING
    tasks = []
    for task in TASKS:
        versions = [r for r in rows if r.task == task]
        base = registry.shipped(task)
        split_counts = counts.get(FIELD_OF_TASK[task], {})
        tasks.append(
            TaskModels(
                task=task,
                shipped_name=_name(task, base),
                shipped_scores=_dev_scores(base.card),
                versions=[VersionShown.of(r) for r in versions],
                in_use=next((r for r in versions if r.status == OrgModel.Status.PROMOTED), None),
                training=any(
                    r.status == OrgModel.Status.TRAINING and r.created_at > stale for r in versions
                ),
                corrections=by_field[FIELD_OF_TASK[task]],
                to_train=split_counts.get("kept", 0),
                held_out=split_counts.get("held", 0),
            )
        )
    return Overview(
        organisation=organisation,
        tasks=tasks,
        corrections=dict(by_field),
        language_corrections=by_field[Correction.Field.LANGUAGE],
    )
