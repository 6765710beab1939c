"""The understanding stage of the pipeline: language, sentiment, intents and urgency of a
batch in one pass over its texts and one write (docs/pipeline.md, docs/understanding.md).

`understand` reads each text once, asks each organisation of the batch for its models
(`registry.for_org`: its own promoted version or the shipped one), and stores every
prediction of a mention in its `Understanding` row with a single upsert per batch. An
agent's correction is never overwritten: the upsert keeps a row's sentiment while its
`sentiment_model` says `agent:…`, and its intents while its `intent_model` does, in the
same statement (no read before the write, so a correction saved meanwhile is kept too).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import Any

import orjson
from django.db import connection

from panal.core import clock
from panal.core.db import json_rows, json_rows_select
from panal.listening.models import Mention
from panal.listening.pipeline import save, stage

from . import intent, language, registry
from .models import Understanding

# Where a mention's language came from. The detector replaces its own earlier answer
# and fills a blank; it weighs the network's against its own; any other source (an
# agent's correction) is kept as it is.
DETECTED, NETWORK = "detected", "network"
# The model name an agent's correction records ("agent:<user>"); such values are kept.
AGENT_PREFIX = "agent:"
# The fields this stage writes, and those kept while an agent's correction stands.
LANGUAGE_FIELDS = ("lang", "lang_confidence", "lang_model")
SENTIMENT_FIELDS = ("sentiment", "sentiment_score", "sentiment_confidence", "sentiment_model")
INTENT_FIELDS = ("intents", "intent_model")


def text_of(mention: Mention) -> str:
    """What the models read of a mention: its title (when it has one) and its text."""
    return f"{mention.title}\n{mention.text}" if mention.title else mention.text


@stage("understand", order=150)
def understand(mentions: list[Mention]) -> None:
    """Language, sentiment, intents and urgency of each mention, with each model's name."""
    if not mentions:
        return
    texts = [text_of(m) for m in mentions]
    texts_by_id = {m.id: t for m, t in zip(mentions, texts, strict=True)}
    detections = language.detect(texts)
    _set_languages(mentions, detections)
    feelings: list[Any] = [None] * len(mentions)
    intents: list[Any] = [None] * len(mentions)
    names: list[tuple[str, str]] = [("", "")] * len(mentions)
    by_org: dict[int, list[int]] = defaultdict(list)
    for i, m in enumerate(mentions):
        by_org[m.organisation_id].append(i)
    for org_id, rows in by_org.items():
        sentiment_model = registry.for_org("sentiment", org_id)
        intent_model = registry.for_org("intent", org_id)
        part = [texts[i] for i in rows] if len(by_org) > 1 else texts
        named = (sentiment_model.name, intent.model_name(intent_model))
        for i, feeling, labels in zip(
            rows, sentiment_model.scores(part), intent.label_sets(intent_model, part), strict=True
        ):
            feelings[i], intents[i], names[i] = feeling, labels, named
    # Urgency weighs what was just predicted, so it is judged here and written in the same
    # row: one write per mention and batch (urgency.py has the rules).
    from . import urgency

    growth = urgency.thread_growth(mentions)
    dumps = orjson.dumps
    now = connection.ops.adapt_datetimefield_value(clock.now())
    rows = []
    for m, found, (label, score, confidence), labels, (sentiment_name, intent_name) in zip(
        mentions, detections, feelings, intents, names, strict=True
    ):
        key = (m.account_id, m.thread_external_id or m.external_id)
        judged = urgency.score(
            urgency.signals_of(m, growth.get(key, 0), (label, score, labels), texts_by_id[m.id])
        )
        rows.append(
            (
                m.id, found.lang, found.confidence, language.MODEL,
                label, round(score, 4), round(confidence, 4), sentiment_name,
                dumps(labels).decode(), intent_name,
                judged.score, judged.level, dumps(judged.reasons).decode(), urgency.MODEL,
                now,
            )
        )  # fmt: skip
    store(rows)


def _set_languages(mentions: Sequence[Mention], detections: Sequence[language.Detection]) -> None:
    """Mention.lang from the detection where the detector may decide (see `DETECTED`)."""
    changed = []
    for m, detection in zip(mentions, detections, strict=True):
        if m.lang_source in ("", DETECTED, NETWORK):
            network = m.lang if m.lang_source == NETWORK else ""
            lang, source = language.choose(network, detection)
            lang = "" if lang == language.UND else lang  # blank means unknown on a Mention
            if (lang, source) != (m.lang, m.lang_source):
                m.lang, m.lang_source = lang, source
                changed.append((m.id, lang, source))
    save(["lang", "lang_source"], changed)


# --- the write ----------------------------------------------------------------------------

# The columns `store` fills, in the order of its row tuples.
URGENCY_FIELDS = ("urgency", "urgency_level", "urgency_reasons", "urgency_model")
STORED = (
    "mention", *LANGUAGE_FIELDS, *SENTIMENT_FIELDS, *INTENT_FIELDS, *URGENCY_FIELDS,
    "updated_at",
)  # fmt: skip


@cache
def _upsert_sql(vendor: str, fields: tuple[str, ...]) -> tuple[str, str, tuple]:
    """(INSERT head, ON CONFLICT tail, the other columns' defaults) for `store`.

    Columns not in `fields` (another stage's) get their field's default on insert and are
    left alone on update. `vendor` keys the cache: the SQL differs by database.
    """
    quote = connection.ops.quote_name
    table = quote(Understanding._meta.db_table)
    mine = {Understanding._meta.get_field(name).column for name in fields}
    ordered = [Understanding._meta.get_field(name) for name in fields]
    others = [f for f in Understanding._meta.concrete_fields if f.column not in mine]
    columns = ", ".join(quote(f.column) for f in [*ordered, *others])
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)

    def keep_unless_agent(field: str, model_field: str) -> str:
        column, model_column = quote(field), quote(model_field)
        return (
            f"{column} = CASE WHEN substr({table}.{model_column}, 1, {len(AGENT_PREFIX)}) = "
            f"'{AGENT_PREFIX}' THEN {table}.{column} ELSE excluded.{column} END"
        )

    sets = []
    for f in fields[1:]:  # the first is the key, "mention"
        column = Understanding._meta.get_field(f).column
        if f in SENTIMENT_FIELDS:
            sets.append(keep_unless_agent(column, "sentiment_model"))
        elif f in INTENT_FIELDS:
            sets.append(keep_unless_agent(column, "intent_model"))
        else:
            sets.append(f"{quote(column)} = excluded.{quote(column)}")
    # Identifiers from the model's metadata; every value goes in as a parameter.
    head = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
    tail = f" ON CONFLICT ({quote('mention_id')}) DO UPDATE SET {', '.join(sets)}"
    return head, tail, defaults


def store(rows: Sequence[tuple], fields: tuple[str, ...] = STORED) -> None:
    """Upsert Understanding rows given as tuples in `fields` order (the first is
    "mention"; JSON fields as JSON text, `updated_at` adapted for the database), keeping an
    agent's corrections of sentiment and intents. Every stage that writes Understanding
    writes through here, each with its own fields.

    Raw SQL, as the ingest's insert: the ORM's bulk_create spends most of a batch's
    write adapting each value of each row. SQLite takes the batch as one executemany;
    PostgreSQL as one INSERT … SELECT from the rows sent as one JSON parameter
    (`core.db.json_rows_select`: one text to quote, where arrays of JSON texts were
    escaped value by value on the client), the other columns' defaults as constants.
    """
    if not rows:
        return
    head, tail, defaults = _upsert_sql(connection.vendor, fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            select = json_rows_select(
                [Understanding._meta.get_field(name) for name in fields], ["%s"] * len(defaults)
            )
            sql = f"{head.removesuffix(' VALUES ')} {select}{tail}"
            cursor.execute(sql, [*defaults, json_rows(rows)])
            return
        marks = "(" + ", ".join(["%s"] * (len(fields) + len(defaults))) + ")"
        cursor.executemany(head + marks + tail, [(*row, *defaults) for row in rows])
