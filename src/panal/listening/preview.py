"""What a listening query would catch: the query editor's preview (docs/topics.md#pages).

`preview(organisation_id, query)` walks the organisation's mentions of the last 30 UTC
days, newest first, through `documents.rows_of` and `Query.matches`: the newest 20 that
match, and how many match per day (drawn as a sparkline). The walk stops after
`SCAN_LIMIT` mentions, so a busy organisation's preview costs the same as a quiet one's;
the page then says how many it looked at. `pointer(text, column)` cuts the line of a
query an error points into, for the caret under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

from django.db.models import QuerySet

from . import documents, reports, search
from .models import Mention
from .query import Query

DAYS = 30
SHOWN = 20
SCAN_LIMIT = 50_000
CHUNK = 2_000
# The sparkline's drawing box, in SVG user units.
SPARK_WIDTH = 300
SPARK_HEIGHT = 40
# Characters of a long query line shown either side of the column an error points at.
POINTER_SPAN = 40


@dataclass
class Preview:
    period: reports.Period
    mentions: list[Mention]  # the newest matches, newest first, ready for listening/_row.html
    counts: list[int]  # matches per day of `period`
    looked_at: int  # mentions evaluated
    truncated: bool  # the walk stopped at the bound: older mentions were not looked at

    @property
    def matched(self) -> int:
        return sum(self.counts)

    @property
    def peak(self) -> int:
        return max(self.counts, default=0)

    @property
    def points(self) -> str:
        """The sparkline's polyline points: one per day, the busiest day at the top."""
        n = len(self.counts)
        step = SPARK_WIDTH / (n - 1) if n > 1 else 0
        top = self.peak or 1
        return " ".join(
            f"{i * step:.1f},{SPARK_HEIGHT - SPARK_HEIGHT * c / top:.1f}"
            for i, c in enumerate(self.counts)
        )

    @property
    def area(self) -> str:
        """The points of the filled area under the sparkline."""
        return f"0,{SPARK_HEIGHT} {self.points} {SPARK_WIDTH},{SPARK_HEIGHT}"

    @property
    def days(self) -> list[tuple[date, int]]:
        return list(zip(self.period.dates(), self.counts, strict=True))


def candidates(queryset: QuerySet[Mention], query: Query) -> QuerySet[Mention]:
    """The mentions worth evaluating: a full-text superset of the matches when search.py
    offers one (`superset_queryset`), else `queryset` as it is."""
    narrow = getattr(search, "superset_queryset", None)
    return queryset if narrow is None else narrow(queryset, query)


def preview(
    organisation_id: int | None,
    query: Query,
    *,
    days: int = DAYS,
    shown: int = SHOWN,
    scan_limit: int | None = None,
) -> Preview:
    """The newest `shown` matches among the organisation's last `days` days of mentions
    (deleted ones left out), and the matches per day, looking at `scan_limit` at most
    (default SCAN_LIMIT)."""
    scan_limit = SCAN_LIMIT if scan_limit is None else scan_limit
    period = reports.Period.last(days)
    base = reports.organisation_mentions(organisation_id).filter(
        created_at__gte=period.start, created_at__lt=period.end
    )
    index = {d: i for i, d in enumerate(period.dates())}
    counts = [0] * len(index)
    found: list[int] = []
    looked_at, truncated = 0, False
    for rows in documents.rows_of(candidates(base, query), newest_first=True, chunk=CHUNK):
        room = scan_limit - looked_at
        if len(rows) > room:
            rows, truncated = rows[:room], True
        looked_at += len(rows)
        for row in rows:
            if not query.matches(documents.doc_of_row(row)):
                continue
            day = index.get(row[1].astimezone(UTC).date())
            if day is not None:
                counts[day] += 1
            if len(found) < shown:
                found.append(row[0])
        if not truncated and looked_at >= scan_limit:
            truncated = _has_more(base, query, rows)
        if truncated:
            break
    return Preview(period, _load(found), counts, looked_at, truncated)


def _has_more(base: QuerySet[Mention], query: Query, rows: list[tuple]) -> bool:
    """Whether mentions older (by id) than the last one looked at are left."""
    if not rows:
        return False
    return candidates(base, query).filter(id__lt=rows[-1][0]).exists()


def _load(ids: list[int]) -> list[Mention]:
    from .queries import with_row_data

    by_id = with_row_data(Mention.objects.all()).in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def pointer(text: str, column: int) -> tuple[str, str]:
    """The line of `text` holding 1-based `column`, and the spaces that put a caret under it
    (a long line is cut around the column, with … where it was cut)."""
    column = max(1, column)
    start = text.rfind("\n", 0, column - 1) + 1
    end = text.find("\n", start)
    line = text[start : end if end >= 0 else len(text)].replace("\t", " ")
    offset = min(column - 1 - start, len(line))
    if len(line) > 2 * POINTER_SPAN:
        lo = max(0, offset - POINTER_SPAN)
        hi = min(len(line), offset + POINTER_SPAN)
        head = "…" if lo else ""
        line = head + line[lo:hi] + ("…" if hi < len(line) else "")
        offset = offset - lo + len(head)
    return line, " " * offset
