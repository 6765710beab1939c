"""Share of voice: how much of the conversation each of a set of competing topics holds,
per UTC day, overall and among positive and negative mentions (docs/topics.md#share-of-voice).

One grouped query over the topics' matches (topic, day, sentiment → count), so the cost
depends on the number of topics, days and sentiments, not on the number of mentions. A mention
that matches two of the topics counts for both; each share is a topic's count over the
sum of the chosen topics' counts that day (so the shares of a day add up to 100 %).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date

from django.db.models import Count
from django.db.models.functions import TruncDate

from .models import Topic, TopicMatch
from .reports import Period

SENTIMENTS = ("positive", "negative")
DEFAULT_KINDS = (Topic.Kind.BRAND, Topic.Kind.COMPETITOR)
MAX_TOPICS = 12


@dataclass
class Cell:
    count: int = 0
    share: float = 0.0  # percent of the day's total over the chosen topics


@dataclass
class Series:
    topic: Topic
    days: list[Cell]
    positive: list[Cell]
    negative: list[Cell]
    total: Cell = field(default_factory=Cell)
    total_positive: Cell = field(default_factory=Cell)
    total_negative: Cell = field(default_factory=Cell)


@dataclass
class ShareOfVoice:
    period: Period
    dates: list[date]
    series: list[Series]
    totals: list[int]  # all chosen topics' mentions per day

    @property
    def total(self) -> int:
        return sum(self.totals)


def default_topics(organisation_id: int) -> list[Topic]:
    """The organisation's active own-brand and competitor topics."""
    return list(
        Topic.objects.filter(
            organisation_id=organisation_id, is_active=True, kind__in=DEFAULT_KINDS
        ).order_by("kind", "name")[:MAX_TOPICS]
    )


def _shares(cells_by_topic: list[list[Cell]], n_days: int) -> None:
    for d in range(n_days):
        day_total = sum(cells[d].count for cells in cells_by_topic)
        for cells in cells_by_topic:
            cells[d].share = 100.0 * cells[d].count / day_total if day_total else 0.0


def _overall(series: list[Series], attr: str, total_attr: str) -> None:
    sums = [sum(c.count for c in getattr(s, attr)) for s in series]
    grand = sum(sums)
    for s, n in zip(series, sums, strict=True):
        setattr(s, total_attr, Cell(n, 100.0 * n / grand if grand else 0.0))


def share_of_voice(topics: list[Topic], period: Period) -> ShareOfVoice:
    """Each topic's count and share per day of `period`, of all, positive and negative
    mentions (deleted mentions left out)."""
    dates = period.dates()
    index = {d: i for i, d in enumerate(dates)}
    series = {
        t.id: Series(
            topic=t,
            days=[Cell() for _ in dates],
            positive=[Cell() for _ in dates],
            negative=[Cell() for _ in dates],
        )
        for t in topics
    }
    rows = (
        TopicMatch.objects.filter(
            topic_id__in=list(series),
            created_at__gte=period.start,
            created_at__lt=period.end,
            mention__deleted_at__isnull=True,
        )
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .order_by()
        .values("topic_id", "day", "mention__understanding__sentiment")
        .annotate(n=Count("id"))
    )
    for row in rows:
        i = index.get(row["day"])
        if i is None:
            continue
        s = series[row["topic_id"]]
        s.days[i].count += row["n"]
        sentiment = row["mention__understanding__sentiment"]
        if sentiment == "positive":
            s.positive[i].count += row["n"]
        elif sentiment == "negative":
            s.negative[i].count += row["n"]
    ordered = [series[t.id] for t in topics]
    for attr, total_attr in (
        ("days", "total"),
        ("positive", "total_positive"),
        ("negative", "total_negative"),
    ):
        _shares([getattr(s, attr) for s in ordered], len(dates))
        _overall(ordered, attr, total_attr)
    totals = [sum(s.days[d].count for s in ordered) for d in range(len(dates))]
    return ShareOfVoice(period=period, dates=dates, series=ordered, totals=totals)
