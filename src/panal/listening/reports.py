"""The reports page's read model: what an organisation's mentions add up to (docs/inbox.md).

Every figure is one grouped query (`values().annotate(Count)`) over the organisation's
mentions published in the period, deleted ones left out. The page therefore costs the
same few queries whether the period holds ten mentions or a million, and each answer
has a bounded number of rows (days, channels, visibilities, brands; the languages and
authors are cut to the largest few). Days are UTC days, like the inbox's date filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.http import QueryDict
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from panal.core import clock

from .choices import Channel, Visibility
from .models import Mention
from .queries import UNKNOWN_LANGUAGE

PERIODS = (7, 30, 90)
DEFAULT_DAYS = 30
TOP_AUTHORS = 10
# Languages shown one by one; the rest are added up in one "other languages" row.
TOP_LANGUAGES = 12


@dataclass(frozen=True)
class Period:
    """The last `days` UTC days, today included."""

    days: int
    first_day: date
    last_day: date

    @classmethod
    def from_params(cls, params: QueryDict) -> Period:
        """`?days=7|30|90`; anything else is the default (an old link still opens)."""
        try:
            days = int(params.get("days", ""))
        except ValueError:
            days = DEFAULT_DAYS
        return cls.last(days if days in PERIODS else DEFAULT_DAYS)

    @classmethod
    def last(cls, days: int) -> Period:
        today = clock.now().astimezone(UTC).date()
        return cls(days=days, first_day=today - timedelta(days=days - 1), last_day=today)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period (a mention dated in the future is outside)."""
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=UTC)

    def dates(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range(self.days)]


@dataclass
class Row:
    """One line of a breakdown: what it counts, its label, and its share of the mentions."""

    key: str
    label: str
    count: int
    # Percentage of all the period's mentions.
    share: float = 0.0
    # Bar length: percentage of the largest count in the same breakdown.
    bar: float = 0.0
    # Authors only: the handle and the channel's label.
    handle: str = ""
    channel: str = ""


@dataclass
class Day:
    day: date
    count: int
    # Bar height: percentage of the busiest day.
    bar: float = 0.0


@dataclass
class Overview:
    period: Period
    total: int
    days: list[Day]
    peak: int
    channels: list[Row]
    languages: list[Row]
    brands: list[Row]
    visibility: list[Row]
    authors: list[Row]

    @property
    def average(self) -> float:
        """Mentions per day over the period."""
        return self.total / self.period.days

    @property
    def busiest(self) -> Day | None:
        """The first of the days with the most mentions, or None for an empty period."""
        return next((d for d in self.days if self.peak and d.count == self.peak), None)


def organisation_mentions(organisation_id: int | None) -> QuerySet[Mention]:
    """The organisation's mentions, without deleted ones (none without an organisation)."""
    if organisation_id is None:
        return Mention.objects.none()
    return Mention.objects.filter(organisation_id=organisation_id, deleted_at__isnull=True)


def _grouped(queryset: QuerySet[Mention], *fields: str) -> QuerySet:
    return queryset.values(*fields).annotate(n=Count("id")).order_by("-n", *fields)


def _language_name(code: str) -> str:
    if not code:
        return _("Unknown")
    try:
        return str(get_language_info(code)["name_translated"]).capitalize()
    except KeyError:
        return code.upper()


def _scale(rows: list[Row], total: int) -> list[Row]:
    top = max((r.count for r in rows), default=0)
    for r in rows:
        r.share = 100 * r.count / total if total else 0.0
        r.bar = 100 * r.count / top if top else 0.0
    return rows


def overview(mentions: QuerySet[Mention], period: Period) -> Overview:
    """The figures of `mentions` published in `period`: six queries, whatever the data."""
    scope = mentions.filter(created_at__gte=period.start, created_at__lt=period.end)

    per_day = {
        r["day"]: r["n"]
        for r in scope.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    }
    peak = max(per_day.values(), default=0)
    days = [
        Day(d, per_day.get(d, 0), 100 * per_day.get(d, 0) / peak if peak else 0.0)
        for d in period.dates()
    ]

    channel_labels = dict(Channel.choices)
    channels = [
        Row(r["channel"], str(channel_labels.get(r["channel"], r["channel"])), r["n"])
        for r in _grouped(scope, "channel")
    ]
    # Every mention has one channel: their counts add up to the total.
    total = sum(r.count for r in channels)

    languages = [
        Row(r["lang"] or UNKNOWN_LANGUAGE, _language_name(r["lang"]), r["n"])
        for r in _grouped(scope, "lang")[:TOP_LANGUAGES]
    ]
    rest = total - sum(r.count for r in languages)
    if rest > 0:
        languages.append(Row("other", _("Other languages"), rest))

    brands = [
        Row(str(r["brand_id"] or ""), r["brand__name"] or _("No brand"), r["n"])
        for r in _grouped(scope, "brand_id", "brand__name")
    ]

    visibility_labels = dict(Visibility.choices)
    visibility = [
        Row(r["visibility"], str(visibility_labels.get(r["visibility"], r["visibility"])), r["n"])
        for r in _grouped(scope, "visibility")
    ]

    # Authors as the pipeline linked them (one identity per channel), not as each
    # mention spelled their name; a mention not yet processed has no author to count.
    authors = [
        Row(
            str(r["author_id"]),
            r["author__display_name"] or r["author__handle"] or r["author__external_id"],
            r["n"],
            handle=r["author__handle"].lstrip("@"),
            channel=str(channel_labels.get(r["author__channel"], r["author__channel"])),
        )
        for r in _grouped(
            scope.filter(author__isnull=False),
            "author_id",
            "author__display_name",
            "author__handle",
            "author__external_id",
            "author__channel",
        )[:TOP_AUTHORS]
    ]

    return Overview(
        period=period,
        total=total,
        days=days,
        peak=peak,
        channels=_scale(channels, total),
        languages=_scale(languages, total),
        brands=_scale(brands, total),
        visibility=_scale(visibility, total),
        authors=_scale(authors, total),
    )


def csv_rows(report: Overview) -> list[list]:
    """The figures as `section, key, label, mentions` lines (the export's format)."""
    rows: list[list] = [["total", "", "", report.total]]
    rows += [["day", d.day.isoformat(), d.day.isoformat(), d.count] for d in report.days]
    for section, breakdown in (
        ("channel", report.channels),
        ("language", report.languages),
        ("brand", report.brands),
        ("visibility", report.visibility),
    ):
        rows += [[section, r.key, r.label, r.count] for r in breakdown]
    rows += [["author", r.handle, r.label, r.count] for r in report.authors]
    return rows
